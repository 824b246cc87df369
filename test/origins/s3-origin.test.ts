import { randomBytes } from 'node:crypto';
import { GetObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrigin } from '../../src/origins/create-origin.js';
import { metaForKey } from '../../src/origins/object-meta.js';
import { OriginError } from '../../src/origins/origin.js';
import { S3Origin, mapS3Error } from '../../src/origins/s3-origin.js';
import { FaultOrigin } from '../helpers/fault-origin.js';
import { S3RVER_CREDENTIALS, startS3rver, type S3rverServer } from '../helpers/s3rver.js';

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

describe('S3Origin against s3rver', () => {
  let s3: S3rverServer;
  let origin: S3Origin;
  let reader: S3Client;

  beforeAll(async () => {
    s3 = await startS3rver({ buckets: ['live'] });
    origin = new S3Origin({ bucket: 'live', prefix: 'streams/one', endpoint: s3.endpoint, credentials: S3RVER_CREDENTIALS });
    reader = new S3Client({ region: 'us-east-1', endpoint: s3.endpoint, forcePathStyle: true, credentials: S3RVER_CREDENTIALS });
  });

  afterAll(async () => {
    reader?.destroy();
    await origin?.close();
    await s3?.stop();
  });

  async function getObject(key: string): Promise<{ body: Buffer; contentType?: string; cacheControl?: string }> {
    const out = await reader.send(new GetObjectCommand({ Bucket: 'live', Key: key }));
    const bytes = await out.Body!.transformToByteArray();
    return { body: Buffer.from(bytes), contentType: out.ContentType, cacheControl: out.CacheControl };
  }

  it('round-trips a 1 MB buffer byte-exact (no aws-chunked framing stored) with its metadata', async () => {
    const body = randomBytes(1024 * 1024);
    await origin.put('720p/seg_7.ts', body, metaForKey('720p/seg_7.ts'));
    const got = await getObject('streams/one/720p/seg_7.ts');
    expect(got.body.length).toBe(body.length);
    expect(got.body.equals(body)).toBe(true);
    expect(got.contentType).toBe('video/mp2t');
    expect(got.cacheControl).toBe('public, max-age=31536000, immutable');
  });

  it('overwrites a playlist and keeps its cache control', async () => {
    await origin.put('master.m3u8', Buffer.from('#EXTM3U\n#1\n'), metaForKey('master.m3u8'));
    await origin.put('master.m3u8', Buffer.from('#EXTM3U\n#2\n'), metaForKey('master.m3u8'));
    const got = await getObject('streams/one/master.m3u8');
    expect(got.body.toString()).toBe('#EXTM3U\n#2\n');
    expect(got.contentType).toBe('application/vnd.apple.mpegurl');
    expect(got.cacheControl).toBe('public, max-age=1');
  });

  it('deletes, and deleting a missing key succeeds', async () => {
    await origin.put('gone.ts', Buffer.from('x'), metaForKey('gone.ts'));
    await origin.delete('gone.ts');
    const e = await rejection(reader.send(new HeadObjectCommand({ Bucket: 'live', Key: 'streams/one/gone.ts' })));
    expect((e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode).toBe(404);
    await expect(origin.delete('gone.ts')).resolves.toBeUndefined();
  });

  it('a missing bucket is not retryable', async () => {
    const o = new S3Origin({ bucket: 'nope', endpoint: s3.endpoint, credentials: S3RVER_CREDENTIALS });
    try {
      const e = (await rejection(o.put('x.ts', Buffer.from('x'), metaForKey('x.ts')))) as OriginError;
      expect(e).toBeInstanceOf(OriginError);
      expect(e).toMatchObject({ retryable: false, status: 404 });
      expect(e.message).toMatch(/NoSuchBucket/);
    } finally {
      await o.close();
    }
  });

  it('bad credentials are not retryable', async () => {
    const o = new S3Origin({ bucket: 'live', endpoint: s3.endpoint, credentials: { accessKeyId: 'WRONG', secretAccessKey: 'WRONG' } });
    try {
      const e = (await rejection(o.put('x.ts', Buffer.from('x'), metaForKey('x.ts')))) as OriginError;
      expect(e).toBeInstanceOf(OriginError);
      expect(e).toMatchObject({ retryable: false, status: 403 });
      expect(e.message).toMatch(/InvalidAccessKeyId/);
    } finally {
      await o.close();
    }
  });

  it('createOrigin builds it from s3:// with the endpoint and credentials from env', async () => {
    const o = createOrigin('s3://live/via-create/', {
      headers: [],
      env: { AWS_ENDPOINT_URL_S3: s3.endpoint, AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', HOME: '/nonexistent' },
    });
    try {
      expect(o).toBeInstanceOf(S3Origin);
      expect(o.description).toBe(`s3://live/via-create/ (endpoint ${s3.endpoint})`);
      await o.put('a.m3u8', Buffer.from('#EXTM3U\n'), metaForKey('a.m3u8'));
      expect((await getObject('via-create/a.m3u8')).body.toString()).toBe('#EXTM3U\n');
    } finally {
      await o.close();
    }
  });
});

describe('S3Origin failure mapping', () => {
  let fault: FaultOrigin;
  let origin: S3Origin;

  beforeAll(async () => {
    fault = await FaultOrigin.start();
    origin = new S3Origin({ bucket: 'live', endpoint: fault.url.replace(/\/$/, ''), credentials: S3RVER_CREDENTIALS, timeoutMs: 500 });
  });

  afterAll(async () => {
    await origin?.close();
    await fault?.stop();
  });

  it('sends one attempt only (SDK retries off) and maps 503 to retryable', async () => {
    fault.inject({ status: 503, times: 5 });
    const before = fault.requests.length;
    const e = (await rejection(origin.put('x.ts', Buffer.from('x'), metaForKey('x.ts')))) as OriginError;
    expect(e).toMatchObject({ retryable: true, status: 503 });
    expect(fault.requests.length - before).toBe(1);
    fault.clearFaults();
  });

  it('429 carries Retry-After', async () => {
    fault.inject({ status: 429, retryAfter: '2', times: 1 });
    const e = (await rejection(origin.put('x.ts', Buffer.from('x'), metaForKey('x.ts')))) as OriginError;
    expect(e).toMatchObject({ retryable: true, status: 429, retryAfterMs: 2000 });
  });

  it('sends the body as-is with Content-Length (no aws-chunked encoding)', async () => {
    await origin.put('plain.ts', Buffer.from('hello'), metaForKey('plain.ts'));
    const req = fault.requests.at(-1)!;
    expect(req).toMatchObject({ method: 'PUT', path: '/live/plain.ts' });
    expect(req.body.toString()).toBe('hello');
    expect(req.headers['content-length']).toBe('5');
    expect(req.headers['content-encoding'] ?? '').not.toMatch(/aws-chunked/);
    expect(req.headers['cache-control']).toBe('public, max-age=31536000, immutable');
  });

  it('timeout and closed connections are retryable; an abort rejects with AbortError', async () => {
    fault.inject({ delayMs: 2_000, times: 1 });
    expect(await rejection(origin.put('x.ts', Buffer.from('x'), metaForKey('x.ts')))).toMatchObject({ retryable: true, status: undefined });
    fault.inject({ action: 'destroy', times: 1 });
    expect(await rejection(origin.put('x.ts', Buffer.from('x'), metaForKey('x.ts')))).toMatchObject({ retryable: true, status: undefined });
    fault.inject({ action: 'hang', times: 1 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const e = (await rejection(origin.put('x.ts', Buffer.from('x'), metaForKey('x.ts'), controller.signal))) as Error;
    expect(e).not.toBeInstanceOf(OriginError);
    expect(e.name).toBe('AbortError');
  });

  it('connection refused is retryable', async () => {
    await fault.goOffline();
    try {
      const e = (await rejection(origin.put('x.ts', Buffer.from('x'), metaForKey('x.ts')))) as OriginError;
      expect(e).toMatchObject({ retryable: true });
      expect(e.message).toMatch(/ECONNREFUSED/);
    } finally {
      await fault.goOnline();
    }
  });

  it('mapS3Error: credential problems are not retryable, network codes are', () => {
    expect(mapS3Error('PUT', 'k', Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' })).retryable).toBe(false);
    expect(mapS3Error('PUT', 'k', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }))).toMatchObject({ retryable: true, message: 'PUT k: ECONNRESET' });
    expect(mapS3Error('PUT', 'k', { name: 'SlowDown', message: 'Please reduce your request rate.', $metadata: { httpStatusCode: 503 } }).retryable).toBe(true);
    expect(mapS3Error('PUT', 'k', { name: 'AccessDenied', message: 'Access Denied', $metadata: { httpStatusCode: 403 } })).toMatchObject({ retryable: false, status: 403, message: 'PUT k: 403 AccessDenied: Access Denied' });
  });
});
