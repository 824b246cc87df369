import http from 'node:http';
import https from 'node:https';
import { OriginError, isRetryableStatus, parseRetryAfter, type ObjectMeta, type Origin } from './origin.js';
import { keySegments } from './safe-key.js';

export const DEFAULT_TIMEOUT_MS = 10_000;

export interface HttpOriginOptions {
  /** Extra request headers (from `--header 'Name: value'`), sent with every PUT and DELETE. */
  headers?: Record<string, string> | Array<[string, string]>;
  /** Sent as `Authorization: Bearer <token>` (LIVEPIPE_ORIGIN_TOKEN). An explicit Authorization header wins. */
  token?: string;
  /** Per request, from the first byte sent to the last byte of the response. Default 10 s. */
  timeoutMs?: number;
  /** Keep-alive sockets per origin host. Default 8. */
  maxSockets?: number;
}

/**
 * HTTP PUT / DELETE origin (nginx WebDAV, `livepipe serve`, CDN ingest points).
 * One attempt per call: the publisher owns retries and backoff.
 */
export class HttpOrigin implements Origin {
  readonly description: string;
  readonly playbackUrl: string;
  private readonly base: URL;
  private readonly client: HttpClient;

  constructor(baseUrl: string | URL, options: HttpOriginOptions = {}) {
    const base = new URL(baseUrl.toString());
    if (base.protocol !== 'http:' && base.protocol !== 'https:') {
      throw new TypeError(`HttpOrigin needs an http(s) URL, got ${base.protocol}`);
    }
    base.hash = '';
    base.search = '';
    // The origin URL names a folder: "http://h/live" and "http://h/live/" mean the same.
    if (!base.pathname.endsWith('/')) base.pathname += '/';

    const headers: Record<string, string> = {};
    if (base.username || base.password) {
      const user = decodeURIComponent(base.username);
      const pass = decodeURIComponent(base.password);
      headers['authorization'] = `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
      base.username = '';
      base.password = '';
    }
    if (options.token) headers['authorization'] = `Bearer ${options.token}`;
    const extra = Array.isArray(options.headers) ? options.headers : Object.entries(options.headers ?? {});
    for (const [name, value] of extra) headers[name.toLowerCase()] = value;

    this.base = base;
    this.description = base.href;
    this.playbackUrl = new URL('master.m3u8', base).href;
    this.client = new HttpClient({
      headers,
      timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      maxSockets: options.maxSockets ?? 8,
    });
  }

  /** The absolute URL of an object key (each path segment percent-encoded). */
  urlFor(key: string): URL {
    return new URL(encodeKey(key), this.base);
  }

  async put(key: string, body: Buffer, meta: ObjectMeta, signal?: AbortSignal): Promise<void> {
    const url = this.urlFor(key);
    await this.client.send({
      method: 'PUT',
      url,
      label: key,
      body,
      headers: { 'content-type': meta.contentType, 'cache-control': meta.cacheControl },
      signal,
    });
  }

  async delete(key: string, signal?: AbortSignal): Promise<void> {
    const url = this.urlFor(key);
    // 404/410: already gone, which is what a delete wants.
    await this.client.send({ method: 'DELETE', url, label: key, okStatuses: [404, 410], signal });
  }

  async close(): Promise<void> {
    this.client.close();
  }
}

/**
 * Validates a relative object key and percent-encodes each of its path segments
 * ("720p/seg 1.ts" → "720p/seg%201.ts"). Throws a non-retryable OriginError for keys that
 * are absolute, empty, or contain "." / ".." segments or backslashes.
 */
export function encodeKey(key: string): string {
  return keySegments(key).map((p) => encodeURIComponent(p)).join('/');
}

export interface HttpSendRequest {
  method: 'PUT' | 'DELETE';
  url: URL;
  /** Used in error messages instead of the URL (e.g. the object key). */
  label: string;
  body?: Buffer;
  headers?: Record<string, string>;
  /** Statuses outside 2xx that also count as success (e.g. 404 on DELETE). */
  okStatuses?: number[];
  signal?: AbortSignal | undefined;
}

export interface HttpClientOptions {
  /** Sent with every request; per-request headers win. Names should be lower case. */
  headers: Record<string, string>;
  timeoutMs: number;
  maxSockets: number;
}

/**
 * One-attempt HTTP requests over keep-alive sockets, with errors mapped to OriginError.
 * Shared by the HTTP and Momento adapters.
 *
 * - 2xx (and okStatuses): resolves with the status.
 * - Other statuses: OriginError(retryable per isRetryableStatus, status, retryAfterMs).
 * - Network errors and the per-request timeout: OriginError(retryable = true, no status).
 * - The caller's AbortSignal: rejects with the signal's reason (an AbortError), not an OriginError.
 *
 * DELETE is sent without a body and without Transfer-Encoding (nginx answers 415 otherwise).
 * Error messages read "<METHOD> <label>: <detail>", e.g. "PUT 720p/seg_3.ts: 503 Service Unavailable".
 */
export class HttpClient {
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;

  constructor(private readonly options: HttpClientOptions) {
    const agentOptions = { keepAlive: true, maxSockets: options.maxSockets, maxFreeSockets: options.maxSockets };
    this.httpAgent = new http.Agent(agentOptions);
    this.httpsAgent = new https.Agent(agentOptions);
  }

  send(request: HttpSendRequest): Promise<number> {
    const { method, url, label, body, signal } = request;
    const callerSignal = signal;
    if (callerSignal?.aborted) return Promise.reject(abortReason(callerSignal));

    const timeoutMs = this.options.timeoutMs;
    const headers: Record<string, string> = { ...this.options.headers, ...request.headers };
    if (body) headers['content-length'] = String(body.length);
    else {
      delete headers['content-length'];
      delete headers['transfer-encoding'];
    }

    return new Promise<number>((resolve, reject) => {
      let settled = false;
      let timedOut = false;
      const finish = (error: unknown, status?: number): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        callerSignal?.removeEventListener('abort', onAbort);
        if (error) reject(error);
        else resolve(status ?? 0);
      };

      const isHttps = url.protocol === 'https:';
      const req = (isHttps ? https : http).request(url, {
        method,
        headers,
        agent: isHttps ? this.httpsAgent : this.httpAgent,
      });

      const timer = setTimeout(() => {
        timedOut = true;
        req.destroy(new Error('timeout'));
      }, timeoutMs);
      timer.unref?.();

      const onAbort = (): void => {
        req.destroy();
        finish(abortReason(callerSignal!));
      };
      callerSignal?.addEventListener('abort', onAbort, { once: true });

      req.on('error', (e: NodeJS.ErrnoException) => {
        if (callerSignal?.aborted) return finish(abortReason(callerSignal));
        if (timedOut) return finish(new OriginError(`${method} ${label}: timed out after ${timeoutMs} ms`, true));
        finish(new OriginError(`${method} ${label}: ${networkDetail(e)}`, true));
      });

      req.on('response', (res) => {
        const status = res.statusCode ?? 0;
        const ok = (status >= 200 && status < 300) || (request.okStatuses ?? []).includes(status);
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          // Keep a little of an error body for the message; drain the rest so the socket is reused.
          if (!ok && size < 4096) chunks.push(chunk);
          size += chunk.length;
        });
        res.on('error', (e: NodeJS.ErrnoException) => {
          if (callerSignal?.aborted) return finish(abortReason(callerSignal));
          if (timedOut) return finish(new OriginError(`${method} ${label}: timed out after ${timeoutMs} ms`, true));
          finish(new OriginError(`${method} ${label}: ${networkDetail(e)}`, true));
        });
        res.on('end', () => {
          if (ok) return finish(undefined, status);
          const detail = statusDetail(status, res.statusMessage, res.headers, Buffer.concat(chunks));
          const retryAfterMs = parseRetryAfter(headerValue(res.headers['retry-after']));
          finish(new OriginError(`${method} ${label}: ${detail}`, isRetryableStatus(status), status, retryAfterMs));
        });
      });

      req.end(body);
    });
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}

/** The reason an aborted signal carries, as an Error (an AbortError DOMException by default). */
export function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason;
  return new DOMException(typeof reason === 'string' ? reason : 'This operation was aborted', 'AbortError');
}

/** "ECONNREFUSED", "ECONNRESET", … or the message when there is no code. */
export function networkDetail(e: NodeJS.ErrnoException): string {
  if (e.code === 'ECONNRESET' && /socket hang up/i.test(e.message)) return 'ECONNRESET (connection closed by the origin)';
  return e.code ?? e.message;
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function statusDetail(status: number, statusMessage: string | undefined, headers: http.IncomingHttpHeaders, body: Buffer): string {
  let detail = `${status} ${statusMessage || http.STATUS_CODES[status] || ''}`.trim();
  const location = headerValue(headers.location);
  if (status >= 300 && status < 400 && location) detail += ` (redirected to ${location})`;
  // A short text or JSON explanation ("token expired") is worth showing; an HTML error page is not.
  const type = headerValue(headers['content-type']) ?? '';
  if (/^(text\/plain|application\/json)/i.test(type)) {
    const text = body.toString('utf8').trim().split('\n')[0]?.trim() ?? '';
    if (text && text.length <= 200 && !detail.includes(text)) detail += `: ${text}`;
  }
  return detail;
}
