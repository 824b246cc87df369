import { createHash } from 'node:crypto';
import type { ObjectMeta } from '../origins/origin.js';
import { StoreChanges, type StoreChangeListener } from './store-changes.js';

/** One object as the built-in origin serves it. */
export interface StoredObject {
  body: Buffer;
  contentType: string;
  cacheControl: string;
  /** A strong, quoted entity tag, e.g. `"q3Jd…"`. */
  etag: string;
  lastModified: Date;
}

export interface PutResult {
  /** True when the key did not exist before (HTTP 201), false when it was replaced (204). */
  created: boolean;
  object: StoredObject;
}

/**
 * Where the built-in origin keeps objects. Keys are relative paths without a leading slash
 * ("live/720p/seg_3.ts"); callers validate them (see request-path.ts), stores refuse unsafe ones.
 */
export interface ObjectStore {
  get(key: string): Promise<StoredObject | undefined>;
  /** Stores `body` as given (not copied): do not mutate the buffer afterwards. */
  put(key: string, body: Buffer, meta: ObjectMeta): Promise<PutResult>;
  /** True if the key existed. */
  delete(key: string): Promise<boolean>;
  /** Every key starting with `prefix` (all keys without one), sorted. */
  keys(prefix?: string): Promise<string[]>;
  /** Resolves once `key` exists (at once if it does); rejects with `signal.reason` on abort. */
  waitFor(key: string, signal: AbortSignal): Promise<StoredObject>;
  /** Called after every put and delete made through this store; returns the unsubscribe function. */
  onChange(listener: StoreChangeListener): () => void;
}

/** A strong ETag derived from the bytes, so identical content keeps its validator across restarts. */
export function etagOf(body: Buffer): string {
  return `"${createHash('sha1').update(body).digest('base64url')}"`;
}

export function storedObject(body: Buffer, meta: ObjectMeta, lastModified = new Date()): StoredObject {
  return { body, contentType: meta.contentType, cacheControl: meta.cacheControl, etag: etagOf(body), lastModified };
}

/** The default store: objects in memory, which a live window keeps small and LL-HLS needs fast. */
export class MemoryObjectStore implements ObjectStore {
  private readonly objects = new Map<string, StoredObject>();
  private readonly changes = new StoreChanges();

  async get(key: string): Promise<StoredObject | undefined> {
    return this.objects.get(key);
  }

  async put(key: string, body: Buffer, meta: ObjectMeta): Promise<PutResult> {
    const created = !this.objects.has(key);
    const object = storedObject(body, meta);
    this.objects.set(key, object);
    this.changes.emit({ kind: 'put', key, object });
    return { created, object };
  }

  async delete(key: string): Promise<boolean> {
    const existed = this.objects.delete(key);
    if (existed) this.changes.emit({ kind: 'delete', key });
    return existed;
  }

  async keys(prefix = ''): Promise<string[]> {
    return [...this.objects.keys()].filter((k) => k.startsWith(prefix)).sort();
  }

  waitFor(key: string, signal: AbortSignal): Promise<StoredObject> {
    return this.changes.waitFor(key, (k) => this.get(k), signal);
  }

  onChange(listener: StoreChangeListener): () => void {
    return this.changes.subscribe(listener);
  }

  /** Objects and bytes held (for diagnostics). */
  get size(): { objects: number; bytes: number } {
    let bytes = 0;
    for (const o of this.objects.values()) bytes += o.body.length;
    return { objects: this.objects.size, bytes };
  }
}
