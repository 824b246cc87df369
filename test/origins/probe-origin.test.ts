import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RuntimeFailure } from '../../src/errors.js';
import { FileOrigin } from '../../src/origins/file-origin.js';
import { HttpOrigin } from '../../src/origins/http-origin.js';
import { probeOrigin } from '../../src/origins/probe-origin.js';
import { S3Origin } from '../../src/origins/s3-origin.js';
import { FaultOrigin } from '../helpers/fault-origin.js';
import { startNginx, type NginxServer } from '../helpers/nginx.js';
import { S3RVER_CREDENTIALS, startS3rver, type S3rverServer } from '../helpers/s3rver.js';

async function failure(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection');
}

describe('probeOrigin', () => {
  let nginx: NginxServer;
  let s3: S3rverServer;
  let fault: FaultOrigin;
  let dir: string;

  beforeAll(async () => {
    nginx = await startNginx();
    s3 = await startS3rver({ buckets: ['live'] });
    fault = await FaultOrigin.start();
    dir = await mkdtemp(path.join(os.tmpdir(), 'livepipe-probe-'));
  });

  afterAll(async () => {
    await nginx?.stop();
    await s3?.stop();
    await fault?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('passes against nginx and leaves nothing behind', async () => {
    const origin = new HttpOrigin(`${nginx.url}live/`);
    try {
      await probeOrigin(origin);
    } finally {
      await origin.close();
    }
    // nginx logs a request after answering it: wait for the DELETE's line to be written.
    let probe: Awaited<ReturnType<typeof nginx.accessLog>> = [];
    for (let waited = 0; waited < 2_000; waited += 20) {
      probe = (await nginx.accessLog()).filter((l) => l.path.startsWith('/live/.livepipe-probe-'));
      if (probe.length >= 2) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(probe.map((l) => [l.method, l.status])).toEqual([
      ['PUT', 201],
      ['DELETE', 204],
    ]);
    expect(await readdir(path.join(nginx.root, 'live'))).toEqual([]);
  });

  it('passes against s3rver and a folder', async () => {
    const s3origin = new S3Origin({ bucket: 'live', prefix: 'p', endpoint: s3.endpoint, credentials: S3RVER_CREDENTIALS });
    try {
      await probeOrigin(s3origin);
    } finally {
      await s3origin.close();
    }
    await probeOrigin(new FileOrigin(dir));
    expect(await readdir(dir)).toEqual([]);
  });

  it('403 on the write → "refused the probe write: 403 Forbidden"', async () => {
    fault.inject({ status: 403, times: 1 });
    const origin = new HttpOrigin(`${fault.url}live/`);
    try {
      const e = await failure(probeOrigin(origin));
      expect(e).toBeInstanceOf(RuntimeFailure);
      expect(e.message).toBe(`origin ${fault.url}live/ refused the probe write: 403 Forbidden`);
    } finally {
      await origin.close();
    }
  });

  it('405 on the delete → "refused the probe delete"', async () => {
    fault.inject({ status: 405, times: 1, match: { method: 'DELETE' } });
    const origin = new HttpOrigin(`${fault.url}live/`);
    try {
      const e = await failure(probeOrigin(origin));
      expect(e).toBeInstanceOf(RuntimeFailure);
      expect(e.message).toBe(`origin ${fault.url}live/ refused the probe delete: 405 Method Not Allowed`);
    } finally {
      await origin.close();
    }
  });

  it('nothing listening → "cannot reach origin …: ECONNREFUSED"', async () => {
    const closed = await FaultOrigin.start();
    const url = closed.url;
    await closed.stop();
    const origin = new HttpOrigin(`${url}live/`);
    try {
      const e = await failure(probeOrigin(origin));
      expect(e).toBeInstanceOf(RuntimeFailure);
      expect(e.message).toBe(`cannot reach origin ${url}live/: ECONNREFUSED`);
    } finally {
      await origin.close();
    }
  });

  it('a missing bucket and bad credentials are reported in one line', async () => {
    const noBucket = new S3Origin({ bucket: 'missing', endpoint: s3.endpoint, credentials: S3RVER_CREDENTIALS });
    const badKey = new S3Origin({ bucket: 'live', endpoint: s3.endpoint, credentials: { accessKeyId: 'X', secretAccessKey: 'Y' } });
    try {
      const e1 = await failure(probeOrigin(noBucket));
      expect(e1).toBeInstanceOf(RuntimeFailure);
      expect(e1.message).toMatch(/^origin s3:\/\/missing\/ \(endpoint http:\/\/127\.0\.0\.1:\d+\) refused the probe write: 404 NoSuchBucket/);
      const e2 = await failure(probeOrigin(badKey));
      expect(e2.message).toMatch(/refused the probe write: 403 InvalidAccessKeyId/);
      for (const e of [e1, e2]) expect(e.message).not.toContain('\n');
    } finally {
      await noBucket.close();
      await badKey.close();
    }
  });

  it('an abort rejects with the AbortError, not a RuntimeFailure', async () => {
    fault.inject({ action: 'hang', times: 1 });
    const origin = new HttpOrigin(`${fault.url}live/`);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    try {
      const e = await failure(probeOrigin(origin, controller.signal));
      expect(e.name).toBe('AbortError');
    } finally {
      await origin.close();
    }
  });
});
