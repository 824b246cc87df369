import { DEFAULT_TIMEOUT_MS, HttpClient, encodeKey } from './http-origin.js';
import type { ObjectMeta, Origin } from './origin.js';

export interface MomentoOriginOptions {
  /** Base URL of the Momento HTTP API (MOMENTO_ENDPOINT), e.g. "https://api.cache.cell-….momentohq.com". */
  endpoint: string;
  /** MOMENTO_API_KEY, sent as the raw Authorization header (no "Bearer"). */
  apiKey: string;
  store: string;
  /** Key prefix inside the store ("" or "live/"); a missing trailing slash is added. */
  prefix?: string;
  timeoutMs?: number;
  maxSockets?: number;
}

/**
 * Momento Object Store over its HTTP API: PUT / DELETE `<endpoint>/objectstore/<store>/<key>`,
 * metadata in `mo-meta-*` headers, 204 on success, 429 when over the store's limits
 * (retryable, with Retry-After). One attempt per call: the publisher retries.
 */
export class MomentoOrigin implements Origin {
  readonly description: string;
  readonly playbackUrl = undefined;
  private readonly base: URL;
  private readonly prefix: string;
  private readonly client: HttpClient;

  constructor(options: MomentoOriginOptions) {
    const endpoint = new URL(options.endpoint);
    if (!endpoint.pathname.endsWith('/')) endpoint.pathname += '/';
    endpoint.search = '';
    endpoint.hash = '';
    this.base = new URL(`objectstore/${encodeURIComponent(options.store)}/`, endpoint);
    this.prefix = normalizePrefix(options.prefix ?? '');
    this.description = `momento://${options.store}/${this.prefix} (endpoint ${endpoint.origin})`;
    this.client = new HttpClient({
      headers: { authorization: options.apiKey },
      timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      maxSockets: options.maxSockets ?? 8,
    });
  }

  urlFor(key: string): URL {
    return new URL(encodeKey(this.prefix + key), this.base);
  }

  async put(key: string, body: Buffer, meta: ObjectMeta, signal?: AbortSignal): Promise<void> {
    await this.client.send({
      method: 'PUT',
      url: this.urlFor(key),
      label: key,
      body,
      headers: {
        'content-type': meta.contentType,
        'mo-meta-content-type': meta.contentType,
        'mo-meta-cache-control': meta.cacheControl,
      },
      signal,
    });
  }

  async delete(key: string, signal?: AbortSignal): Promise<void> {
    await this.client.send({ method: 'DELETE', url: this.urlFor(key), label: key, okStatuses: [404], signal });
  }

  async close(): Promise<void> {
    this.client.close();
  }
}

function normalizePrefix(prefix: string): string {
  const trimmed = prefix.replace(/^\/+|\/+$/g, '');
  return trimmed === '' ? '' : `${trimmed}/`;
}

/** Momento Object Store's default per-store write limits. */
export const MOMENTO_DEFAULT_BUDGET = { writeBps: 1024 * 1024, writeOps: 100 } as const;

/**
 * Warnings (one line each, empty when it fits) for a ladder that would write more than a Momento
 * store accepts: `bytesPerSecond` is the ladder's total bitrate / 8 (media plus container overhead),
 * `writesPerSecond` the objects written per second (segments and playlists of every rung).
 */
export function momentoBudgetWarnings(
  bytesPerSecond: number,
  writesPerSecond: number,
  budget: { writeBps: number; writeOps: number } = MOMENTO_DEFAULT_BUDGET,
): string[] {
  const warnings: string[] = [];
  if (bytesPerSecond > budget.writeBps) {
    warnings.push(
      `the ladder writes about ${formatBytes(bytesPerSecond)}/s but the Momento store accepts ${formatBytes(budget.writeBps)}/s: ` +
        'expect 429 rate limiting and a stream that falls behind (use a smaller preset or ask Momento to raise the limit)',
    );
  }
  if (writesPerSecond > budget.writeOps) {
    warnings.push(
      `the ladder writes about ${round(writesPerSecond)} objects/s but the Momento store accepts ${budget.writeOps}/s: ` +
        'expect 429 rate limiting (use fewer rungs or longer segments, or ask Momento to raise the limit)',
    );
  }
  return warnings;
}

function round(n: number): string {
  return n >= 10 ? String(Math.round(n)) : n.toFixed(1).replace(/\.0$/, '');
}

function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${round(n / (1024 * 1024))} MiB`;
  if (n >= 1024) return `${round(n / 1024)} KiB`;
  return `${round(n)} B`;
}
