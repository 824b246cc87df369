import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, startCli } from '../helpers/cli.js';
import { FaultOrigin } from '../helpers/fault-origin.js';
import { startNginx } from '../helpers/nginx.js';
import { listFiles, referencedFiles } from '../helpers/origin-tree.js';
import { checkFaultOrigin, checkTree, faultOriginObjects, parsePlaylist, referencedTree } from '../helpers/recording-origin.js';
import { S3RVER_CREDENTIALS, startS3rver } from '../helpers/s3rver.js';
import { RECENT_MS, eventsNamed, expectCleanFinish, expectedHeaders, ingestArgs, segmentNumber, stopChild } from './live.js';

// Live runs (real time, 1-s segments, a 2-rung ultrafast ladder) to every kind of origin that can run
// here, each checked against the publishing invariants (DESIGN.md 3, invariants 3 and 4).

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

describe('publishing a live stream', () => {
  it('to an HTTP PUT origin: every request in a safe order, segments out of the window deleted', async () => {
    const origin = await FaultOrigin.start();
    cleanups.push(() => origin.stop());
    const result = await runCli(ingestArgs('--duration', '9', '--window', '3', '--origin', `${origin.url}live/`));
    const events = expectCleanFinish(result);

    expect(checkFaultOrigin(origin, '/live/', { expectEnded: true, exact: true, recentMs: RECENT_MS })).toEqual([]);
    const stored = faultOriginObjects(origin, '/live/');
    expect([...stored.keys()].sort()).toEqual(referencedTree(stored));
    for (const rung of ['360p', '240p']) {
      const final = parsePlaylist(stored.get(`${rung}/index.m3u8`)!.toString());
      expect(final.ended).toBe(true);
      expect(final.uris).toHaveLength(3);
      expect(final.mediaSequence).toBe(6);
    }

    // Headers of every write; DELETEs without a body (nginx refuses those).
    const puts = origin.filter({ method: 'PUT', path: /^\/live\/[^.]/ });
    expect(puts.length).toBeGreaterThan(20);
    for (const put of puts) {
      const want = expectedHeaders(put.path);
      expect({ path: put.path, type: put.headers['content-type'] }).toEqual({ path: put.path, type: want.contentType });
      expect(put.headers['cache-control']).toMatch(want.cacheControl);
      expect(Number(put.headers['content-length'])).toBe(put.body.length);
    }
    const deletes = origin.filter({ method: 'DELETE', path: /^\/live\/[^.]/ });
    expect(deletes.length).toBeGreaterThanOrEqual(10); // seg_0..seg_5 of both rungs
    for (const d of deletes) {
      expect(d.body.length).toBe(0);
      expect(d.headers['transfer-encoding']).toBeUndefined();
      expect(d.status).toBe(204);
    }
    // Some deletes happened while the stream was live, not only at the end.
    const finalPut = Math.min(...origin.filter({ method: 'PUT', path: /index\.m3u8$/ }).filter((r) => r.body.includes('#EXT-X-ENDLIST')).map((r) => r.time));
    expect(deletes.some((d) => d.time < finalPut)).toBe(true);
    expect(eventsNamed(events, 'segment_deleted').length).toBeGreaterThan(0);
    expect(eventsNamed(events, 'master_published')).toHaveLength(1);
  });

  it('to nginx WebDAV: the tree on disk is exactly what the final playlists reference, with the right headers sent', async () => {
    const nginx = await startNginx();
    cleanups.push(() => nginx.stop());
    const result = await runCli(ingestArgs('--duration', '8', '--window', '3', '--origin', `${nginx.url}live/`));
    expectCleanFinish(result);

    const root = path.join(nginx.root, 'live');
    const files = await listFiles(root);
    expect(files).toEqual(await referencedFiles(root));
    const tree = new Map(await Promise.all(files.map(async (f) => [f, await readFile(path.join(root, f))] as const)));
    expect(checkTree(tree, { expectEnded: true, exact: true })).toEqual([]);
    expect(files.filter((f) => f.endsWith('.ts'))).toHaveLength(6);

    const log = (await nginx.accessLog()).filter((l) => l.path.startsWith('/live/') && !l.path.includes('.livepipe-probe-'));
    const puts = log.filter((l) => l.method === 'PUT');
    expect(puts.length).toBeGreaterThan(20);
    for (const put of puts) {
      const want = expectedHeaders(put.path);
      expect({ path: put.path, contentType: put.contentType }).toEqual({ path: put.path, contentType: want.contentType });
      expect(put.cacheControl).toMatch(want.cacheControl);
      expect([201, 204]).toContain(put.status);
    }
    const deletes = log.filter((l) => l.method === 'DELETE');
    expect(deletes.length).toBeGreaterThanOrEqual(8);
    for (const d of deletes) {
      expect(d).toMatchObject({ status: 204, transferEncoding: '', contentLength: '' });
      expect(d.path).toMatch(/\/seg_\d+\.ts$/);
    }
    expect(log.filter((l) => l.status >= 300)).toEqual([]);
  });

  it('to S3 (s3rver): metadata on the objects, and exactly the referenced segments left', async () => {
    const s3 = await startS3rver({ buckets: ['media'] });
    cleanups.push(() => s3.stop());
    const result = await runCli(ingestArgs('--duration', '10', '--window', '3', '--origin', 's3://media/stream', '--s3-endpoint', s3.endpoint), {
      env: {
        AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
        AWS_REGION: 'us-east-1',
      },
    });
    const events = expectCleanFinish(result);

    const client = new S3Client({ region: 'us-east-1', endpoint: s3.endpoint, forcePathStyle: true, credentials: S3RVER_CREDENTIALS });
    cleanups.push(async () => client.destroy());
    const listed = await client.send(new ListObjectsV2Command({ Bucket: 'media', Prefix: 'stream/' }));
    const keys = (listed.Contents ?? []).map((o) => o.Key!.slice('stream/'.length)).sort();
    const tree = new Map<string, Buffer>();
    for (const key of keys) {
      const object = await client.send(new GetObjectCommand({ Bucket: 'media', Key: `stream/${key}` }));
      tree.set(key, Buffer.from(await object.Body!.transformToByteArray()));
    }
    expect(checkTree(tree, { expectEnded: true, exact: true })).toEqual([]);
    expect(keys).toEqual(referencedTree(tree));

    // Deletes happened: 10 segments per rung were published, the 3 of the final window remain.
    const published = eventsNamed(events, 'segment_published').map((e) => String(e.key));
    expect(published.filter((k) => k.startsWith('360p/'))).toHaveLength(10);
    for (const rung of ['360p', '240p']) {
      const left = keys.filter((k) => k.startsWith(`${rung}/seg_`)).map(segmentNumber).sort((a, b) => a - b);
      expect(left).toEqual([7, 8, 9]);
    }

    for (const key of ['master.m3u8', '360p/index.m3u8', '240p/seg_9.ts']) {
      const head = await client.send(new HeadObjectCommand({ Bucket: 'media', Key: `stream/${key}` }));
      const want = expectedHeaders(key);
      expect(head.ContentType).toBe(want.contentType);
      expect(head.CacheControl).toMatch(want.cacheControl);
    }
  });

  it('to the built-in origin run by `livepipe serve`: served back with the right types and caching', async () => {
    const serve = startCli(['serve', '--port', '0']);
    cleanups.push(() => stopChild(serve));
    const base = await new Promise<string>((resolve, reject) => {
      let text = '';
      serve.stderr!.on('data', (d: Buffer) => {
        text += d.toString();
        const m = /listening on (http:\/\/127\.0\.0\.1:\d+)\//.exec(text);
        if (m) resolve(m[1]!);
      });
      void serve.then((r) => reject(new Error(`serve exited ${r.exitCode}: ${text}`)));
    });

    const result = await runCli(ingestArgs('--duration', '8', '--window', '3', '--origin', `${base}/live/`));
    const events = expectCleanFinish(result);

    const masterResponse = await fetch(`${base}/live/master.m3u8`);
    expect(masterResponse.status).toBe(200);
    expect(masterResponse.headers.get('content-type')).toBe('application/vnd.apple.mpegurl');
    expect(masterResponse.headers.get('cache-control')).toMatch(expectedHeaders('master.m3u8').cacheControl);
    expect(masterResponse.headers.get('access-control-allow-origin')).toBe('*');
    const tree = new Map<string, Buffer>([['master.m3u8', Buffer.from(await masterResponse.arrayBuffer())]]);
    for (const rung of ['360p', '240p']) {
      const key = `${rung}/index.m3u8`;
      const res = await fetch(`${base}/live/${key}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toMatch(expectedHeaders(key).cacheControl);
      tree.set(key, Buffer.from(await res.arrayBuffer()));
    }
    // Every object the final playlists reference is served, segments as immutable video/mp2t.
    for (const key of referencedTree(tree).filter((k) => !tree.has(k))) {
      const res = await fetch(`${base}/live/${key}`);
      expect({ key, status: res.status }).toEqual({ key, status: 200 });
      expect(res.headers.get('content-type')).toBe('video/mp2t');
      expect(res.headers.get('cache-control')).toMatch(expectedHeaders(key).cacheControl);
      tree.set(key, Buffer.from(await res.arrayBuffer()));
    }
    expect(checkTree(tree, { expectEnded: true })).toEqual([]);

    // What left the window is gone, and its 404 is not cacheable.
    const deleted = eventsNamed(events, 'segment_deleted').map((e) => String(e.key));
    expect(deleted.length).toBeGreaterThan(0);
    for (const key of [...deleted, '360p/seg_0.ts']) {
      const res = await fetch(`${base}/live/${key}`);
      expect({ key, status: res.status }).toEqual({ key, status: 404 });
      expect(res.headers.get('cache-control')).toBe('no-store');
    }

    serve.kill('SIGINT');
    expect((await serve).exitCode).toBe(0);
  });

  it('with --keep: an EVENT playlist, no delete at all, every segment on the origin', async () => {
    const origin = await FaultOrigin.start();
    cleanups.push(() => origin.stop());
    const result = await runCli(ingestArgs('--duration', '6', '--window', '3', '--keep', '--origin', `${origin.url}live/`));
    const events = expectCleanFinish(result);

    expect(checkFaultOrigin(origin, '/live/', { expectEnded: true, exact: true, recentMs: RECENT_MS })).toEqual([]);
    // The probe before the stream (PUT then DELETE of .livepipe-probe-*) is the only DELETE.
    expect(origin.filter({ method: 'DELETE' }).filter((r) => !r.path.includes('/.livepipe-probe-'))).toEqual([]);
    expect(eventsNamed(events, 'segment_deleted')).toEqual([]);

    const stored = faultOriginObjects(origin, '/live/');
    for (const rung of ['360p', '240p']) {
      const text = stored.get(`${rung}/index.m3u8`)!.toString();
      expect(text).toContain('#EXT-X-PLAYLIST-TYPE:EVENT');
      const final = parsePlaylist(text);
      expect(final.ended).toBe(true);
      expect(final.mediaSequence).toBe(0);
      expect(final.uris).toEqual(Array.from({ length: final.uris.length }, (_, i) => `seg_${i}.ts`));
      expect(final.uris.length).toBeGreaterThanOrEqual(6);
    }
    // Every segment ever uploaded is still there.
    const uploaded = new Set(origin.filter({ method: 'PUT', path: /\.ts$/ }).map((r) => r.path.slice('/live/'.length)));
    expect([...uploaded].filter((k) => !stored.has(k))).toEqual([]);
    expect([...stored.keys()].sort()).toEqual(referencedTree(stored));
  });
});
