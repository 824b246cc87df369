import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../errors.js';
import { DiskObjectStore } from '../server/disk-object-store.js';
import { MemoryObjectStore, type ObjectStore } from '../server/object-store.js';
import { OriginServer } from '../server/origin-server.js';

export interface ServeOptions {
  port: number;
  host: string;
  /** Keep objects as files under this folder instead of in memory. */
  dir?: string | undefined;
  /** Bearer token for PUT/DELETE (the caller resolves --token or LIVEPIPE_ORIGIN_TOKEN). */
  token?: string | undefined;
}

/**
 * `livepipe serve`: runs the built-in origin until SIGINT or SIGTERM (or `signal`, for embedding and
 * tests), then stops it cleanly and resolves. Throws UsageError / RuntimeFailure for the CLI to report.
 */
export async function runServe(opts: ServeOptions, log: (line: string) => void, signal?: AbortSignal): Promise<void> {
  let store: ObjectStore = new MemoryObjectStore();
  if (opts.dir) {
    const dir = path.resolve(opts.dir);
    try {
      await mkdir(dir, { recursive: true });
    } catch (e) {
      throw new UsageError(`cannot use --dir ${opts.dir}: ${(e as Error).message}`);
    }
    store = new DiskObjectStore(dir);
  }
  const server = new OriginServer({ store, host: opts.host, port: opts.port, token: opts.token || undefined });
  const { url } = await server.start();
  const where = opts.dir ? `files in ${path.resolve(opts.dir)}` : 'in memory';
  const writes = opts.token ? 'PUT/DELETE need the bearer token' : 'PUT/DELETE open (loopback only)';
  log(`livepipe origin listening on ${url}/ (objects ${where}; ${writes})`);
  if (/^(0\.0\.0\.0|::|\[::\])$/.test(opts.host)) log(`listening on every interface (${opts.host}): other machines use this host's address`);
  log(`player: ${url}/  (a stream published to ${url}/<name>/ plays at ${url}/?stream=<name>)`);
  await stopRequested(signal);
  log('stopping the origin');
  await server.stop();
}

function stopRequested(signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      process.off('SIGINT', done).off('SIGTERM', done);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    if (signal?.aborted) return done();
    process.once('SIGINT', done).once('SIGTERM', done);
    signal?.addEventListener('abort', done, { once: true });
  });
}
