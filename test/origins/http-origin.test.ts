import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrigin } from '../../src/origins/create-origin.js';
import { HttpOrigin, encodeKey } from '../../src/origins/http-origin.js';
import { metaForKey } from '../../src/origins/object-meta.js';
import { OriginError } from '../../src/origins/origin.js';
import { FaultOrigin } from '../helpers/fault-origin.js';
import { startNginx, type NginxServer } from '../helpers/nginx.js';

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

describe('HttpOrigin against nginx (WebDAV)', () => {
  let nginx: NginxServer;
  let origin: HttpOrigin;

  beforeAll(async () => {
    nginx = await startNginx();
    origin = new HttpOrigin(`${nginx.url}live/`, {
      headers: [['X-Livepipe-Test', 'yes']],
      token: 's3cret',
    });
  });

  afterAll(async () => {
    await origin?.close();
    await nginx?.stop();
  });

  it('puts, overwrites and reads back byte-exact', async () => {
    const first = randomBytes(300_000);
    await origin.put('720p/seg_1.ts', first, metaForKey('720p/seg_1.ts'));
    let res = await fetch(`${nginx.url}live/720p/seg_1.ts`);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(first)).toBe(true);

    const second = randomBytes(1234);
    await origin.put('720p/seg_1.ts', second, metaForKey('720p/seg_1.ts'));
    res = await fetch(`${nginx.url}live/720p/seg_1.ts`);
    expect(Buffer.from(await res.arrayBuffer()).equals(second)).toBe(true);
    expect((await readFile(path.join(nginx.root, 'live/720p/seg_1.ts'))).equals(second)).toBe(true);
  });

  it('deletes (204) and treats a missing object as deleted', async () => {
    await origin.put('master.m3u8', Buffer.from('#EXTM3U\n'), metaForKey('master.m3u8'));
    await origin.delete('master.m3u8');
    expect((await fetch(`${nginx.url}live/master.m3u8`)).status).toBe(404);
    await expect(origin.delete('master.m3u8')).resolves.toBeUndefined();
    await expect(origin.delete('never/was/there.ts')).resolves.toBeUndefined();
    const log = await nginx.accessLog();
    const deletes = log.filter((l) => l.method === 'DELETE');
    expect(deletes.map((l) => l.status)).toEqual([204, 404, 404]);
  });

  it('sends content type, cache control, length, extra headers and the bearer token; DELETE has no body', async () => {
    await origin.put('480p/index.m3u8', Buffer.from('#EXTM3U\n'), metaForKey('480p/index.m3u8'));
    await origin.delete('480p/index.m3u8');
    const log = await nginx.accessLog();
    const put = log.find((l) => l.method === 'PUT' && l.path === '/live/480p/index.m3u8');
    expect(put).toMatchObject({
      contentType: 'application/vnd.apple.mpegurl',
      cacheControl: 'public, max-age=1',
      contentLength: '8',
      transferEncoding: '',
      authorization: 'Bearer s3cret',
      xLivepipeTest: 'yes',
    });
    expect([201, 204]).toContain(put!.status);
    const del = log.find((l) => l.method === 'DELETE' && l.path === '/live/480p/index.m3u8');
    expect(del).toMatchObject({ status: 204, transferEncoding: '', contentLength: '' });
  });

  it('percent-encodes each key segment', async () => {
    const body = Buffer.from('odd name');
    await origin.put('odd dir/seg #1?.ts', body, metaForKey('seg.ts'));
    const res = await fetch(`${nginx.url}live/odd%20dir/seg%20%231%3F.ts`);
    expect(Buffer.from(await res.arrayBuffer()).toString()).toBe('odd name');
    expect(origin.urlFor('odd dir/seg #1?.ts').href).toBe(`${nginx.url}live/odd%20dir/seg%20%231%3F.ts`);
    expect(origin.playbackUrl).toBe(`${nginx.url}live/master.m3u8`);
  });

  it('refuses unsafe keys without sending anything', async () => {
    for (const key of ['../escape.ts', '/abs.ts', 'a//b.ts', 'a/./b.ts', '']) {
      const e = await rejection(origin.put(key, Buffer.from('x'), metaForKey(key)));
      expect(e).toBeInstanceOf(OriginError);
      expect((e as OriginError).retryable).toBe(false);
    }
    expect(encodeKey('720p/seg_1.ts')).toBe('720p/seg_1.ts');
  });

  it('keeps connections alive across requests', async () => {
    const o = new HttpOrigin(`${nginx.url}ka/`);
    try {
      for (let i = 0; i < 5; i++) await o.put(`seg_${i}.ts`, Buffer.from([i]), metaForKey('x.ts'));
    } finally {
      await o.close();
    }
    // Not observable in nginx's log without $connection; asserting success of sequential reuse is enough.
    expect((await fetch(`${nginx.url}ka/seg_4.ts`)).status).toBe(200);
  });
});

