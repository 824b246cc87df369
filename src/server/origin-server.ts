import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RuntimeFailure, UsageError } from '../errors.js';
import { metaForKey } from '../origins/object-meta.js';
import { OriginError } from '../origins/origin.js';
import { BuiltinAssets, BUILTIN_KEYS } from './builtin-assets.js';
import {
  ALLOWED_METHODS,
  bearerMatches,
  etagMatches,
  isLoopbackHost,
  readBody,
  READ_ONLY_METHODS,
  sendText,
  setCommonHeaders,
  urlHost,
} from './http-util.js';
import type { ObjectStore, StoredObject } from './object-store.js';
import { parseRequestPath } from './request-path.js';

export interface OriginServerOptions {
  store: ObjectStore;
  host: string;
  port: number;
  /** Bearer token required for PUT and DELETE; mandatory when `host` is not loopback. */
  token?: string | undefined;
  /** Largest accepted PUT body (413 above it). Default 64 MiB. */
  maxBodyBytes?: number | undefined;
}

export const DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024;
/** Longer than the idle timeout of common proxies and CDN edges (60 s), so the origin never closes first. */
const KEEP_ALIVE_MS = 65_000;
/** In-flight requests get this long to finish on stop() before their connections are cut. */
const STOP_GRACE_MS = 2_000;
/** Request Content-Types that say nothing about the object: the key's own type is used instead. */
const GENERIC_TYPES = new Set(['application/octet-stream', 'application/x-www-form-urlencoded', 'multipart/form-data']);

/**
 * The built-in HTTP origin (`livepipe serve`, and `ingest` without `--origin`): PUT, DELETE, GET and
 * HEAD under any path, the player page at "/", hls.js at "/hls.min.js", the stream list at
 * "/_streams.json". Request handling is asynchronous throughout, so a future LL-HLS blocking playlist
 * reload can hold a GET on `store.waitFor()` without blocking anything else.
 */
export class OriginServer {
  private server: Server | undefined;
  private baseUrl: string | undefined;
  private readonly assets: BuiltinAssets;
  private readonly maxBodyBytes: number;
  private readonly token: string | undefined;
  /** Aborted by stop(): anything held open (future blocking reloads) listens to it. */
  private lifetime = new AbortController();

  constructor(private readonly opts: OriginServerOptions) {
    this.assets = new BuiltinAssets(opts.store);
    this.maxBodyBytes = opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    this.token = opts.token || undefined;
  }

  /** "http://127.0.0.1:8080" once started. */
  get url(): string | undefined {
    return this.baseUrl;
  }

