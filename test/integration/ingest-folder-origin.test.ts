import { afterEach, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { FIXTURES, runCli, tempDir } from '../helpers/cli.js';
import { firstVideoFrame, parse } from '../helpers/hls-probe.js';
import { listFiles, referencedFiles } from '../helpers/origin-tree.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((c) => c()));
});

async function ingest(args: string[]) {
  const { dir, cleanup } = await tempDir();
  cleanups.push(cleanup);
  const origin = path.join(dir, 'origin');
  const result = await runCli(['ingest', ...args, '--origin', `file://${origin}`, '--out', path.join(dir, 'out')]);
  return { origin, result };
}

async function masterOf(origin: string) {
  return parse(await readFile(path.join(origin, 'master.m3u8'), 'utf8'));
}

/** Segment i of every rung starts with a keyframe at the same media time. */
async function expectAlignedKeyframes(origin: string, rungs: string[]) {
  const playlists = await Promise.all(rungs.map(async (r) => parse(await readFile(path.join(origin, r, 'index.m3u8'), 'utf8'))));
  const count = playlists[0]!.segments.length;
  for (const p of playlists) expect(p.segments).toHaveLength(count);
  for (let i = 0; i < count; i++) {
    const frames = await Promise.all(rungs.map((r, k) => {
      const segment = playlists[k]!.segments[i]!;
      return firstVideoFrame(path.join(origin, r, segment.uri), segment.map ? path.join(origin, r, segment.map.uri) : undefined);
    }));
    for (const f of frames) {
      expect(f.keyFrame).toBe(true);
      expect(f.pictType).toBe('I');
      expect(f.ptsTime).toBeCloseTo(frames[0]!.ptsTime, 3);
    }
  }
  return playlists;
}

describe('ingest to a folder origin', () => {
  it('encodes testsrc into an aligned 3-rung ladder with a complete master', async () => {
    const { origin, result } = await ingest(['--input', 'testsrc:1280x720', '--preset', '720p', '--duration', '8', '--no-realtime']);
    expect(result.stderr).not.toMatch(/error/i);
    expect(result.exitCode).toBe(0);

    const master = await masterOf(origin);
    expect(master.playlists!.map((p) => p.uri)).toEqual(['720p/index.m3u8', '480p/index.m3u8', '360p/index.m3u8']);
    const masterText = await readFile(path.join(origin, 'master.m3u8'), 'utf8');
    for (const line of masterText.split('\n').filter((l) => l.startsWith('#EXT-X-STREAM-INF'))) {
      expect(line).toMatch(/BANDWIDTH=\d+/);
      expect(line).toMatch(/AVERAGE-BANDWIDTH=\d+/);
      expect(line).toMatch(/RESOLUTION=\d+x\d+/);
      expect(line).toMatch(/CODECS="avc1\.[0-9a-f]{6},mp4a\.40\.2"/);
      expect(line).toMatch(/FRAME-RATE=30\.000/);
    }
    expect(master.playlists!.map((p) => p.attributes.RESOLUTION)).toEqual([
      { width: 1280, height: 720 }, { width: 854, height: 480 }, { width: 640, height: 360 },
    ]);

    const playlists = await expectAlignedKeyframes(origin, ['720p', '480p', '360p']);
    for (const [i, p] of playlists.entries()) {
      expect(p.endList).toBe(true);
      expect(p.segments.length).toBe(4);
      for (const s of p.segments) {
        expect(s.duration).toBeCloseTo(2, 1);
        expect(s.dateTimeString).toMatch(/^\d{4}-\d\d-\d\dT/);
      }
      const text = await readFile(path.join(origin, ['720p', '480p', '360p'][i]!, 'index.m3u8'), 'utf8');
      expect(text).toContain('#EXT-X-INDEPENDENT-SEGMENTS');
    }
    expect(await listFiles(origin)).toEqual(await referencedFiles(origin));
  });

  it('plays a file at native rate, refuses to upscale it, and writes fMP4 with init sections', async () => {
    const started = Date.now();
    const { origin, result } = await ingest(['--input', path.join(FIXTURES, 'clip-480p30.mp4'), '--format', 'fmp4', '--segment', '1']);
    expect(result.exitCode).toBe(0);
    expect(Date.now() - started).toBeGreaterThan(4_500); // 5 s of media read in real time
    const master = await masterOf(origin);
    expect(master.playlists!.map((p) => p.uri)).toEqual(['480p/index.m3u8', '360p/index.m3u8']);
    const playlists = await expectAlignedKeyframes(origin, ['480p', '360p']);
    for (const p of playlists) {
      expect(p.segments[0]!.map?.uri).toMatch(/^init_\d\.mp4$/);
      expect(p.segments[0]!.uri).toMatch(/\.m4s$/);
      expect(p.endList).toBe(true);
    }
    expect(await listFiles(origin)).toEqual(await referencedFiles(origin));
  });

  it('gives a tiny silent source one rung at its own size, and deletes what leaves a small window', async () => {
    const { origin, result } = await ingest([
      '--input', path.join(FIXTURES, 'odd-322x242-25fps-noaudio.mp4'), '--no-realtime', '--segment', '0.5', '--window', '2',
    ]);
    expect(result.exitCode).toBe(0);
    const masterText = await readFile(path.join(origin, 'master.m3u8'), 'utf8');
    expect(masterText).toMatch(/RESOLUTION=322x242/);
    expect(masterText).toMatch(/FRAME-RATE=25\.000/);
    expect(masterText).not.toMatch(/mp4a/);
    const media = parse(await readFile(path.join(origin, '242p', 'index.m3u8'), 'utf8'));
    expect(media.segments).toHaveLength(2);
    expect(media.mediaSequence).toBeGreaterThanOrEqual(4);
    expect(await listFiles(origin)).toEqual(await referencedFiles(origin));
  });
});

describe('ingest usage errors', () => {
  it.each([
    [['--input', '/no/such.mp4'], /input file not found/],
    [['--input', 'testsrc', '--preset', 'nope'], /unknown preset "nope"/],
    [['--input', 'testsrc', '--origin', 'ftp://x/y'], /origin/],
    [['--input', 'testsrc', '--origin', 'http://'], /origin/],
    [['--input', 'testsrc', '--segment', 'abc'], /--segment/],
    [['--input', 'testsrc', '--format', 'avi'], /--format/],
    [['--input', 'testsrc', '--bogus'], /unknown option/],
    [['--input', path.join(FIXTURES, 'not-media.mp4')], /not-media\.mp4/],
  ])('%j exits 2 with one line', async (args, message) => {
    const r = await runCli(['ingest', ...args]);
    expect(r.exitCode).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^livepipe: error: /);
    expect(lines[0]).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
