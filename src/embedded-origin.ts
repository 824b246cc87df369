import { MemoryObjectStore } from './server/object-store.js';
import { OriginServer } from './server/origin-server.js';
import { StoreOrigin } from './origins/memory-origin.js';
import type { Origin } from './origins/origin.js';

export interface EmbeddedOrigin {
  origin: Origin;
  serverUrl: string;
  playerUrl: string;
  streamUrl: string;
  stop(): Promise<void>;
}

/** The built-in origin for `ingest` without `--origin`: the server runs in-process and the publisher writes straight into its store. */
export async function startEmbeddedOrigin(host: string, port: number, name: string): Promise<EmbeddedOrigin> {
  const store = new MemoryObjectStore();
  const server = new OriginServer({ store, host, port });
  const { url } = await server.start();
  const origin = new StoreOrigin({ store, name, serverUrl: url });
  return {
    origin,
    serverUrl: url,
    playerUrl: `${url}/?stream=${encodeURIComponent(name)}`,
    streamUrl: `${url}/${name}/master.m3u8`,
    stop: () => server.stop(),
  };
}