  async start(): Promise<{ url: string }> {
    if (this.server) throw new Error('the origin server is already started');
    const { host, port } = this.opts;
    if (!this.token && !isLoopbackHost(host)) {
      throw new UsageError(`a token is required (--token or LIVEPIPE_ORIGIN_TOKEN) when listening on ${host}`);
    }
    const server = createServer((req, res) => void this.handle(req, res));
    server.keepAliveTimeout = KEEP_ALIVE_MS;
    server.headersTimeout = KEEP_ALIVE_MS + 1_000;
    // `Expect: 100-continue`: answer 401/413 before the client sends a body we would refuse.
    server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => void this.handle(req, res, true));
    await new Promise<void>((resolve, reject) => {
      const onError = (e: NodeJS.ErrnoException): void => {
        server.off('listening', onListening);
        reject(listenFailure(e, host, port));
      };
      const onListening = (): void => {
        server.off('error', onError);
        resolve();
      };
      server.once('error', onError).once('listening', onListening);
      server.listen({ host: host.replace(/^\[(.*)\]$/, '$1'), port });
    });
    server.on('error', () => undefined); // after listen, errors belong to single connections
    this.lifetime = new AbortController();
    this.server = server;
    this.baseUrl = `http://${urlHost(host)}:${(server.address() as AddressInfo).port}`;
    return { url: this.baseUrl };
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    this.lifetime.abort(new Error('the origin server is stopping'));
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const cut = setTimeout(() => server.closeAllConnections(), STOP_GRACE_MS);
    await closed;
    clearTimeout(cut);
  }

  private async handle(req: IncomingMessage, res: ServerResponse, expectsContinue = false): Promise<void> {
    try {
      await this.route(req, res, expectsContinue);
    } catch (e) {
      if (res.headersSent) {
        res.destroy();
      } else if (e instanceof OriginError) {
        sendText(res, 400, e.message); // a key the store refuses
      } else {
        const code = (e as NodeJS.ErrnoException).code;
        const conflict = code === 'ENOTDIR' || code === 'EISDIR' || code === 'EEXIST';
        sendText(res, conflict ? 409 : 500, conflict ? 'the path conflicts with an existing object or folder' : 'internal error');
      }
    }
  }

  private async route(req: IncomingMessage, res: ServerResponse, expectsContinue: boolean): Promise<void> {
    setCommonHeaders(res);
    const method = req.method ?? 'GET';
    if (method === 'OPTIONS') return this.preflight(res);
    if (!['GET', 'HEAD', 'PUT', 'DELETE'].includes(method)) {
      return sendText(res, 405, `method ${method} is not allowed`, { Allow: ALLOWED_METHODS });
    }
    const parsed = parseRequestPath(req.url ?? '/');
    if (!parsed.ok) return sendText(res, 400, `bad path: ${parsed.reason}`);
    const key = parsed.key;
    const builtin = BUILTIN_KEYS.has(key);

    if (method === 'GET' || method === 'HEAD') {
      const object = builtin ? await this.assets.get(key) : await this.opts.store.get(key);
      if (!object) return sendText(res, 404, 'not found');
      return this.serve(req, res, key, object);
    }

    if (builtin) return sendText(res, 405, `${method} is not allowed on /${key}`, { Allow: READ_ONLY_METHODS });
    if (this.token && !bearerMatches(req.headers.authorization, this.token)) {
      return sendText(res, 401, 'a valid bearer token is required to write', { 'WWW-Authenticate': 'Bearer realm="livepipe"' });
    }
    if (method === 'DELETE') {
      const existed = await this.opts.store.delete(key);
      return existed ? sendText(res, 204, '') : sendText(res, 404, 'not found');
    }
    return this.put(req, res, key, expectsContinue);
  }

  private async put(req: IncomingMessage, res: ServerResponse, key: string, expectsContinue: boolean): Promise<void> {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > this.maxBodyBytes) return this.tooLarge(res);
    if (expectsContinue) res.writeContinue();
    const body = await readBody(req, this.maxBodyBytes);
    if (!body) return this.tooLarge(res);
    // Content-Type: the client's, unless absent or generic (ffmpeg sends none; curl --data-binary sends
    // a form type); then the key's kind decides (metaForKey).
    // Cache-Control: ALWAYS from metaForKey(key), whatever the client sent. On a request, Cache-Control
    // is a request directive (a client or proxy adding `no-cache` means "do not answer me from a cache"),
    // not metadata for the object; and this server is the one place that enforces DESIGN.md 2, so no
    // client can make segments uncacheable or a playlist cacheable for an hour behind a CDN.
    const meta = metaForKey(key);
    const sent = req.headers['content-type']?.trim();
    const contentType = sent && !GENERIC_TYPES.has(sent.split(';')[0]!.trim().toLowerCase()) ? sent : meta.contentType;
    const { created, object } = await this.opts.store.put(key, body, { contentType, cacheControl: meta.cacheControl });
    sendText(res, created ? 201 : 204, '', { ETag: object.etag, ...(created ? { Location: req.url ?? `/${key}` } : {}) });
  }

  private serve(req: IncomingMessage, res: ServerResponse, key: string, object: StoredObject): void {
    const headers: Record<string, string> = {
      'Content-Type': object.contentType,
      'Cache-Control': object.cacheControl,
      ETag: object.etag,
      'Last-Modified': object.lastModified.toUTCString(),
    };
    // nginx caches whole seconds: with max-age=1 a playlist could be ~2 s old at the edge. An absolute
    // expiry at the current second keeps it within ~1 s (FIELD-NOTES, "Behind a CDN edge").
    if (key.toLowerCase().endsWith('.m3u8')) headers['X-Accel-Expires'] = `@${Math.floor(Date.now() / 1000)}`;
    if (notModified(req, object)) {
      res.writeHead(304, headers);
      res.end();
      return;
    }
    res.writeHead(200, { ...headers, 'Content-Length': String(object.body.length) });
    res.end(req.method === 'HEAD' ? undefined : object.body);
  }

  private preflight(res: ServerResponse): void {
    res.writeHead(204, {
      'Access-Control-Allow-Methods': ALLOWED_METHODS,
      'Access-Control-Allow-Headers': 'Authorization, Content-Type, If-None-Match, If-Modified-Since, Range, Cache-Control',
      'Access-Control-Max-Age': '86400',
      'Cache-Control': 'no-store',
    });
    res.end();
  }

  private tooLarge(res: ServerResponse): void {
    // Close the connection: the rest of an oversized body is not worth reading.
    sendText(res, 413, `the body is larger than ${this.maxBodyBytes} bytes`, { Connection: 'close' });
  }
}

function notModified(req: IncomingMessage, object: StoredObject): boolean {
  const ifNoneMatch = req.headers['if-none-match'];
  if (ifNoneMatch !== undefined) return etagMatches(ifNoneMatch, object.etag);
  const since = Date.parse(req.headers['if-modified-since'] ?? '');
  return !Number.isNaN(since) && Math.floor(object.lastModified.getTime() / 1000) * 1000 <= since;
}

function listenFailure(e: NodeJS.ErrnoException, host: string, port: number): Error {
  switch (e.code) {
    case 'EADDRINUSE':
      return new RuntimeFailure(`port ${port} is already in use on ${host} (use --port)`);
    case 'EACCES':
      return new RuntimeFailure(`permission denied to listen on port ${port} of ${host} (use --port above 1023)`);
    case 'EADDRNOTAVAIL':
      return new UsageError(`cannot listen on ${host}: no such local address (use --host)`);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new UsageError(`cannot resolve --host ${host}`);
    default:
      return new RuntimeFailure(`cannot listen on ${host}:${port}: ${e.message}`);
  }
}
