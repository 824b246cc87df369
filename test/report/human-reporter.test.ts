import { describe, expect, it } from 'vitest';
import { EventBus, PipelineEvent } from '../../src/events.js';
import { attachHealthMonitor, healthWarnings } from '../../src/report/health-monitor.js';
import { attachHumanReporter, terminalMode } from '../../src/report/human-reporter.js';
import { StreamStats } from '../../src/report/stream-stats.js';
import { TtyStatusRenderer } from '../../src/report/tty-renderer.js';

// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f]/;
// eslint-disable-next-line no-control-regex
const SGR = /\x1b\[[0-9;]*m/;

class FakeStream {
  out = '';
  constructor(readonly isTTY: boolean, readonly columns = 100) {}
  write(s: string): boolean {
    this.out += s;
    return true;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function startedAt(bus: EventBus, extra: { durationSeconds?: number } = {}) {
  bus.emit(PipelineEvent.Started, { stream: 'live', origin: 'file:///o', out: '/nonexistent', renditions: ['360p'], streamUrl: '/o/master.m3u8', ...extra });
}

function finish(bus: EventBus) {
  bus.emit(PipelineEvent.Finished, { exitCode: 0, segments: 3, playlists: 3, bytes: 700_000, retries: 0, restarts: 0, durationSeconds: 6.4 });
}

describe('terminalMode', () => {
  it('uses a status line only on a TTY, colour never with NO_COLOR or TERM=dumb', () => {
    expect(terminalMode({ isTTY: true }, {})).toEqual({ tty: true, color: true });
    expect(terminalMode({ isTTY: true }, { NO_COLOR: '1' })).toEqual({ tty: true, color: false });
    expect(terminalMode({ isTTY: true }, { NO_COLOR: '' })).toEqual({ tty: true, color: true });
    expect(terminalMode({ isTTY: true }, { TERM: 'dumb' })).toEqual({ tty: false, color: false });
    expect(terminalMode({ isTTY: false }, {})).toEqual({ tty: false, color: false });
    expect(terminalMode({}, {})).toEqual({ tty: false, color: false });
  });
});

describe('TtyStatusRenderer', () => {
  it('redraws the block in place and scrolls log lines above it', () => {
    const s = new FakeStream(true, 50);
    const r = new TtyStatusRenderer(s);
    expect(r.width).toBe(49);
    r.render(['a', 'b']);
    expect(s.out).toBe('a\nb');
    r.render(['c', 'd']);
    expect(s.out).toBe('a\nb\r\x1b[1A\x1b[Jc\nd');
    s.out = '';
    r.log('hello');
    expect(s.out).toBe('\r\x1b[1A\x1b[Jhello\nc\nd');
    s.out = '';
    r.render(['one line']);
    r.render(['again']);
    expect(s.out).toBe('\r\x1b[1A\x1b[Jone line\r\x1b[Jagain');
    s.out = '';
    r.clear();
    expect(s.out).toBe('\r\x1b[J');
  });
});

describe('attachHumanReporter', () => {
  it('on a TTY: refreshes a coloured status line and progress bar about every refresh period', async () => {
    const bus = new EventBus();
    const stream = new FakeStream(true, 100);
    const detach = attachHumanReporter(bus, { verbose: false, stream, env: {}, refreshMs: 20 });
    startedAt(bus, { durationSeconds: 10 });
    bus.emit(PipelineEvent.Progress, { speed: 1, fps: 30, outTimeSeconds: 2.5, frame: 75 });
    await sleep(90);
    bus.emit(PipelineEvent.Warning, { message: 'slow origin: something', code: 'slow_origin' });
    await sleep(30);
    finish(bus);
    detach();
    const out = stream.out;
    expect(out).toContain('\x1b[1mlivepipe: publishing "live" (360p) to file:///o\x1b[0m\n');
    expect((out.match(/\r\x1b\[1A\x1b\[J/g) ?? []).length).toBeGreaterThanOrEqual(3);
    expect(out).toContain('origin ok');
    expect(out).toMatch(/\]\s+25%/);
    expect(out).toContain('\x1b[1;33mwarning: slow origin: something\x1b[0m');
    // The block is erased before the summary, which ends the output.
    expect(out).toMatch(/\r\x1b\[1A\x1b\[J\x1b\[32mfinished: 3 segments, 3 playlists, 700 kB published, 0 retries, 0 restarts in 6\.4 s\x1b\[0m\n$/);
  });

  it('on a TTY with NO_COLOR: the same status line, no colour codes', async () => {
    const bus = new EventBus();
    const stream = new FakeStream(true, 100);
    const detach = attachHumanReporter(bus, { verbose: false, stream, env: { NO_COLOR: '1' }, refreshMs: 20 });
    startedAt(bus);
    await sleep(50);
    bus.emit(PipelineEvent.Error, { message: 'boom' });
    finish(bus);
    detach();
    expect(stream.out).toContain('origin ok');
    expect(stream.out).toContain('\r\x1b[J');
    expect(stream.out).toContain('error: boom\n');
    expect(SGR.test(stream.out)).toBe(false);
  });

  it('not on a TTY: plain lines only, with a periodic status line and no control characters', async () => {
    const bus = new EventBus();
    const stream = new FakeStream(false);
    const detach = attachHumanReporter(bus, { verbose: true, stream, env: {}, plainStatusMs: 20 });
    startedAt(bus, { durationSeconds: 10 });
    bus.emit(PipelineEvent.FfmpegStarted, { argv: ['ffmpeg', '-i', 'x'], command: 'ffmpeg -i x', pid: 1 });
    bus.emit(PipelineEvent.SegmentPublished, { rung: '360p', key: '360p/seg_0.ts', sequence: 0, bytes: 1000, latencyMs: 3 });
    bus.emit(PipelineEvent.OutageStart, { origin: 'file:///o', reason: '503' });
    await sleep(60);
    finish(bus);
    detach();
    const lines = stream.out.split('\n');
    expect(lines[0]).toBe('livepipe: publishing "live" (360p) to file:///o');
    expect(lines).toContain('  stream: /o/master.m3u8');
    expect(lines).toContain('ffmpeg command:');
    expect(lines).toContain('published 360p/seg_0.ts (1000 bytes, 3 ms)');
    expect(lines.some((l) => l.startsWith('status: ') && l.includes('origin OUTAGE'))).toBe(true);
    expect(lines.filter(Boolean).pop()).toMatch(/^finished: 3 segments/);
    expect(CONTROL.test(stream.out.replace(/\n/g, ''))).toBe(false);
  });

  it('keeps the legacy write(line) form', () => {
    const bus = new EventBus();
    const lines: string[] = [];
    const detach = attachHumanReporter(bus, { verbose: false, write: (l) => lines.push(l), plainStatusMs: 0 });
    startedAt(bus);
    finish(bus);
    detach();
    expect(lines[0]).toBe('livepipe: publishing "live" (360p) to file:///o');
    expect(lines.at(-1)).toMatch(/^finished:/);
  });
});

describe('health warnings', () => {
  it('emits one coded Warning event when the stream starts falling behind', async () => {
    const bus = new EventBus();
    const stats = new StreamStats({ behindForMs: 0 });
    bus.onEvent((e) => stats.apply(e, Date.now()));
    const warnings: Array<{ code?: string; message: string }> = [];
    bus.onEvent((e) => e.event === PipelineEvent.Warning && warnings.push({ code: e.code, message: e.message }));
    const detach = attachHealthMonitor(bus, stats, { intervalMs: 10 });
    startedAt(bus);
    const t = Date.now();
    // Fake progress at half real time: 0.5 s of media per second of wall time.
    for (let i = 1; i <= 4; i++) stats.apply({ event: PipelineEvent.Progress, time: '', speed: 0.5, fps: 15, outTimeSeconds: i * 0.5, frame: i * 15 }, t - 4_000 + i * 1_000);
    await sleep(60);
    detach();
    expect(warnings.filter((w) => w.code === 'falling_behind')).toHaveLength(1);
    expect(warnings[0]!.message).toMatch(/^falling behind real time: the encoder runs at 0\.50× real time/);
  });

  it('describes a slow origin', () => {
    const w = healthWarnings({
      started: true, finished: false, stream: 'x', elapsedSeconds: 1, mediaSeconds: 1, speed: 1, fps: 30, totalSeconds: undefined, fraction: undefined,
      etaSeconds: undefined, rungs: [], segments: 1, bytes: 1, publishP95Ms: 1800, retries: 0, errors: 0, restarts: 0, origin: 'ok',
      outageSeconds: undefined, liveEdgeSeconds: undefined, behind: false, slowOrigin: true, segmentSeconds: 2,
    });
    expect(w).toEqual([{ code: 'slow_origin', message: 'slow origin: publish latency p95 1800 ms is close to the 2 s segment length; viewers will stall' }]);
  });
});

describe('statusLine: false', () => {
  it('writes plain lines even on a terminal', () => {
    const bus = new EventBus();
    const stream = new FakeStream(true);
    const detach = attachHumanReporter(bus, { verbose: false, stream, env: {}, statusLine: false, plainStatusMs: 0 });
    startedAt(bus);
    finish(bus);
    detach();
    expect(stream.out).toMatch(/^livepipe: publishing "live" \(360p\) to file:\/\/\/o\n {2}stream: \/o\/master\.m3u8\nfinished: /);
    expect(CONTROL.test(stream.out.replace(/\n/g, ''))).toBe(false);
  });
});
