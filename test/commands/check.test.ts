import { execa, type ResultPromise } from 'execa';
import { existsSync } from 'node:fs';
import { cp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkMediaPlaylist, checkVariantAttributes } from '../../src/check/checker.js';
import { exceedsTargetDuration, parseAttributeList, parseDateTime, parsePlaylist, type MasterPlaylist, type MediaPlaylist } from '../../src/check/m3u8.js';
import { runCli, startCli, tempDir } from '../helpers/cli.js';

let tmp: { dir: string; cleanup: () => Promise<void> };
let good: string; // a 2-rung TS stream made by a real ingest to file://
let goodFmp4: string;
let server: Server;
let baseUrl: string;

const LINE = /^(ok|warn|fail) {2,}\S|^(no failures|\d+ failed), \d+ warnings?$/;

async function ingest(dir: string, extra: string[] = []) {
  const r = await runCli(['ingest', '--input', 'testsrc:854x480', '--preset', '480p', '--duration', '6', '--no-realtime', '--origin', pathToFileURL(dir).href, ...extra]);
  expect(r.exitCode, r.stderr).toBe(0);
}

async function copyOf(name: string, from = good): Promise<string> {
  const dir = path.join(tmp.dir, name);
  await cp(from, dir, { recursive: true });
  return dir;
}

async function edit(file: string, change: (text: string) => string): Promise<void> {
  const before = await readFile(file, 'utf8');
  const after = change(before);
  expect(after).not.toBe(before);
  await writeFile(file, after);
}

async function check(target: string) {
  const r = await runCli(['check', target]);
  const lines = r.stdout.trim().split('\n');
  for (const l of lines) expect(l).toMatch(LINE);
  return { ...r, lines, fails: lines.filter((l) => l.startsWith('fail')), warns: lines.filter((l) => l.startsWith('warn')) };
}

