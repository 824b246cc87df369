/**
 * FaultOrigin: a tiny in-memory HTTP origin on 127.0.0.1 for tests that need to see or break
 * what an origin receives. It stores objects on PUT, serves them on GET/HEAD, removes them on DELETE,
 * records every request, and injects faults on demand.
 *
 *   const origin = await FaultOrigin.start();          // origin.url === 'http://127.0.0.1:<port>/'
 *   origin.inject({ status: 503, forMs: 2000 });        // every request fails with 503 for 2 s
 *   origin.inject({ status: 429, retryAfter: '1', times: 3, match: { method: 'PUT' } });
 *   origin.inject({ delayMs: 5000, match: { path: /\.m3u8$/ } });   // slow playlists
 *   origin.inject({ action: 'destroy', times: 1 });     // the next request gets its socket closed
 *   await origin.goOffline(); … await origin.goOnline(); // connections refused in between
 *   await origin.waitFor((r) => r.method === 'PUT' && r.path === '/live/master.m3u8');
 *   origin.object('/live/master.m3u8')?.body            // what was stored
 *   await origin.stop();
 *
 * Paths are the raw request paths (still percent-encoded), without the query string.
 * Faults are checked in the order they were injected; the first one that matches applies.
 * Only for fault injection and for services that cannot run here (Momento): everything else is
 * tested against the real server (nginx, s3rver).
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface RecordedRequest {
  method: string;
  /** Raw path (percent-encoded), without the query string. */
  path: string;
  query: string;
  /** Lower-case names, as Node parses them. */
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  /** Date.now() when the request line arrived. */
  time: number;
  /** Date.now() when the answer was sent (or the socket closed); undefined while in flight. */
  endTime?: number;
  /** Status answered, or 0 when the connection was closed without an answer. */
  status?: number;
  /** The fault that applied, if any. */
  fault?: FaultSpec;
}

export interface FaultMatch {
  /** 'PUT', 'DELETE', 'GET', 'HEAD' or a list of them. */
  method?: string | string[];
  /** A path prefix (string) or a pattern tested against the raw path. */
  path?: string | RegExp;
}

export interface FaultSpec {
  /** Which requests; all when omitted. */
  match?: FaultMatch;
  /** Answer with this status instead of handling the request (the request body is still read). */
  status?: number;
  /** Retry-After header value sent with `status` ("2" or an HTTP date). */
  retryAfter?: string;
  /** Wait this long before answering (or before closing, with action 'destroy'). */
  delayMs?: number;
  /**
   * 'respond' (default): answer normally (or with `status`) after `delayMs`.
   * 'destroy': close the connection without an answer (client sees ECONNRESET / socket hang up).
   * 'hang': never answer (the client's timeout must fire); the socket is closed on stop().
   */
  action?: 'respond' | 'destroy' | 'hang';
  /** Apply to this many matching requests, then expire. Unlimited when omitted. */
  times?: number;
  /** Apply only for this long from injection. Unlimited when omitted. */
  forMs?: number;
}

export interface Fault {
  readonly spec: FaultSpec;
  /** How many requests it has applied to. */
  readonly hits: number;
  /** Stops it applying. */
  remove(): void;
}

export interface StoredObject {
  body: Buffer;
  headers: http.IncomingHttpHeaders;
  storedAt: number;
}

export interface FaultOriginOptions {
  /** Status answered to a successful PUT: default 201 for a new object, 204 for an overwrite. */
  putStatus?: number;
  /** Status answered to a successful DELETE (default 204); a missing object gets 404. */
  deleteStatus?: number;
  /** Port to listen on (default 0: any free port). */
  port?: number;
}

interface ActiveFault extends Fault {
  spec: FaultSpec;
  hits: number;
  until: number;
  removed: boolean;
}

