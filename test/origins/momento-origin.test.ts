import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrigin } from '../../src/origins/create-origin.js';
import { MomentoOrigin, momentoBudgetWarnings } from '../../src/origins/momento-origin.js';
import { metaForKey } from '../../src/origins/object-meta.js';
import { OriginError } from '../../src/origins/origin.js';
import { FaultOrigin } from '../helpers/fault-origin.js';

// Momento cannot run here: the fault origin stands in for its HTTP API (204 on PUT and DELETE).
describe('MomentoOrigin (fault origin acting as Momento)', () => {
  let momento: FaultOrigin;
  let origin: MomentoOrigin;

  beforeAll(async () => {
    momento = await FaultOrigin.start({ putStatus: 204, deleteStatus: 204 });
    origin = new MomentoOrigin({ endpoint: momento.url, apiKey: 'raw-api-key', store: 'media', prefix: 'live', timeoutMs: 1_000 });
  });

  afterAll(async () => {
    await origin?.close();
    await momento?.stop();
  });

  it('PUTs to /objectstore/<store>/<prefix>/<key> with the raw API key and mo-meta headers', async () => {
    const body = Buffer.from('#EXTM3U\n');
    await origin.put('720p/index.m3u8', body, metaForKey('720p/index.m3u8'));
    const req = momento.requests.at(-1)!;
    expect(req).toMatchObject({ method: 'PUT', path: '/objectstore/media/live/720p/index.m3u8', status: 204 });
    expect(req.headers.authorization).toBe('raw-api-key');
    expect(req.headers['mo-meta-content-type']).toBe('application/vnd.apple.mpegurl');
    expect(req.headers['mo-meta-cache-control']).toBe('public, max-age=1');
    expect(req.headers['content-length']).toBe(String(body.length));
    expect(req.body.equals(body)).toBe(true);
  });

  it('DELETEs without a body; a missing object counts as deleted', async () => {
    await origin.delete('720p/index.m3u8');
    const req = momento.requests.at(-1)!;
    expect(req).toMatchObject({ method: 'DELETE', path: '/objectstore/media/live/720p/index.m3u8', status: 204 });
    expect(req.headers['transfer-encoding']).toBeUndefined();
    expect(req.body.length).toBe(0);
    await expect(origin.delete('720p/index.m3u8')).resolves.toBeUndefined();
  });

  it('429 → retryable OriginError with retryAfterMs', async () => {
    momento.inject({ status: 429, retryAfter: '1', times: 1, match: { method: 'PUT' } });
    let error: unknown;
    try {
      await origin.put('720p/seg_1.ts', Buffer.alloc(10), metaForKey('seg_1.ts'));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(OriginError);
    expect(error).toMatchObject({ retryable: true, status: 429, retryAfterMs: 1000 });
    // The next attempt (the publisher's retry) goes through.
    await expect(origin.put('720p/seg_1.ts', Buffer.alloc(10), metaForKey('seg_1.ts'))).resolves.toBeUndefined();
  });

  it('401/403 → not retryable', async () => {
    momento.inject({ status: 401, times: 1 });
    await expect(origin.put('x.ts', Buffer.alloc(1), metaForKey('x.ts'))).rejects.toMatchObject({ retryable: false, status: 401 });
  });

  it('createOrigin reads MOMENTO_API_KEY and MOMENTO_ENDPOINT', async () => {
    const o = createOrigin('momento://media/other/', {
      headers: [],
      env: { MOMENTO_API_KEY: 'k2', MOMENTO_ENDPOINT: momento.url.replace(/\/$/, '') },
    });
    try {
      expect(o).toBeInstanceOf(MomentoOrigin);
      await o.put('seg 1.ts', Buffer.from('x'), metaForKey('seg.ts'));
      const req = momento.requests.at(-1)!;
      expect(req.path).toBe('/objectstore/media/other/seg%201.ts');
      expect(req.headers.authorization).toBe('k2');
    } finally {
      await o.close();
    }
  });
});

describe('momentoBudgetWarnings', () => {
  it('is silent within the default budget', () => {
    expect(momentoBudgetWarnings(500_000, 10, { writeBps: 1024 * 1024, writeOps: 100 })).toEqual([]);
    expect(momentoBudgetWarnings(500_000, 10)).toEqual([]);
  });

  it('warns about bytes (a 1080p ladder) and about writes', () => {
    // 1080p ladder ≈ 10.5 Mbit/s ≈ 1.3 MB/s.
    const bytes = momentoBudgetWarnings(10_500_000 / 8, 10);
    expect(bytes).toHaveLength(1);
    expect(bytes[0]).toMatch(/1\.3 MiB\/s .* 1 MiB\/s/);
    const ops = momentoBudgetWarnings(100_000, 150);
    expect(ops).toHaveLength(1);
    expect(ops[0]).toMatch(/150 objects\/s .* 100\/s/);
    expect(momentoBudgetWarnings(2e6, 200, { writeBps: 1e6, writeOps: 100 })).toHaveLength(2);
    expect(momentoBudgetWarnings(2e6, 200, { writeBps: 10e6, writeOps: 1000 })).toEqual([]);
  });
});
