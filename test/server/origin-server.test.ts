import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { createRequire } from 'node:module';
import { afterEach, describe, expect, it } from 'vitest';
import { RuntimeFailure, UsageError } from '../../src/errors.js';
import { MemoryObjectStore } from '../../src/server/object-store.js';
import { OriginServer, type OriginServerOptions } from '../../src/server/origin-server.js';
import { rawRequest } from './http-helpers.js';

const servers: OriginServer[] = [];

async function startServer(extra: Partial<OriginServerOptions> = {}): Promise<{ url: string; store: MemoryObjectStore; server: OriginServer }> {
  const store = new MemoryObjectStore();
  const server = new OriginServer({ store, host: '127.0.0.1', port: 0, ...extra });
  servers.push(server);
  const { url } = await server.start();
  return { url, store, server };
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

const PLAYLIST = '#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n';
const SEGMENT = Buffer.alloc(188 * 10, 0x47);

describe('OriginServer: objects', () => {
  it('round-trips PUT (201 then 204), GET, HEAD and DELETE (204 then 404)', async () => {
    const { url } = await startServer();
    const first = await fetch(`${url}/live/720p/seg_1.ts`, { method: 'PUT', body: SEGMENT });
    expect(first.status).toBe(201);
    expect(first.headers.get('etag')).toMatch(/^".+"$/);
    const again = await fetch(`${url}/live/720p/seg_1.ts`, { method: 'PUT', body: SEGMENT });
    expect(again.status).toBe(204);

    const get = await fetch(`${url}/live/720p/seg_1.ts`);
    expect(get.status).toBe(200);
    expect(Buffer.from(await get.arrayBuffer()).equals(SEGMENT)).toBe(true);
    expect(get.headers.get('content-length')).toBe(String(SEGMENT.length));
    expect(get.headers.get('etag')).toBe(first.headers.get('etag'));

    const head = await fetch(`${url}/live/720p/seg_1.ts`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(SEGMENT.length));
    expect(head.headers.get('content-type')).toBe('video/mp2t');
    expect((await head.arrayBuffer()).byteLength).toBe(0);

    expect((await fetch(`${url}/live/720p/seg_1.ts`, { method: 'DELETE' })).status).toBe(204);
    expect((await fetch(`${url}/live/720p/seg_1.ts`, { method: 'DELETE' })).status).toBe(404);
    expect((await fetch(`${url}/live/720p/seg_1.ts`)).status).toBe(404);
  });

  it('serves each kind with its content type and Cache-Control, whatever the client sent', async () => {
    const { url } = await startServer();
    const cases: [string, string, string][] = [
      ['live/master.m3u8', 'application/vnd.apple.mpegurl', 'public, max-age=1'],
      ['live/720p/index.m3u8', 'application/vnd.apple.mpegurl', 'public, max-age=1'],
      ['live/720p/seg_1.ts', 'video/mp2t', 'public, max-age=31536000, immutable'],
      ['live/720p/seg_1.m4s', 'video/mp4', 'public, max-age=31536000, immutable'],
      ['live/720p/init_0.mp4', 'video/mp4', 'public, max-age=31536000, immutable'],
    ];
    for (const [key, type, cache] of cases) {
      const put = await fetch(`${url}/${key}`, {
        method: 'PUT',
        body: key.endsWith('.m3u8') ? PLAYLIST : SEGMENT,
        headers: { 'Cache-Control': 'no-cache', 'Content-Type': 'application/octet-stream' },
      });
      expect(put.status).toBe(201);
      const get = await fetch(`${url}/${key}`);
      expect(get.headers.get('content-type'), key).toBe(type);
      expect(get.headers.get('cache-control'), key).toBe(cache);
      if (key.endsWith('.m3u8')) {
        const accel = get.headers.get('x-accel-expires') ?? '';
        expect(accel).toMatch(/^@\d+$/);
        expect(Math.abs(Number(accel.slice(1)) - Date.now() / 1000)).toBeLessThan(3);
      } else {
        expect(get.headers.get('x-accel-expires')).toBeNull();
      }
    }
  });

  it('keeps an explicit, specific request Content-Type', async () => {
    const { url } = await startServer();
    await fetch(`${url}/live/subs.vtt`, { method: 'PUT', body: 'WEBVTT\n', headers: { 'Content-Type': 'text/vtt; charset=utf-8' } });
    expect((await fetch(`${url}/live/subs.vtt`)).headers.get('content-type')).toBe('text/vtt; charset=utf-8');
  });

  it('answers If-None-Match with 304', async () => {
    const { url } = await startServer();
    await fetch(`${url}/live/master.m3u8`, { method: 'PUT', body: PLAYLIST });
    const first = await fetch(`${url}/live/master.m3u8`);
    const etag = first.headers.get('etag') ?? '';
    const cached = await fetch(`${url}/live/master.m3u8`, { headers: { 'If-None-Match': etag } });
    expect(cached.status).toBe(304);
    expect(cached.headers.get('etag')).toBe(etag);
    expect(cached.headers.get('cache-control')).toBe('public, max-age=1');
    await fetch(`${url}/live/master.m3u8`, { method: 'PUT', body: `${PLAYLIST}#EXT-X-ENDLIST\n` });
    expect((await fetch(`${url}/live/master.m3u8`, { headers: { 'If-None-Match': etag } })).status).toBe(200);
  });

  it('sends 404s with Cache-Control: no-store', async () => {
    const { url } = await startServer();
    const res = await fetch(`${url}/live/720p/seg_99.ts`);
    expect(res.status).toBe(404);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('uses a static CORS "*" even when the request carries an Origin', async () => {
    const { url } = await startServer();
    await fetch(`${url}/live/master.m3u8`, { method: 'PUT', body: PLAYLIST });
    const res = await rawRequest(url, 'GET', '/live/master.m3u8', { headers: { Origin: 'https://evil.example' } });
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(res.headers['access-control-expose-headers']).toMatch(/ETag/);
    expect(res.headers.vary).toBeUndefined();
    const preflight = await rawRequest(url, 'OPTIONS', '/live/master.m3u8', {
      headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'PUT' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('*');
    expect(preflight.headers['access-control-allow-methods']).toContain('PUT');
  });

  it('answers other methods with 405 and Allow', async () => {
    const { url } = await startServer();
    const res = await rawRequest(url, 'POST', '/live/x.ts', { body: 'x' });
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('GET, HEAD, PUT, DELETE, OPTIONS');
    expect((await rawRequest(url, 'PATCH', '/live/x.ts')).status).toBe(405);
    const onPage = await rawRequest(url, 'PUT', '/', { body: 'x' });
    expect(onPage.status).toBe(405);
    expect(onPage.headers.allow).toBe('GET, HEAD, OPTIONS');
  });

  it('refuses bodies over the limit with 413', async () => {
    const { url, store } = await startServer({ maxBodyBytes: 1024 });
    const declared = await rawRequest(url, 'PUT', '/live/big.ts', { body: Buffer.alloc(2048) });
    expect(declared.status).toBe(413);
    // Chunked, no Content-Length: refused while streaming.
    const chunked = await rawRequest(url, 'PUT', '/live/big2.ts', { body: Buffer.alloc(2048), headers: { 'Transfer-Encoding': 'chunked' } });
    expect(chunked.status).toBe(413);
    expect(await store.keys()).toEqual([]);
    expect((await rawRequest(url, 'PUT', '/live/ok.ts', { body: Buffer.alloc(1024) })).status).toBe(201);
  });
});

describe('OriginServer: path safety', () => {
  it.each(['/../x', '/%2e%2e/x', '/%2E%2E/x', '/live/..%2fx', '/a%2fb', '/a%5cb', '/a\\b', '/a%00b', '/a//b', '/a/./b', '/%zz'])(
    'refuses %s with 400',
    async (path) => {
      const { url, store } = await startServer();
      await store.put('x', Buffer.from('secret'), { contentType: 'text/plain', cacheControl: 'no-store' });
      for (const method of ['GET', 'PUT', 'DELETE']) {
        const res = await rawRequest(url, method, path, method === 'PUT' ? { body: 'x' } : {});
        expect(res.status, `${method} ${path}`).toBe(400);
        expect(res.headers['cache-control']).toBe('no-store');
      }
      expect(await store.keys()).toEqual(['x']);
    },
  );

  it('decodes once: %252e%252e is the literal name "%2e%2e"', async () => {
    const { url, store } = await startServer();
    expect((await rawRequest(url, 'PUT', '/%252e%252e/x', { body: 'ok' })).status).toBe(201);
    expect(await store.keys()).toEqual(['%2e%2e/x']);
    expect((await rawRequest(url, 'GET', '/%252e%252e/x')).body.toString()).toBe('ok');
  });
});

describe('OriginServer: auth and startup', () => {
  it('needs the bearer token to write when one is configured, not to read', async () => {
    const { url } = await startServer({ token: 's3cret' });
    const none = await fetch(`${url}/live/master.m3u8`, { method: 'PUT', body: PLAYLIST });
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    const wrong = await fetch(`${url}/live/master.m3u8`, { method: 'PUT', body: PLAYLIST, headers: { Authorization: 'Bearer nope' } });
    expect(wrong.status).toBe(401);
    const ok = await fetch(`${url}/live/master.m3u8`, { method: 'PUT', body: PLAYLIST, headers: { Authorization: 'Bearer s3cret' } });
    expect(ok.status).toBe(201);
    expect((await fetch(`${url}/live/master.m3u8`)).status).toBe(200);
    expect((await fetch(`${url}/live/master.m3u8`, { method: 'DELETE' })).status).toBe(401);
    expect((await fetch(`${url}/live/master.m3u8`, { method: 'DELETE', headers: { Authorization: 'Bearer s3cret' } })).status).toBe(204);
  });

  it('refuses to listen beyond loopback without a token', async () => {
    const server = new OriginServer({ store: new MemoryObjectStore(), host: '0.0.0.0', port: 0 });
    servers.push(server);
    const error = await server.start().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toBe('a token is required (--token or LIVEPIPE_ORIGIN_TOKEN) when listening on 0.0.0.0');
  });

  it('reports a port in use as a RuntimeFailure', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const server = new OriginServer({ store: new MemoryObjectStore(), host: '127.0.0.1', port });
      servers.push(server);
      const error = await server.start().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RuntimeFailure);
      expect((error as Error).message).toBe(`port ${port} is already in use on 127.0.0.1 (use --port)`);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it('stops while a keep-alive connection is open', async () => {
    const { url, server } = await startServer();
    await fetch(`${url}/_streams.json`); // fetch keeps the connection alive
    const started = Date.now();
    await server.stop();
    expect(Date.now() - started).toBeLessThan(1500);
    await expect(fetch(`${url}/_streams.json`)).rejects.toThrow();
  });
});

describe('OriginServer: player', () => {
  it('serves the player page, hls.js from node_modules and the stream list', async () => {
    const { url } = await startServer();
    const page = await fetch(`${url}/?stream=live`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await page.text();
    expect(html).toContain('hls.min.js');
    expect(html).toContain('_streams.json');
    expect(html).toContain('window.hls');
    expect(html).not.toMatch(/https?:\/\//); // no CDN

    const js = await fetch(`${url}/hls.min.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/javascript/);
    const file = await readFile(createRequire(import.meta.url).resolve('hls.js/dist/hls.min.js'));
    expect(Buffer.from(await js.arrayBuffer()).equals(file)).toBe(true);

    expect(await (await fetch(`${url}/_streams.json`)).json()).toEqual({ streams: [] });
    for (const key of ['live/master.m3u8', 'other/cam 1/master.m3u8', 'live/720p/index.m3u8']) {
      await fetch(`${url}/${key.replace(' ', '%20')}`, { method: 'PUT', body: PLAYLIST });
    }
    const list = await fetch(`${url}/_streams.json`);
    expect(list.headers.get('cache-control')).toBe('no-store');
    expect(await list.json()).toEqual({
      streams: [
        { name: 'live', url: '/live/master.m3u8' },
        { name: 'other/cam 1', url: '/other/cam%201/master.m3u8' },
      ],
    });
  });
});
