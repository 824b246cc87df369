import { UsageError } from '../errors.js';
import type { ObjectStore } from '../server/object-store.js';
import { encodeKey, isSafeKey } from '../server/request-path.js';
import { OriginError, type ObjectMeta, type Origin } from './origin.js';

export interface StoreOriginOptions {
  /** The built-in origin's store. */
  store: ObjectStore;
  /** The stream name (`--name`, default "live"): the folder every key goes under. */
  name: string;
  /** Base URL of the built-in origin serving `store`, e.g. "http://127.0.0.1:8080". */
  serverUrl: string;
}

/**
 * Publishes straight into the built-in origin's ObjectStore (what `ingest` uses when it embeds the
 * server: no HTTP hop). Objects land under `<name>/`, so the stream plays at
 * `<serverUrl>/<name>/master.m3u8`. The meta the publisher passes (metaForKey) is stored as given.
 */
export class StoreOrigin implements Origin {
  readonly description: string;
  readonly playbackUrl: string;
  private readonly prefix: string;

  constructor(private readonly opts: StoreOriginOptions) {
    if (!isSafeKey(opts.name)) throw new UsageError(`invalid stream name "${opts.name}": use a relative path without empty, "." or ".." segments`);
    const base = opts.serverUrl.replace(/\/+$/, '');
    this.prefix = `${opts.name}/`;
    this.description = `built-in origin ${base}/${encodeKey(opts.name)}/`;
    this.playbackUrl = `${base}/${encodeKey(opts.name)}/master.m3u8`;
  }

  async put(key: string, body: Buffer, meta: ObjectMeta, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    const full = this.fullKey(key);
    try {
      await this.opts.store.put(full, body, meta);
    } catch (e) {
      throw asOriginError(e, `cannot store ${full}`);
    }
  }

  async delete(key: string, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    const full = this.fullKey(key);
    try {
      await this.opts.store.delete(full); // deleting what is already gone is success
    } catch (e) {
      throw asOriginError(e, `cannot delete ${full}`);
    }
  }

  /** The server and its store belong to whoever started them. */
  async close(): Promise<void> {}

  private fullKey(key: string): string {
    if (!isSafeKey(key)) throw new OriginError(`refusing unsafe object key "${key}"`, false);
    return this.prefix + key;
  }
}

function asOriginError(e: unknown, what: string): OriginError {
  if (e instanceof OriginError) return e;
  const code = (e as NodeJS.ErrnoException).code;
  const transient = code === 'ENOSPC' || code === 'EBUSY' || code === 'EMFILE' || code === 'EAGAIN';
  return new OriginError(`${what}: ${(e as Error).message}`, transient);
}
