/** What an origin needs to serve an object correctly to players and CDNs. */
export interface ObjectMeta {
  contentType: string;
  cacheControl: string;
}

/**
 * The one interface every origin kind implements. Keys are relative paths under the stream
 * ("master.m3u8", "720p/seg_12.ts"); the adapter adds its own prefix.
 * Implementations throw OriginError so the publisher can decide whether to retry.
 */
export interface Origin {
  /** Human description, e.g. "s3://bucket/live (endpoint http://127.0.0.1:4569)". */
  readonly description: string;
  /** Public URL of the master playlist when the origin is directly playable, else undefined. */
  readonly playbackUrl?: string | undefined;
  put(key: string, body: Buffer, meta: ObjectMeta, signal?: AbortSignal): Promise<void>;
  delete(key: string, signal?: AbortSignal): Promise<void>;
  close(): Promise<void>;
}

export class OriginError extends Error {
  override name = 'OriginError';
  constructor(
    message: string,
    /** False for answers that will not change on retry (403, 404 on PUT, bad credentials). */
    readonly retryable: boolean,
    readonly status?: number,
    /** From Retry-After (429/503), in milliseconds. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/** Parses Retry-After (seconds or an HTTP date) into milliseconds. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.round(seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Retryable unless the status says the request itself is wrong. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || status >= 500;
}