describe('HttpOrigin failure mapping (fault origin)', () => {
  let fault: FaultOrigin;
  let origin: HttpOrigin;
  const meta = metaForKey('seg.ts');

  beforeAll(async () => {
    fault = await FaultOrigin.start();
    origin = new HttpOrigin(`${fault.url}live`, { timeoutMs: 500 });
  });

  afterAll(async () => {
    await origin?.close();
    await fault?.stop();
  });

  it('records the request it sends (base path without trailing slash still is a folder)', async () => {
    await origin.put('a/seg_1.ts', Buffer.from('abc'), meta);
    await origin.delete('a/seg_1.ts');
    const [put, del] = fault.requests.slice(-2);
    expect(put).toMatchObject({ method: 'PUT', path: '/live/a/seg_1.ts', status: 201 });
    expect(put!.headers['content-type']).toBe('video/mp2t');
    expect(put!.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(put!.headers['content-length']).toBe('3');
    expect(put!.headers['transfer-encoding']).toBeUndefined();
    expect(put!.headers.authorization).toBeUndefined();
    expect(del).toMatchObject({ method: 'DELETE', path: '/live/a/seg_1.ts', status: 204 });
    expect(del!.headers['transfer-encoding']).toBeUndefined();
    expect(del!.headers['content-length']).toBeUndefined();
    expect(del!.body.length).toBe(0);
  });

  it('5xx → retryable with status', async () => {
    const f = fault.inject({ status: 503, times: 1 });
    const e = (await rejection(origin.put('seg.ts', Buffer.from('x'), meta))) as OriginError;
    expect(e).toBeInstanceOf(OriginError);
    expect(e).toMatchObject({ retryable: true, status: 503 });
    expect(e.message).toBe('PUT seg.ts: 503 Service Unavailable');
    expect(f.hits).toBe(1);
  });

  it('429 → retryable with retryAfterMs from Retry-After', async () => {
    fault.inject({ status: 429, retryAfter: '3', times: 1 });
    const e = (await rejection(origin.put('seg.ts', Buffer.from('x'), meta))) as OriginError;
    expect(e).toMatchObject({ retryable: true, status: 429, retryAfterMs: 3000 });
  });

  it('403 → not retryable; 404 on PUT → not retryable; 404 on DELETE → success', async () => {
    fault.inject({ status: 403, times: 1 });
    const e = (await rejection(origin.put('seg.ts', Buffer.from('x'), meta))) as OriginError;
    expect(e).toMatchObject({ retryable: false, status: 403 });
    fault.inject({ status: 404, times: 2 });
    expect(await rejection(origin.put('seg.ts', Buffer.from('x'), meta))).toMatchObject({ retryable: false, status: 404 });
    await expect(origin.delete('seg.ts')).resolves.toBeUndefined();
  });

  it('408 → retryable', async () => {
    fault.inject({ status: 408, times: 1 });
    expect(await rejection(origin.put('seg.ts', Buffer.from('x'), meta))).toMatchObject({ retryable: true, status: 408 });
  });

  it('timeout → retryable without status', async () => {
    fault.inject({ delayMs: 2_000, times: 1 });
    const started = Date.now();
    const e = (await rejection(origin.put('slow.ts', Buffer.from('x'), meta))) as OriginError;
    expect(e).toBeInstanceOf(OriginError);
    expect(e.retryable).toBe(true);
    expect(e.status).toBeUndefined();
    expect(e.message).toMatch(/timed out after 500 ms/);
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it('closed connection → retryable', async () => {
    fault.inject({ action: 'destroy', times: 1 });
    const e = (await rejection(origin.put('seg.ts', Buffer.from('x'), meta))) as OriginError;
    expect(e).toMatchObject({ retryable: true, status: undefined });
    expect(e.message).toMatch(/ECONNRESET/);
  });

  it('connection refused → retryable, and works again when the origin is back', async () => {
    await fault.goOffline();
    try {
      const e = (await rejection(origin.put('seg.ts', Buffer.from('x'), meta))) as OriginError;
      expect(e).toMatchObject({ retryable: true });
      expect(e.message).toMatch(/ECONNREFUSED/);
    } finally {
      await fault.goOnline();
    }
    await expect(origin.put('seg.ts', Buffer.from('x'), meta)).resolves.toBeUndefined();
  });

  it("the caller's AbortSignal aborts an in-flight request with an AbortError", async () => {
    fault.inject({ action: 'hang', times: 1 });
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(), 100);
    const e = (await rejection(origin.put('hang.ts', Buffer.from('x'), meta, controller.signal))) as Error;
    expect(e).not.toBeInstanceOf(OriginError);
    expect(e.name).toBe('AbortError');
    expect(Date.now() - started).toBeLessThan(450);
    // Already aborted: nothing is sent.
    const before = fault.requests.length;
    expect(((await rejection(origin.delete('x.ts', controller.signal))) as Error).name).toBe('AbortError');
    expect(fault.requests.length).toBe(before);
  });

  it('createOrigin: LIVEPIPE_ORIGIN_TOKEN and --header reach the origin; an explicit Authorization header wins', async () => {
    const viaEnv = createOrigin(`${fault.url}tok/`, { headers: ['X-Api-Key: abc'], env: { LIVEPIPE_ORIGIN_TOKEN: 'env-token' } });
    const explicit = createOrigin(`${fault.url}tok/`, { headers: ['authorization: Custom xyz'], token: 'ignored' });
    try {
      await viaEnv.put('a.ts', Buffer.from('a'), meta);
      expect(fault.requests.at(-1)!.headers).toMatchObject({ authorization: 'Bearer env-token', 'x-api-key': 'abc' });
      await explicit.put('b.ts', Buffer.from('b'), meta);
      expect(fault.requests.at(-1)!.headers.authorization).toBe('Custom xyz');
    } finally {
      await viaEnv.close();
      await explicit.close();
    }
  });

  it('3xx is not followed and not retryable', async () => {
    fault.inject({ status: 301, times: 1 });
    expect(await rejection(origin.put('seg.ts', Buffer.from('x'), meta))).toMatchObject({ retryable: false, status: 301 });
  });
});
