import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EventBus } from '../../src/events.js';
import type { ObjectMeta, Origin } from '../../src/origins/origin.js';
import { OriginWriter } from '../../src/publish/origin-writer.js';
import { RungPublisher } from '../../src/publish/rung-publisher.js';
import { tempDir } from '../helpers/cli.js';

// What a restarted ffmpeg does to the files the publisher already knows, without running ffmpeg:
// it rewrites init_N.mp4 in place, it may write a segment name again (killed between renaming a
// segment and listing it), and its playlists carry #EXT-X-DISCONTINUITY but no DISCONTINUITY-SEQUENCE.

class RecordingOrigin implements Origin {
  readonly description = 'recording';
  readonly objects = new Map<string, Buffer>();
  readonly log: string[] = [];
  async put(key: string, body: Buffer, _meta: ObjectMeta): Promise<void> {
    this.log.push(`PUT ${key}`);
    this.objects.set(key, body);
  }
  async delete(key: string): Promise<void> {
    this.log.push(`DELETE ${key}`);
    this.objects.delete(key);
  }
  async close(): Promise<void> {}
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function setup(keep = false) {
  const { dir, cleanup } = await tempDir('livepipe-rung-');
  cleanups.push(cleanup);
  const rungDir = path.join(dir, '360p');
  await mkdir(rungDir);
  const origin = new RecordingOrigin();
  const bus = new EventBus();
  const publisher = new RungPublisher('360p', rungDir, new OriginWriter(origin, bus, 4), bus, { keep, deleteGrace: 3 });
  const file = (name: string) => path.join(rungDir, name);
  const segment = async (name: string, content: string) => {
    await writeFile(file(name), content);
    await publisher.addSegment(file(name));
  };
  const playlist = async (text: string) => {
    await writeFile(file('index.m3u8'), text);
    await publisher.addPlaylist(file('index.m3u8'));
    await publisher.whenIdle();
  };
  return { origin, publisher, file, segment, playlist };
}

/** A media playlist: `items` are segment numbers, or 'D' for #EXT-X-DISCONTINUITY before the next one. */
function media(sequence: number, items: Array<number | 'D'>, opts: { map?: string; ended?: boolean } = {}): string {
  const lines = ['#EXTM3U', '#EXT-X-VERSION:7', '#EXT-X-TARGETDURATION:1', `#EXT-X-MEDIA-SEQUENCE:${sequence}`];
  if (opts.map) lines.push(`#EXT-X-MAP:URI="${opts.map}"`);
  for (const item of items) {
    if (item === 'D') {
      lines.push('#EXT-X-DISCONTINUITY');
      if (opts.map) lines.push(`#EXT-X-MAP:URI="${opts.map}"`);
    } else lines.push('#EXTINF:1.000000,', `seg_${item}.m4s`);
  }
  if (opts.ended) lines.push('#EXT-X-ENDLIST');
  return `${lines.join('\n')}\n`;
}

describe('RungPublisher across an ffmpeg restart', () => {
  it('uploads an init section again when ffmpeg rewrote it with other content', async () => {
    const { origin, file, segment, playlist } = await setup();
    await writeFile(file('init_0.mp4'), 'init from the first ffmpeg');
    await segment('seg_0.m4s', 's0');
    await playlist(media(0, [0], { map: 'init_0.mp4' }));
    expect(origin.objects.get('360p/init_0.mp4')?.toString()).toBe('init from the first ffmpeg');

    // Restarted: init rewritten in place, then a new segment and a playlist with a discontinuity.
    await writeFile(file('init_0.mp4'), 'init from the second ffmpeg');
    await segment('seg_1.m4s', 's1');
    await playlist(media(0, [0, 'D', 1], { map: 'init_0.mp4' }));
    expect(origin.objects.get('360p/init_0.mp4')?.toString()).toBe('init from the second ffmpeg');
    // …before the playlist that needs it.
    const log = origin.log;
    expect(log.lastIndexOf('PUT 360p/init_0.mp4')).toBeLessThan(log.lastIndexOf('PUT 360p/index.m3u8'));

    // Same content again (ffmpeg usually writes identical bytes): not uploaded a third time.
    await segment('seg_2.m4s', 's2');
    await playlist(media(0, [0, 'D', 1, 2], { map: 'init_0.mp4' }));
    expect(log.filter((l) => l === 'PUT 360p/init_0.mp4')).toHaveLength(2);
  });

  it('an init section read while ffmpeg has just truncated it is not uploaded', async () => {
    const { origin, file, segment, playlist } = await setup();
    await writeFile(file('init_0.mp4'), 'good init');
    await segment('seg_0.m4s', 's0');
    await playlist(media(0, [0], { map: 'init_0.mp4' }));
    await writeFile(file('init_0.mp4'), '');
    await segment('seg_1.m4s', 's1');
    await playlist(media(0, [0, 1], { map: 'init_0.mp4' }));
    expect(origin.objects.get('360p/init_0.mp4')?.toString()).toBe('good init');
  });

  it('a segment name written again with other content replaces the first upload', async () => {
    const { origin, segment, playlist } = await setup();
    await segment('seg_0.m4s', 's0');
    await playlist(media(0, [0]));
    await segment('seg_1.m4s', 'seg_1 of the killed ffmpeg, never listed');
    await segment('seg_1.m4s', 'seg_1 of the restarted ffmpeg');
    await playlist(media(0, [0, 'D', 1]));
    expect(origin.objects.get('360p/seg_1.m4s')?.toString()).toBe('seg_1 of the restarted ffmpeg');
    // The same file reported twice (add, then the rescan at the end) is uploaded once.
    await segment('seg_0.m4s', 's0');
    expect(origin.log.filter((l) => l === 'PUT 360p/seg_0.m4s')).toHaveLength(1);
  });

  it('adds EXT-X-DISCONTINUITY-SEQUENCE once the discontinuity has left the window', async () => {
    const { origin, segment, playlist } = await setup();
    for (let n = 0; n <= 5; n++) await segment(`seg_${n}.m4s`, `s${n}`);
    await playlist(media(0, [0, 1, 'D', 2]));
    expect(origin.objects.get('360p/index.m3u8')?.toString()).not.toMatch(/DISCONTINUITY-SEQUENCE/);
    await playlist(media(2, ['D', 2, 3, 4]));
    expect(origin.objects.get('360p/index.m3u8')?.toString()).not.toMatch(/DISCONTINUITY-SEQUENCE/);
    await playlist(media(3, [3, 4, 5]));
    const text = origin.objects.get('360p/index.m3u8')!.toString();
    expect(text).toMatch(/#EXT-X-MEDIA-SEQUENCE:3\n#EXT-X-DISCONTINUITY-SEQUENCE:1\n/);
  });

  it('never uploads a segment that is already behind the newest playlist (e.g. at the final rescan)', async () => {
    const { origin, segment, playlist } = await setup();
    for (let n = 0; n <= 2; n++) await segment(`seg_${n}.m4s`, `s${n}`);
    await playlist(media(0, [0, 1, 2]));
    for (let n = 4; n <= 6; n++) await segment(`seg_${n}.m4s`, `s${n}`);
    await playlist(media(4, [4, 5, 6]));
    await segment('seg_3.m4s', 's3'); // seen only now: it left the window before it could go out
    expect(origin.log.filter((l) => l.includes('seg_3'))).toEqual([]);
  });

  it('with --keep uploads segments one at a time, in order', async () => {
    const { origin, publisher, file, playlist } = await setup(true);
    // Reported in a burst (as by the rescan at the end), bigger files first: still uploaded in order.
    for (const n of [0, 1, 2, 3]) await writeFile(file(`seg_${n}.m4s`), 'x'.repeat((4 - n) * 200_000));
    await Promise.all([0, 1, 2, 3].map((n) => publisher.addSegment(file(`seg_${n}.m4s`))));
    await playlist(media(0, [0, 1, 2, 3]));
    expect(origin.log.filter((l) => l.includes('seg_'))).toEqual([0, 1, 2, 3].map((n) => `PUT 360p/seg_${n}.m4s`));
  });
});
