import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { ObjectStore, StoredObject } from './object-store.js';
import { etagOf } from './object-store.js';
import { playerPageHtml } from './player-page.js';
import { encodeKey } from './request-path.js';

/** Paths the server answers itself; they cannot be written. "" is "/". */
export const BUILTIN_KEYS: ReadonlySet<string> = new Set(['', 'hls.min.js', '_streams.json']);

export interface StreamEntry {
  /** The folder holding master.m3u8 ("live"), "" for a master at the root. */
  name: string;
  /** Absolute path of its master playlist ("/live/master.m3u8"). */
  url: string;
}

/** Every key ending in master.m3u8 is a stream named after its folder. */
export async function listStreams(store: ObjectStore): Promise<StreamEntry[]> {
  const keys = await store.keys();
  return keys
    .filter((k) => k === 'master.m3u8' || k.endsWith('/master.m3u8'))
    .map((k) => ({ name: k.slice(0, Math.max(0, k.length - '/master.m3u8'.length)), url: `/${encodeKey(k)}` }));
}

/** The player page, hls.js (from node_modules, never a CDN) and the stream list. */
export class BuiltinAssets {
  private page: StoredObject | undefined;
  private hlsJs: Promise<StoredObject | undefined> | undefined;

  constructor(private readonly store: ObjectStore) {}

  async get(key: string): Promise<StoredObject | undefined> {
    switch (key) {
      case '':
        this.page ??= fixed(Buffer.from(playerPageHtml()), 'text/html; charset=utf-8', 'no-cache');
        return this.page;
      case 'hls.min.js':
        this.hlsJs ??= loadHlsJs();
        return this.hlsJs;
      case '_streams.json': {
        const body = Buffer.from(`${JSON.stringify({ streams: await listStreams(this.store) })}\n`);
        return fixed(body, 'application/json; charset=utf-8', 'no-store');
      }
      default:
        return undefined;
    }
  }
}

async function loadHlsJs(): Promise<StoredObject | undefined> {
  try {
    const file = createRequire(import.meta.url).resolve('hls.js/dist/hls.min.js');
    return fixed(await readFile(file), 'text/javascript; charset=utf-8', 'public, max-age=86400');
  } catch {
    return undefined; // hls.js missing from node_modules: a 404, not a crash
  }
}

function fixed(body: Buffer, contentType: string, cacheControl: string): StoredObject {
  return { body, contentType, cacheControl, etag: etagOf(body), lastModified: new Date() };
}