beforeAll(async () => {
  tmp = await tempDir('livepipe-check-');
  good = path.join(tmp.dir, 'good');
  goodFmp4 = path.join(tmp.dir, 'good-fmp4');
  await ingest(good);
  await ingest(goodFmp4, ['--format', 'fmp4']);
  server = createServer((req, res) => {
    const file = path.join(tmp.dir, decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
    if (!file.startsWith(tmp.dir) || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    const type = file.endsWith('.m3u8') ? 'application/vnd.apple.mpegurl' : file.endsWith('.ts') ? 'video/mp2t' : 'video/mp4';
    void readFile(file).then((body) => res.writeHead(200, { 'content-type': type, 'content-length': body.length }).end(req.method === 'HEAD' ? undefined : body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 120_000);

afterAll(async () => {
  await new Promise<void>((resolve) => {
    server?.close(() => resolve());
    server?.closeAllConnections();
  });
  await tmp?.cleanup();
});

describe('livepipe check on real streams', () => {
  it('passes a good stream made by livepipe (TS), as a path and as a file:// URL', async () => {
    for (const target of [path.join(good, 'master.m3u8'), pathToFileURL(path.join(good, 'master.m3u8')).href]) {
      const r = await check(target);
      expect(r.exitCode, r.stdout).toBe(0);
      expect(r.fails).toEqual([]);
      expect(r.warns).toEqual([]);
      expect(r.lines).toContainEqual(expect.stringMatching(/^ok {4}master playlist .*: 2 variant streams$/));
      expect(r.lines).toContainEqual(expect.stringMatching(/^ok {4}480p\/index\.m3u8: BANDWIDTH=\d+ AVERAGE-BANDWIDTH=\d+ RESOLUTION=854x480 FRAME-RATE=30\.000 CODECS="avc1\./));
      expect(r.lines).toContainEqual(expect.stringMatching(/^ok {4}360p\/index\.m3u8: ended, 3 segments from #0, EXT-X-TARGETDURATION 2 ≥ every EXTINF/));
      expect(r.lines).toContainEqual(expect.stringMatching(/^ok {4}360p\/index\.m3u8: EXT-X-PROGRAM-DATE-TIME present/));
      expect(r.lines).toContainEqual('ok    480p/index.m3u8: all 3 segments reachable');
      expect(r.lines).toContainEqual(expect.stringMatching(/^ok {4}keyframes aligned: segment #2 starts within \d+ ms in all 2 video renditions/));
      expect(r.lines.at(-1)).toBe('no failures, 0 warnings');
    }
  });

  it('passes a good fMP4 stream (segments probed after their init section)', async () => {
    const r = await check(path.join(goodFmp4, 'master.m3u8'));
    expect(r.exitCode, r.stdout).toBe(0);
    expect(r.lines).toContainEqual('ok    360p/index.m3u8: all 3 segments and 1 init section reachable');
    expect(r.lines).toContainEqual(expect.stringMatching(/^ok {4}360p\/index\.m3u8: seg_2\.m4s starts with a keyframe at \d+\.\d+ s$/));
    expect(r.lines).toContainEqual(expect.stringMatching(/^ok {4}keyframes aligned/));
  });

  it('works over HTTP, and reports a 404 segment', async () => {
    const ok = await check(`${baseUrl}/good/master.m3u8`);
    expect(ok.exitCode, ok.stdout).toBe(0);
    expect(ok.lines).toContainEqual(expect.stringMatching(/^ok {4}keyframes aligned/));

    const dir = await copyOf('http-missing');
    await rm(path.join(dir, '480p', 'seg_0.ts'));
    const bad = await check(`${baseUrl}/http-missing/master.m3u8`);
    expect(bad.exitCode).toBe(1);
    expect(bad.fails).toContainEqual(expect.stringMatching(/^fail {2}480p\/index\.m3u8: 1 of 3 files it lists are not reachable: seg_0\.ts \(404 Not Found\)/));
  });

  it('fails a stream with a missing segment', async () => {
    const dir = await copyOf('missing-segment');
    await rm(path.join(dir, '360p', 'seg_1.ts'));
    const r = await check(path.join(dir, 'master.m3u8'));
    expect(r.exitCode).toBe(1);
    expect(r.fails).toEqual([expect.stringMatching(/^fail {2}360p\/index\.m3u8: 1 of 3 files it lists are not reachable: seg_1\.ts \(no such file\) {2}a playlist must only be published after/)]);
    expect(r.lines.at(-1)).toBe('1 failed, 0 warnings');
  });

  it('fails a playlist whose target duration is below an EXTINF', async () => {
    const dir = await copyOf('target-duration');
    await edit(path.join(dir, '480p', 'index.m3u8'), (t) => t.replace('#EXT-X-TARGETDURATION:2', '#EXT-X-TARGETDURATION:1'));
    const r = await check(path.join(dir, 'master.m3u8'));
    expect(r.exitCode).toBe(1);
    expect(r.fails).toEqual([expect.stringMatching(/^fail {2}480p\/index\.m3u8: EXTINF 2 of seg_0\.ts rounds to 2, above EXT-X-TARGETDURATION 1 \(3 segments\) {2}the target duration must be at least/)]);
  });

  it('fails rungs whose keyframes are not aligned (GOP offset per rung, direct ffmpeg)', async () => {
    const dir = path.join(tmp.dir, 'misaligned');
    await mkdir(dir);
    // Rung a: keyframes at 0, 2, 4 s. Rung b: at 0, 0.5, 2.5, 4.5 s. Both segmented with hls_time 2.
    const r0 = await execa('ffmpeg', [
      '-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=30', '-t', '6',
      '-filter_complex', '[0:v]split=2[a][b];[b]scale=320:180[b2]', '-map', '[a]', '-map', '[b2]',
      '-c:v', 'libx264', '-preset', 'ultrafast', '-sc_threshold', '0', '-g', '600',
      '-force_key_frames:v:0', 'expr:gte(t,n_forced*2)', '-force_key_frames:v:1', 'expr:gte(t,0.5+n_forced*2)',
      '-f', 'hls', '-hls_time', '2', '-hls_playlist_type', 'vod', '-hls_flags', 'independent_segments+program_date_time',
      '-hls_segment_filename', `${dir}/%v/seg_%d.ts`, '-var_stream_map', 'v:0,name:a v:1,name:b', `${dir}/%v/index.m3u8`,
    ], { reject: false, stdin: 'ignore' });
    expect(r0.exitCode, String(r0.stderr)).toBe(0);
    await writeFile(path.join(dir, 'master.m3u8'), [
      '#EXTM3U', '#EXT-X-VERSION:6',
      '#EXT-X-STREAM-INF:BANDWIDTH=1000000,AVERAGE-BANDWIDTH=900000,RESOLUTION=640x360,FRAME-RATE=30.000,CODECS="avc1.42c01e"', 'a/index.m3u8',
      '#EXT-X-STREAM-INF:BANDWIDTH=500000,AVERAGE-BANDWIDTH=400000,RESOLUTION=320x180,FRAME-RATE=30.000,CODECS="avc1.42c00d"', 'b/index.m3u8', '',
    ].join('\n'));
    const r = await check(path.join(dir, 'master.m3u8'));
    expect(r.exitCode).toBe(1);
    expect(r.lines).toContainEqual(expect.stringMatching(/^ok {4}a\/index\.m3u8: seg_2\.ts starts with a keyframe/));
    expect(r.lines).toContainEqual(expect.stringMatching(/^ok {4}b\/index\.m3u8: seg_2\.ts starts with a keyframe/));
    expect(r.fails).toContainEqual(expect.stringMatching(
      /^fail {2}keyframes not aligned across renditions: segment #2 starts at (\d+\.\d+) s in a\/index\.m3u8 but at (\d+\.\d+) s in b\/index\.m3u8 \(15 frames apart\)/,
    ));
  });

  it('fails a segment that does not start with a keyframe', async () => {
    const dir = await copyOf('no-keyframe');
    const file = path.join(dir, '360p', 'seg_2.ts');
    await writeFile(file, dropFirstVideoFrame(await readFile(file)));
    const r = await check(path.join(dir, 'master.m3u8'));
    expect(r.exitCode).toBe(1);
    expect(r.fails).toContainEqual(expect.stringMatching(/^fail {2}360p\/index\.m3u8: seg_2\.ts does not start with a keyframe/));
  });

  it('fails missing master attributes; warns for AVERAGE-BANDWIDTH and FRAME-RATE', async () => {
    const dir = await copyOf('attributes');
    await edit(path.join(dir, 'master.m3u8'), (t) => t.replace(/,AVERAGE-BANDWIDTH=\d+/, '').replace(/,FRAME-RATE=[\d.]+/, ''));
    const warned = await check(path.join(dir, 'master.m3u8'));
    expect(warned.exitCode).toBe(0);
    expect(warned.warns).toEqual([
      expect.stringMatching(/^warn {2}480p\/index\.m3u8: no AVERAGE-BANDWIDTH {2}add the average bitrate/),
      expect.stringMatching(/^warn {2}480p\/index\.m3u8: no FRAME-RATE {2}/),
    ]);
    await edit(path.join(dir, 'master.m3u8'), (t) => t.replace(/,CODECS="[^"]*"/, '').replace(/,RESOLUTION=854x480/, ''));
    const failed = await check(path.join(dir, 'master.m3u8'));
    expect(failed.exitCode).toBe(1);
    expect(failed.fails).toEqual([
      expect.stringMatching(/^fail {2}480p\/index\.m3u8: EXT-X-STREAM-INF has no CODECS/),
      expect.stringMatching(/^fail {2}480p\/index\.m3u8: EXT-X-STREAM-INF has no RESOLUTION/),
    ]);
  });

  it('fails a live playlist that does not advance', async () => {
    const dir = await copyOf('stalled');
    for (const rung of ['480p', '360p']) await edit(path.join(dir, rung, 'index.m3u8'), (t) => t.replace('#EXT-X-ENDLIST\n', ''));
    const started = Date.now();
    const r = await check(path.join(dir, 'master.m3u8'));
    expect(Date.now() - started).toBeGreaterThan(2_500); // re-fetched after 1 and 1.5 target durations
    expect(r.exitCode).toBe(1);
    expect(r.fails).toEqual([
      expect.stringMatching(/^fail {2}480p\/index\.m3u8: live playlist did not advance in 3\.0 s \(still #2, 3 segments, no EXT-X-ENDLIST\)/),
      expect.stringMatching(/^fail {2}360p\/index\.m3u8: live playlist did not advance in 3\.0 s/),
    ]);
  });

  it('passes a live stream while it is being published, and sees it advance', async () => {
    const dir = path.join(tmp.dir, 'live');
    let cli: ResultPromise | undefined;
    try {
      cli = startCli(['ingest', '--input', 'testsrc:640x360', '--preset', '360p', '--duration', '14', '--origin', pathToFileURL(dir).href]);
      const deadline = Date.now() + 20_000;
      while (!existsSync(path.join(dir, 'master.m3u8'))) {
        if (Date.now() > deadline) throw new Error('the live stream never published its master');
        await new Promise((r) => setTimeout(r, 200));
      }
      const r = await check(path.join(dir, 'master.m3u8'));
      expect(r.fails, r.stdout).toEqual([]);
      expect(r.exitCode).toBe(0);
      expect(r.lines).toContainEqual(expect.stringMatching(/^ok {4}360p\/index\.m3u8: live, \d+ segments/));
      expect(r.lines).toContainEqual(expect.stringMatching(/^ok {4}360p\/index\.m3u8: live playlist advanced from #\d+ to #\d+ in \d\.\d s/));
      const done = await cli;
      expect(done.exitCode).toBe(0);
    } finally {
      cli?.kill('SIGKILL');
      await cli?.catch(() => undefined);
    }
  });

  it('fails (exit 1) an unreachable master; no argument is a usage error (exit 2)', async () => {
    const r = await check(path.join(tmp.dir, 'nothing', 'master.m3u8'));
    expect(r.exitCode).toBe(1);
    expect(r.fails).toEqual([expect.stringMatching(/^fail {2}.*nothing\/master\.m3u8: not reachable \(no such file\)/)]);
    const usage = await runCli(['check']);
    expect(usage.exitCode).toBe(2);
    expect(usage.stderr.trim()).toBe("livepipe: error: missing required argument 'playlist'");
  });
});

/**
 * Cuts a TS segment so that it starts mid-GOP: keeps the PAT and PMT (so the video stream is still
 * known) and drops every packet before the second video PES, i.e. the IDR frame that opened it.
 */
function dropFirstVideoFrame(ts: Buffer): Buffer {
  const pid = (i: number) => ((ts[i + 1]! & 0x1f) << 8) | ts[i + 2]!;
  const unitStart = (i: number) => (ts[i + 1]! & 0x40) !== 0;
  const packets: number[] = [];
  for (let i = 0; i + 188 <= ts.length; i += 188) {
    expect(ts[i]).toBe(0x47);
    packets.push(i);
  }
  const tables = packets.filter((i) => pid(i) === 0 || pid(i) === 0x1000).slice(0, 2);
  expect(tables.length).toBe(2);
  const videoStarts = packets.filter((i) => pid(i) === 0x100 && unitStart(i));
  expect(videoStarts.length).toBeGreaterThan(2);
  return Buffer.concat([...tables.map((i) => ts.subarray(i, i + 188)), ts.subarray(videoStarts[1]!)]);
}

describe('playlist rules', () => {
  it('parses attribute lists with quoted commas', () => {
    const a = parseAttributeList('BANDWIDTH=1047200,RESOLUTION=640x360,CODECS="avc1.4d401e,mp4a.40.2",FRAME-RATE=30.000');
    expect([...a]).toEqual([['BANDWIDTH', '1047200'], ['RESOLUTION', '640x360'], ['CODECS', 'avc1.4d401e,mp4a.40.2'], ['FRAME-RATE', '30.000']]);
  });

  it('parses PROGRAM-DATE-TIME as ffmpeg and others write it, and infers it for later segments', () => {
    expect(parseDateTime('2026-11-20T22:42:54.408+0000')).toBe(Date.parse('2026-11-20T22:42:54.408Z'));
    expect(parseDateTime('2026-11-20T23:42:54.408+01:00')).toBe(Date.parse('2026-11-20T22:42:54.408Z'));
    expect(parseDateTime('yesterday')).toBeUndefined();
    const p = parsePlaylist('#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:7\n#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:00Z\n#EXTINF:2,\na.ts\n#EXTINF:1.5,\nb.ts\n') as MediaPlaylist;
    expect(p.segments.map((s) => [s.uri, s.sequence, s.startMs])).toEqual([
      ['a.ts', 7, Date.parse('2026-01-01T00:00:00Z')],
      ['b.ts', 8, Date.parse('2026-01-01T00:00:02Z')],
    ]);
    expect(() => parsePlaylist('<html>')).toThrow(/#EXTM3U/);
  });

  it('rounds EXTINF to the nearest integer against the target duration (RFC 8216 4.3.3.1)', () => {
    expect(exceedsTargetDuration(2.4, 2)).toBe(false);
    expect(exceedsTargetDuration(2.5, 2)).toBe(true);
    expect(exceedsTargetDuration(6.006, 6)).toBe(false);
    expect(exceedsTargetDuration(10, 6)).toBe(true);
  });

  it('requires PROGRAM-DATE-TIME on live playlists, only warns on ended ones', () => {
    const live = parsePlaylist('#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\na.ts\n') as MediaPlaylist;
    expect(checkMediaPlaylist('x', live).find((f) => f.what.includes('PROGRAM-DATE-TIME'))?.status).toBe('fail');
    const ended = parsePlaylist('#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\na.ts\n#EXT-X-ENDLIST\n') as MediaPlaylist;
    expect(checkMediaPlaylist('x', ended).find((f) => f.what.includes('PROGRAM-DATE-TIME'))?.status).toBe('warn');
    const noTarget = parsePlaylist('#EXTM3U\n#EXTINF:2,\na.ts\n#EXT-X-ENDLIST\n') as MediaPlaylist;
    expect(checkMediaPlaylist('x', noTarget)).toContainEqual(expect.objectContaining({ status: 'fail', what: 'x: no EXT-X-TARGETDURATION' }));
  });

  it('does not ask audio-only variants for RESOLUTION or FRAME-RATE', () => {
    const master = parsePlaylist('#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=128000,AVERAGE-BANDWIDTH=120000,CODECS="mp4a.40.2"\naudio.m3u8\n') as MasterPlaylist;
    expect(checkVariantAttributes('audio.m3u8', master.variants[0]!)).toEqual([
      { status: 'ok', what: 'audio.m3u8: BANDWIDTH=128000 AVERAGE-BANDWIDTH=120000 CODECS="mp4a.40.2"' },
    ]);
  });
});