export class FaultOrigin {
  /** Every request, in arrival order. */
  readonly requests: RecordedRequest[] = [];
  /** Stored objects by raw path. */
  readonly objects = new Map<string, StoredObject>();
  private faults: ActiveFault[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly waiters = new Set<() => void>();
  private server: http.Server | undefined;
  private port = 0;

  private constructor(private readonly options: FaultOriginOptions) {}

  /** Starts listening on 127.0.0.1. */
  static async start(options: FaultOriginOptions = {}): Promise<FaultOrigin> {
    const origin = new FaultOrigin(options);
    await origin.listen(options.port ?? 0);
    return origin;
  }

  /** "http://127.0.0.1:<port>/" */
  get url(): string {
    return `http://127.0.0.1:${this.port}/`;
  }

  /** Adds a fault; see FaultSpec. */
  inject(spec: FaultSpec): Fault {
    const fault: ActiveFault = {
      spec,
      hits: 0,
      until: spec.forMs === undefined ? Infinity : Date.now() + spec.forMs,
      removed: false,
      remove: () => {
        fault.removed = true;
        this.faults = this.faults.filter((f) => f !== fault);
      },
    };
    this.faults.push(fault);
    return fault;
  }

  /** Removes every fault. */
  clearFaults(): void {
    for (const f of this.faults) f.removed = true;
    this.faults = [];
  }

  /** The stored object at a raw path ("/live/master.m3u8"). */
  object(path: string): StoredObject | undefined {
    return this.objects.get(path);
  }

  /** Recorded requests that match (all when no filter). */
  filter(match: FaultMatch = {}): RecordedRequest[] {
    return this.requests.filter((r) => matches(match, r.method, r.path));
  }

  /**
   * Resolves with the first recorded request (past or future) for which `predicate` is true and
   * that has been answered; rejects after `timeoutMs` (default 10 s).
   */
  waitFor(predicate: (r: RecordedRequest) => boolean, timeoutMs = 10_000): Promise<RecordedRequest> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const found = this.requests.find((r) => r.endTime !== undefined && predicate(r));
        if (!found) return false;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(found);
        return true;
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`FaultOrigin.waitFor: no matching request within ${timeoutMs} ms (${this.requests.length} recorded)`));
      }, timeoutMs);
      if (!check()) this.waiters.add(check);
    });
  }

  /** Stops listening and closes every connection: clients get ECONNREFUSED until goOnline(). */
  async goOffline(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    await closed;
  }

  /** Listens again on the same port. */
  async goOnline(): Promise<void> {
    if (!this.server) await this.listen(this.port);
  }

  /** Stops the server and closes every connection (including hanging ones). */
  async stop(): Promise<void> {
    this.clearFaults();
    await this.goOffline();
  }

  private async listen(port: number): Promise<void> {
    const server = http.createServer((req, res) => void this.handle(req, res));
    server.keepAliveTimeout = 5_000;
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  private takeFault(method: string, path: string): FaultSpec | undefined {
    const now = Date.now();
    for (const f of this.faults) {
      if (f.removed || now > f.until) continue;
      if (f.spec.times !== undefined && f.hits >= f.spec.times) continue;
      if (!matches(f.spec.match ?? {}, method, path)) continue;
      f.hits++;
      return f.spec;
    }
    return undefined;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const rawUrl = req.url ?? '/';
    const q = rawUrl.indexOf('?');
    const path = q < 0 ? rawUrl : rawUrl.slice(0, q);
    const method = (req.method ?? 'GET').toUpperCase();
    const record: RecordedRequest = {
      method,
      path,
      query: q < 0 ? '' : rawUrl.slice(q + 1),
      headers: req.headers,
      body: Buffer.alloc(0),
      time: Date.now(),
    };
    this.requests.push(record);
    const fault = this.takeFault(method, path);
    if (fault) record.fault = fault;

    const chunks: Buffer[] = [];
    try {
      for await (const chunk of req) chunks.push(chunk as Buffer);
    } catch {
      this.finish(record, 0);
      return;
    }
    record.body = Buffer.concat(chunks);

    if (fault?.delayMs) await sleep(fault.delayMs);
    if (fault?.action === 'hang') return; // closed by stop()/goOffline() or by the client
    if (fault?.action === 'destroy') {
      req.socket.destroy();
      this.finish(record, 0);
      return;
    }
    if (res.destroyed) {
      this.finish(record, 0);
      return;
    }
    if (fault?.status !== undefined) {
      const headers: http.OutgoingHttpHeaders = { 'content-type': 'text/plain' };
      if (fault.retryAfter !== undefined) headers['retry-after'] = fault.retryAfter;
      this.send(res, record, fault.status, headers, `${fault.status} ${http.STATUS_CODES[fault.status] ?? ''}\n`);
      return;
    }
    this.serve(method, path, record, req, res);
  }

  private serve(method: string, path: string, record: RecordedRequest, req: http.IncomingMessage, res: http.ServerResponse): void {
    switch (method) {
      case 'PUT': {
        const existed = this.objects.has(path);
        this.objects.set(path, { body: record.body, headers: req.headers, storedAt: Date.now() });
        this.send(res, record, this.options.putStatus ?? (existed ? 204 : 201));
        return;
      }
      case 'DELETE': {
        const existed = this.objects.delete(path);
        this.send(res, record, existed ? (this.options.deleteStatus ?? 204) : 404);
        return;
      }
      case 'GET':
      case 'HEAD': {
        const obj = this.objects.get(path);
        if (!obj) {
          this.send(res, record, 404, { 'cache-control': 'no-store' });
          return;
        }
        const headers: http.OutgoingHttpHeaders = { 'content-length': obj.body.length };
        for (const name of ['content-type', 'cache-control'] as const) {
          const v = obj.headers[name] ?? obj.headers[`mo-meta-${name}`];
          if (v !== undefined) headers[name as string] = v;
        }
        res.writeHead(200, headers);
        res.end(method === 'HEAD' ? undefined : obj.body);
        this.finish(record, 200);
        return;
      }
      default:
        this.send(res, record, 405, { allow: 'GET, HEAD, PUT, DELETE' });
    }
  }

  private send(res: http.ServerResponse, record: RecordedRequest, status: number, headers: http.OutgoingHttpHeaders = {}, body?: string): void {
    if (status === 204 || status === 304) body = undefined;
    res.writeHead(status, { ...headers, ...(body === undefined ? {} : { 'content-length': Buffer.byteLength(body) }) });
    res.end(body);
    this.finish(record, status);
  }

  private finish(record: RecordedRequest, status: number): void {
    record.status = status;
    record.endTime = Date.now();
    for (const w of [...this.waiters]) w();
  }
}

function matches(match: FaultMatch, method: string, path: string): boolean {
  if (match.method !== undefined) {
    const methods = (Array.isArray(match.method) ? match.method : [match.method]).map((m) => m.toUpperCase());
    if (!methods.includes(method)) return false;
  }
  if (match.path !== undefined) {
    if (typeof match.path === 'string' ? !path.startsWith(match.path) : !match.path.test(path)) return false;
  }
  return true;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
