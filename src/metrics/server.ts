import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RuntimeFailure } from '../errors.js';
import { CONTENT_TYPE, type Registry } from './registry.js';

export interface MetricsServer {
  /** `http://127.0.0.1:<port>/metrics` */
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * Serves `registry` in the Prometheus text format at GET /metrics, on loopback only (127.0.0.1)
 * unless another host is given. Port 0 picks a free port (see `url`).
 */
export async function startMetricsServer(port: number, registry: Registry, host = '127.0.0.1'): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found: metrics are at /metrics\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('method not allowed\n');
      return;
    }
    let body: string;
    try {
      body = registry.render();
    } catch (e) {
      res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end(`${(e as Error).message}\n`);
      return;
    }
    res.writeHead(200, { 'content-type': CONTENT_TYPE, 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  await new Promise<void>((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException) => reject(listenFailure(e, host, port));
    server.once('error', onError);
    server.listen({ host, port }, () => {
      server.off('error', onError);
      resolve();
    });
  });
  server.on('error', () => undefined);
  const actual = (server.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${actual}/metrics`,
    port: actual,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function listenFailure(e: NodeJS.ErrnoException, host: string, port: number): Error {
  switch (e.code) {
    case 'EADDRINUSE':
      return new RuntimeFailure(`--metrics-port ${port} is already in use on ${host}`);
    case 'EACCES':
      return new RuntimeFailure(`permission denied to listen on --metrics-port ${port} (use a port above 1023)`);
    default:
      return new RuntimeFailure(`cannot serve metrics on ${host}:${port}: ${e.message}`);
  }
}
