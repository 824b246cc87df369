import { mkdtemp, readdir, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { metaForKey } from '../../src/origins/object-meta.js';
import { OriginError } from '../../src/origins/origin.js';
import { DiskObjectStore } from '../../src/server/disk-object-store.js';
import { MemoryObjectStore, type ObjectStore } from '../../src/server/object-store.js';
import type { StoreChange } from '../../src/server/store-changes.js';

const temps: string[] = [];
afterEach(async () => {
  await Promise.all(temps.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'livepipe-store-'));
  temps.push(dir);
  return dir;
}

const kinds: [string, () => Promise<ObjectStore>][] = [
  ['MemoryObjectStore', async () => new MemoryObjectStore()],
  ['DiskObjectStore', async () => new DiskObjectStore(await tempDir())],
];

describe.each(kinds)('%s', (_name, make) => {
  it('round-trips put, get, keys and delete', async () => {
    const store = await make();
    const body = Buffer.from('segment bytes');
    const first = await store.put('live/720p/seg_1.ts', body, metaForKey('seg_1.ts'));
    expect(first.created).toBe(true);
    expect((await store.put('live/720p/seg_1.ts', body, metaForKey('seg_1.ts'))).created).toBe(false);
    await store.put('live/master.m3u8', Buffer.from('#EXTM3U\n'), metaForKey('master.m3u8'));
    await store.put('other/master.m3u8', Buffer.from('#EXTM3U\n'), metaForKey('master.m3u8'));

    const got = await store.get('live/720p/seg_1.ts');
    expect(got?.body.toString()).toBe('segment bytes');
    expect(got?.contentType).toBe('video/mp2t');
    expect(got?.cacheControl).toBe('public, max-age=31536000, immutable');
    expect(got?.etag).toBe(first.object.etag);
    expect(got?.lastModified).toBeInstanceOf(Date);
    expect(await store.keys()).toEqual(['live/720p/seg_1.ts', 'live/master.m3u8', 'other/master.m3u8']);
    expect(await store.keys('live/')).toEqual(['live/720p/seg_1.ts', 'live/master.m3u8']);

    expect(await store.delete('live/720p/seg_1.ts')).toBe(true);
    expect(await store.delete('live/720p/seg_1.ts')).toBe(false);
    expect(await store.get('live/720p/seg_1.ts')).toBeUndefined();
    expect(await store.get('live')).toBeUndefined();
  });

  it('waitFor resolves at once for an existing key and on the put of a missing one', async () => {
    const store = await make();
    await store.put('a.m3u8', Buffer.from('a'), metaForKey('a.m3u8'));
    expect((await store.waitFor('a.m3u8', new AbortController().signal)).body.toString()).toBe('a');

    const changes: StoreChange['kind'][] = [];
    const unsubscribe = store.onChange((c) => changes.push(c.kind));
    let resolved = false;
    const waiting = store.waitFor('live/seg_2.ts', new AbortController().signal).then((o) => {
      resolved = true;
      return o;
    });
    await store.put('live/seg_1.ts', Buffer.from('1'), metaForKey('seg_1.ts'));
    await new Promise((r) => setTimeout(r, 20));
    expect(resolved).toBe(false);
    await store.put('live/seg_2.ts', Buffer.from('2'), metaForKey('seg_2.ts'));
    expect((await waiting).body.toString()).toBe('2');
    await store.delete('live/seg_1.ts');
    unsubscribe();
    await store.delete('live/seg_2.ts');
    expect(changes).toEqual(['put', 'put', 'delete']);
  });

  it('waitFor rejects with the signal reason on abort', async () => {
    const store = await make();
    const controller = new AbortController();
    const waiting = store.waitFor('never.ts', controller.signal);
    controller.abort(new Error('client went away'));
    await expect(waiting).rejects.toThrow('client went away');
    const aborted = AbortSignal.abort(new Error('already'));
    await expect(store.waitFor('never.ts', aborted)).rejects.toThrow('already');
  });
});

describe('DiskObjectStore', () => {
  it('writes real files atomically and leaves no temp file behind', async () => {
    const root = await tempDir();
    const store = new DiskObjectStore(root);
    await Promise.all(Array.from({ length: 10 }, (_, i) => store.put('live/master.m3u8', Buffer.from(`v${i}`), metaForKey('master.m3u8'))));
    expect(await readdir(path.join(root, 'live'))).toEqual(['master.m3u8']);
    const last = await store.get('live/master.m3u8');
    expect(await readFile(path.join(root, 'live/master.m3u8'), 'utf8')).toBe(last?.body.toString());
  });

  it('serves files it did not write with metaForKey, and notices files changed behind its back', async () => {
    const root = await tempDir();
    await mkdir(path.join(root, 'live'));
    await writeFile(path.join(root, 'live/index.m3u8'), '#EXTM3U\n');
    const store = new DiskObjectStore(root);
    const found = await store.get('live/index.m3u8');
    expect(found?.contentType).toBe('application/vnd.apple.mpegurl');
    expect(found?.cacheControl).toBe('public, max-age=1');

    await store.put('live/sub.vtt', Buffer.from('WEBVTT\n'), { contentType: 'text/vtt; charset=utf-8', cacheControl: 'no-cache' });
    expect((await store.get('live/sub.vtt'))?.contentType).toBe('text/vtt; charset=utf-8');
    await writeFile(path.join(root, 'live/sub.vtt'), 'WEBVTT\n\nchanged\n');
    const changed = await store.get('live/sub.vtt');
    expect(changed?.body.toString()).toContain('changed');
    expect(changed?.contentType).toBe('text/vtt');
  });

  it('refuses keys that escape the root', async () => {
    const root = await tempDir();
    const store = new DiskObjectStore(path.join(root, 'inner'));
    for (const key of ['../x', 'a/../../x', '/etc/passwd', 'a\\b', 'a//b', '']) {
      await expect(store.put(key, Buffer.from('x'), metaForKey(key)), key).rejects.toBeInstanceOf(OriginError);
    }
    await expect(store.get('../inner/x')).rejects.toBeInstanceOf(OriginError);
    expect(await readdir(root)).toEqual([]);
  });
});
