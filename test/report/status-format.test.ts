import { describe, expect, it } from 'vitest';
import {
  fitParts, formatBitrate, formatClock, formatPlainStatus, formatProgressLine, formatStatusBlock, formatStatusLine, stripAnsi,
} from '../../src/report/status-format.js';
import type { StatusSnapshot } from '../../src/report/stream-stats.js';

// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f]/;
// eslint-disable-next-line no-control-regex
const SGR = /\x1b\[[0-9;]*m/;

function snapshot(over: Partial<StatusSnapshot> = {}): StatusSnapshot {
  return {
    started: true, finished: false, stream: 'live', elapsedSeconds: 83, mediaSeconds: 80, speed: 1.02, fps: 30.4,
    totalSeconds: undefined, fraction: undefined, etaSeconds: undefined,
    rungs: [
      { name: '720p', segments: 40, bytes: 1, bitrateBps: 2_910_000, liveEdgeSeconds: 3.2 },
      { name: '360p', segments: 40, bytes: 1, bitrateBps: 812_000, liveEdgeSeconds: 3.1 },
    ],
    segments: 80, bytes: 2, publishP95Ms: 120.4, retries: 0, errors: 0, restarts: 0, origin: 'ok', outageSeconds: undefined,
    liveEdgeSeconds: 3.2, behind: false, slowOrigin: false, segmentSeconds: 2,
    ...over,
  };
}

describe('status formatting', () => {
  it('formats clocks and bitrates', () => {
    expect(formatClock(7.9)).toBe('0:07');
    expect(formatClock(754)).toBe('12:34');
    expect(formatClock(3723)).toBe('1:02:03');
    expect(formatBitrate(2_910_000)).toBe('2.91 Mb/s');
    expect(formatBitrate(812_400)).toBe('812 kb/s');
  });

  it('puts every field on the status line', () => {
    const line = formatStatusLine(snapshot(), { color: false, width: 200 });
    expect(line).toBe('1:23  speed 1.02× 30 fps  720p 2.91 Mb/s · 360p 812 kb/s  80 seg  p95 120 ms  0 retries  origin ok  edge 3.2 s');
    expect(SGR.test(line)).toBe(false);
  });

  it('makes outages and warnings stand out, in colour only when asked', () => {
    const bad = snapshot({ origin: 'outage', outageSeconds: 12.3, behind: true, slowOrigin: true, retries: 7, restarts: 1 });
    const plain = formatStatusLine(bad, { color: false, width: 300 });
    expect(plain).toContain('origin OUTAGE 12 s');
    expect(plain).toContain('FALLING BEHIND');
    expect(plain).toContain('SLOW ORIGIN');
    expect(plain).toContain('7 retries');
    expect(plain).toContain('1 restart');
    const colored = formatStatusLine(bad, { color: true, width: 300 });
    expect(colored).toContain('\x1b[1;31morigin OUTAGE 12 s\x1b[0m');
    expect(colored).toContain('\x1b[1;33mFALLING BEHIND\x1b[0m');
    expect(stripAnsi(colored)).toBe(plain);
  });

  it('never exceeds the terminal width and keeps the most important parts', () => {
    for (const width of [20, 40, 60, 79, 120]) {
      const line = formatStatusLine(snapshot({ origin: 'outage', outageSeconds: 5 }), { color: true, width });
      expect(stripAnsi(line).length).toBeLessThanOrEqual(width);
    }
    const narrow = stripAnsi(formatStatusLine(snapshot({ origin: 'outage', outageSeconds: 5 }), { color: false, width: 40 }));
    expect(narrow).toContain('origin OUTAGE');
    expect(narrow).toContain('1:23');
    expect(narrow).not.toContain('720p');
    expect(fitParts([{ text: 'abcdefghij', style: 'plain', priority: 1 }], 5, false)).toBe('abcd…');
  });

  it('draws a progress bar with percent and ETA when the length is known', () => {
    const s = snapshot({ totalSeconds: 300, mediaSeconds: 135, fraction: 0.45, etaSeconds: 165 });
    const line = formatProgressLine(s, { color: false, width: 80 })!;
    expect(line).toMatch(/^\[#+\.+\]\s+45%  2:15 \/ 5:00  ETA 2:45$/);
    expect(line.length).toBeLessThanOrEqual(80);
    const bar = /^\[(#*)(\.*)\]/.exec(line)!;
    expect(bar[1]!.length / (bar[1]!.length + bar[2]!.length)).toBeCloseTo(0.45, 1);
    expect(formatProgressLine(snapshot(), { color: false, width: 80 })).toBeUndefined();
    expect(formatStatusBlock(s, { color: false, width: 80 })).toHaveLength(2);
    expect(formatStatusBlock(snapshot(), { color: false, width: 80 })).toHaveLength(1);
  });

  it('writes a plain status line without control characters', () => {
    const line = formatPlainStatus(snapshot({ origin: 'outage', outageSeconds: 4, behind: true, totalSeconds: 100, fraction: 0.5, etaSeconds: 50 }));
    expect(CONTROL.test(line)).toBe(false);
    expect(line).toBe('status: 1:23 elapsed, speed 1.02x, 30 fps, 720p 2.91 Mb/s, 360p 812 kb/s, 80 segments, publish p95 120 ms, 0 retries, '
      + 'origin OUTAGE for 4.0 s, live edge 3.2 s, 50% ETA 0:50, FALLING BEHIND real time');
  });
});
