import { describe, expect, it } from 'vitest';
import { parsePlaylist, type MediaPlaylist } from '../../src/check/m3u8.js';
import { PipelineEvent } from '../../src/events.js';
import { percentile, StreamStats } from '../../src/report/stream-stats.js';
import { mediaPlaylist, progress, rec, started, T0 } from './events-helper.js';

const media = (text: string) => parsePlaylist(text) as MediaPlaylist;
const segment = (rung: string, seq: number, bytes: number, latencyMs = 10, atMs = 0) =>
  rec(PipelineEvent.SegmentPublished, { rung, key: `${rung}/seg_${seq}.ts`, sequence: seq, bytes, latencyMs }, atMs);
const playlist = (rung: string, mediaSequence: number, segments: number, atMs = 0) =>
  rec(PipelineEvent.PlaylistPublished, { rung, key: `${rung}/index.m3u8`, mediaSequence, segments, final: false, latencyMs: 5 }, atMs);

describe('StreamStats', () => {
  it('computes the actual bitrate per rung from published bytes and playlist durations', () => {
    const s = new StreamStats();
    s.apply(started());
    s.apply(segment('720p', 0, 750_000));
    s.apply(segment('720p', 1, 250_000));
    s.apply(segment('360p', 0, 200_000));
    // Durations are not known yet: no bitrate rather than a wrong one.
    expect(s.snapshot(T0).rungs.find((r) => r.name === '720p')!.bitrateBps).toBeUndefined();
    s.addPlaylist('720p', media(mediaPlaylist({ sequence: 0, count: 2, duration: 2 })));
    s.addPlaylist('360p', media(mediaPlaylist({ sequence: 0, count: 1, duration: 2 })));
    const snap = s.snapshot(T0);
    expect(snap.rungs.find((r) => r.name === '720p')!.bitrateBps).toBe((1_000_000 * 8) / 4);
    expect(snap.rungs.find((r) => r.name === '360p')!.bitrateBps).toBe((200_000 * 8) / 2);
    expect(snap.segments).toBe(3);
    expect(snap.bytes).toBe(1_200_000);
    // A playlist read twice does not count its segments twice.
    s.addPlaylist('720p', media(mediaPlaylist({ sequence: 0, count: 2, duration: 2 })));
    expect(s.snapshot(T0).rungs.find((r) => r.name === '720p')!.bitrateBps).toBe(2_000_000);
  });

  it('uses durations carried by the events when the publisher provides them', () => {
    const s = new StreamStats();
    s.apply(started({ renditions: ['720p'] }));
    s.apply(rec(PipelineEvent.SegmentPublished, {
      rung: '720p', key: '720p/seg_5.ts', sequence: 5, bytes: 500_000, latencyMs: 3, durationSeconds: 4, programDateTime: new Date(T0).toISOString(),
    }));
    s.apply(playlist('720p', 0, 6));
    const snap = s.snapshot(T0 + 5_000);
    expect(snap.rungs[0]!.bitrateBps).toBe(1_000_000);
    expect(snap.rungs[0]!.liveEdgeSeconds).toBeCloseTo(1, 6);
  });

  it('measures the live edge from the PROGRAM-DATE-TIME end of the newest published segment', () => {
    const s = new StreamStats();
    s.apply(started({ renditions: ['720p'] }));
    const pdtBase = T0 - 60_000;
    // The local playlist is already one segment ahead of the published one.
    s.addPlaylist('720p', media(mediaPlaylist({ sequence: 10, count: 6, duration: 2, startMs: pdtBase })));
    s.apply(playlist('720p', 10, 5)); // newest published: #14, ends at pdtBase + 15 × 2 s
    const end = pdtBase + 30_000;
    expect(s.snapshot(end + 1_500).liveEdgeSeconds).toBeCloseTo(1.5, 6);
    s.apply(playlist('720p', 11, 5)); // #15
    expect(s.snapshot(end + 2_500).liveEdgeSeconds).toBeCloseTo(0.5, 6);
    // An older playlist event arriving late never moves the edge back.
    s.apply(playlist('720p', 9, 5));
    expect(s.snapshot(end + 2_500).liveEdgeSeconds).toBeCloseTo(0.5, 6);
  });

  it('does not count an fMP4 init section as a media segment', () => {
    const s = new StreamStats();
    s.apply(started({ renditions: ['720p'] }));
    s.apply(rec(PipelineEvent.SegmentPublished, { rung: '720p', key: '720p/init_0.mp4', sequence: 0, bytes: 900, latencyMs: 1 }));
    s.apply(rec(PipelineEvent.SegmentPublished, { rung: '720p', key: '720p/seg_0.m4s', sequence: 0, bytes: 100_000, latencyMs: 1 }));
    s.addPlaylist('720p', media('#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-MAP:URI="init_0.mp4"\n#EXTINF:2.0,\nseg_0.m4s\n'));
    expect(s.snapshot(T0).rungs[0]!.bitrateBps).toBe(400_000);
  });

  it('measures speed and fps over the last seconds, not since ffmpeg started', () => {
    const s = new StreamStats();
    s.apply(started());
    // ffmpeg reports cumulative averages (0.38 after start-up); the windowed speed is what happens now.
    s.apply(progress(0, 0, 1, 0, 0));
    s.apply(progress(1_000, 0.4, 12, 0.38, 29));
    s.apply(progress(2_000, 1.4, 42, 0.68, 29));
    s.apply(progress(3_000, 2.4, 72, 0.79, 30));
    const snap = s.snapshot(3_000 + T0);
    expect(snap.speed).toBeCloseTo(1, 6);
    expect(snap.fps).toBeCloseTo(30, 6);
    expect(snap.mediaSeconds).toBe(2.4);
    expect(snap.behind).toBe(false);
  });

  it('shows ffmpeg\'s own speed until there is a window to measure', () => {
    const s = new StreamStats();
    s.apply(started());
    s.apply(progress(1_000, 0.4, 12, 0.38, 29));
    expect(s.snapshot(T0 + 1_000).speed).toBe(0.38);
    expect(s.snapshot(T0 + 1_000).fps).toBe(29);
  });

  it('flags falling behind real time only after speed stays below 1 for several seconds', () => {
    const s = new StreamStats({ realtime: true });
    s.apply(started());
    let out = 0;
    for (let t = 1_000; t <= 12_000; t += 1_000) {
      out += 0.7;
      s.apply(progress(t, out));
      if (t === 4_000) expect(s.snapshot(T0 + t).behind).toBe(false);
    }
    const snap = s.snapshot(T0 + 12_000);
    expect(snap.speed).toBeCloseTo(0.7, 6);
    expect(snap.behind).toBe(true);
    // Back to real time: the flag clears.
    for (let t = 13_000; t <= 20_000; t += 1_000) {
      out += 1;
      s.apply(progress(t, out));
    }
    expect(s.snapshot(T0 + 20_000).behind).toBe(false);
  });

  it('does not flag falling behind when the input is not read in real time', () => {
    const s = new StreamStats({ realtime: false });
    s.apply(started());
    let out = 0;
    for (let t = 1_000; t <= 12_000; t += 1_000) s.apply(progress(t, (out += 0.5)));
    expect(s.snapshot(T0 + 12_000).behind).toBe(false);
  });

  it('treats a stalled encoder as falling behind, but not one that reached the end', () => {
    const s = new StreamStats();
    s.apply(started({ durationSeconds: 60 }));
    for (let t = 1_000; t <= 4_000; t += 1_000) s.apply(progress(t, t / 1000));
    expect(s.snapshot(T0 + 5_000).behind).toBe(false);
    const stalled = s.snapshot(T0 + 10_000);
    expect(stalled.speed).toBe(0);
    expect(stalled.behind).toBe(true);

    const done = new StreamStats();
    done.apply(started({ durationSeconds: 4 }));
    for (let t = 1_000; t <= 4_000; t += 1_000) done.apply(progress(t, t / 1000));
    expect(done.snapshot(T0 + 12_000).behind).toBe(false);
  });

  it('computes progress and ETA when the media length is known', () => {
    const s = new StreamStats();
    s.apply(started({ durationSeconds: 100 }));
    for (let t = 1_000; t <= 5_000; t += 1_000) s.apply(progress(t, 10 + (t / 1000) * 2)); // 2× real time
    const snap = s.snapshot(T0 + 5_000);
    expect(snap.totalSeconds).toBe(100);
    expect(snap.fraction).toBeCloseTo(0.2, 6);
    expect(snap.etaSeconds).toBeCloseTo(40, 6);
  });

  it('tracks publish latency p95, retries, restarts, errors and the origin state', () => {
    const s = new StreamStats({ segmentSeconds: 2 });
    s.apply(started());
    for (let i = 0; i < 19; i++) s.apply(segment('720p', i, 1000, 100));
    s.apply(segment('720p', 19, 1000, 1900));
    let snap = s.snapshot(T0);
    expect(snap.publishP95Ms).toBe(100);
    expect(snap.slowOrigin).toBe(false);
    s.apply(rec(PipelineEvent.Retry, { key: 'k', attempt: 1, delayMs: 100, reason: '503' }));
    s.apply(rec(PipelineEvent.Retry, { key: 'k', attempt: 2, delayMs: 200, reason: '503' }));
    s.apply(rec(PipelineEvent.OutageStart, { origin: 'o', reason: '503' }, 1_000));
    s.apply(rec(PipelineEvent.Restart, { attempt: 1, delayMs: 500, reason: 'crash' }));
    s.apply(rec(PipelineEvent.Error, { message: 'x' }));
    snap = s.snapshot(T0 + 4_000);
    expect(snap.retries).toBe(2);
    expect(snap.restarts).toBe(1);
    expect(snap.errors).toBe(1);
    expect(snap.origin).toBe('outage');
    expect(snap.outageSeconds).toBe(3);
    s.apply(rec(PipelineEvent.OutageEnd, { origin: 'o', durationMs: 3000 }, 4_000));
    expect(s.snapshot(T0 + 4_000).origin).toBe('ok');
  });

  it('flags a slow origin when publish latency p95 nears the segment length', () => {
    const s = new StreamStats({ segmentSeconds: 2 });
    s.apply(started());
    for (let i = 0; i < 10; i++) s.apply(segment('720p', i, 1000, 1700));
    expect(s.snapshot(T0).slowOrigin).toBe(true);
    // Without a known segment length, the playlists' target duration is used.
    const t = new StreamStats();
    t.apply(started());
    t.addPlaylist('720p', media(mediaPlaylist({ sequence: 0, count: 1, duration: 4 })));
    for (let i = 0; i < 10; i++) t.apply(segment('720p', i, 1000, 3000));
    expect(t.snapshot(T0).slowOrigin).toBe(false);
    for (let i = 10; i < 40; i++) t.apply(segment('720p', i, 1000, 3500));
    expect(t.snapshot(T0).slowOrigin).toBe(true);
  });
});

describe('percentile', () => {
  it('uses the nearest rank', () => {
    expect(percentile([], 0.95)).toBeUndefined();
    expect(percentile([5], 0.95)).toBe(5);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.95)).toBe(10);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.5)).toBe(5);
  });
});
