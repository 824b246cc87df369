/**
 * Runs s3rver (an S3-compatible server, npm) in-process on a free 127.0.0.1 port, storing objects
 * in a fresh folder under os.tmpdir().
 *
 *   const s3 = await startS3rver({ buckets: ['live'] });
 *   s3.endpoint            // 'http://127.0.0.1:<port>' (use path-style addressing)
 *   S3RVER_CREDENTIALS     // the credentials it accepts (others get InvalidAccessKeyId)
 *   await s3.stop()
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** The part of s3rver's API used here (it ships no type declarations). */
interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
type S3rverConstructor = new (options: {
  port: number;
  address: string;
  silent: boolean;
  directory: string;
  configureBuckets: Array<{ name: string }>;
}) => S3rverInstance;

const S3rver = createRequire(import.meta.url)('s3rver') as S3rverConstructor;

/** s3rver checks signatures against this key pair. */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

export interface S3rverServer {
  endpoint: string;
  port: number;
  /** Where s3rver keeps buckets and objects. */
  directory: string;
  stop(): Promise<void>;
}

export async function startS3rver(options: { buckets?: string[] } = {}): Promise<S3rverServer> {
  const directory = await mkdtemp(path.join(os.tmpdir(), 'livepipe-s3rver-'));
  const server = new S3rver({
    port: 0,
    address: '127.0.0.1',
    silent: true,
    directory,
    configureBuckets: (options.buckets ?? ['live']).map((name) => ({ name })),
  });
  let address: AddressInfo;
  try {
    address = await server.run();
  } catch (e) {
    await rm(directory, { recursive: true, force: true });
    throw e;
  }
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    port: address.port,
    directory,
    async stop() {
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
