import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIP } from 'node:net';

export const ALLOWED_METHODS = 'GET, HEAD, PUT, DELETE, OPTIONS';
export const READ_ONLY_METHODS = 'GET, HEAD, OPTIONS';

/**
 * Headers on every response. CORS is a static `*`, never the request's Origin reflected back:
 * a reflected value without `Vary: Origin` poisons shared caches, and with it splits them.
 */
export function setCommonHeaders(res: ServerResponse): void {
  res.setHeader('Access-Control-Allow-Origin', '*');
  res.setHeader('Access-Control-Expose-Headers', 'Content-Length, Content-Type, ETag, Last-Modified, Date, Age, Cache-Control');
  res.setHeader('Timing-Allow-Origin', '*');
  res.setHeader('X-Content-Type-Options', 'nosniff');
}

/** A short plain-text answer that no cache keeps (errors, 404s, write acknowledgements). */
export function sendText(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  const body = text === '' ? '' : `${text}\n`;
  res.writeHead(status, {
    'Cache-Control': 'no-store',
    ...(body ? { 'Content-Type': 'text/plain; charset=utf-8' } : {}),
    // 204 and 304 carry no body and, per RFC 9110, no Content-Length.
    ...(status === 204 || status === 304 ? {} : { 'Content-Length': String(Buffer.byteLength(body)) }),
    ...headers,
  });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

/** The request body, or undefined once it exceeds `maxBytes` (the rest is then discarded). */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    let done = false;
    const finish = (result: Buffer | undefined, error?: Error): void => {
      if (done) return;
      done = true;
      req.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose);
      if (error) reject(error);
      else resolve(result);
    };
    const onData = (chunk: Buffer): void => {
      total += chunk.length;
      if (total > maxBytes) {
        finish(undefined);
        req.resume(); // keep draining without keeping anything
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => finish(Buffer.concat(chunks, total));
    const onError = (e: Error): void => finish(undefined, e);
    const onClose = (): void => finish(undefined, new Error('the client closed the connection before the body ended'));
    req.on('data', onData).on('end', onEnd).on('error', onError).on('close', onClose);
  });
}

/** If-None-Match: a list of entity tags or `*`, compared weakly (RFC 9110 13.1.2). */
export function etagMatches(ifNoneMatch: string, etag: string): boolean {
  if (ifNoneMatch.trim() === '*') return true;
  const bare = (tag: string): string => tag.trim().replace(/^W\//, '');
  return ifNoneMatch.split(',').some((tag) => bare(tag) === bare(etag));
}

/** `Authorization: Bearer <token>`, compared in constant time. */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const match = /^Bearer\s+(.+)$/i.exec(header?.trim() ?? '');
  if (!match?.[1]) return false;
  const digest = (s: string): Buffer => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(match[1].trim()), digest(token));
}

/** Only these hosts may run without a write token. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1' || /^::ffff:127\./.test(h);
  return false;
}

/** Host as it goes into a URL; wildcard addresses become the loopback address that reaches them. */
export function urlHost(host: string): string {
  const h = host.replace(/^\[(.*)\]$/, '$1');
  if (h === '' || h === '0.0.0.0') return '127.0.0.1';
  if (h === '::') return '[::1]';
  return isIP(h) === 6 ? `[${h}]` : h;
}
