import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pathToFileURL } from 'node:url';
import { CLI, runCli, tempDir } from '../helpers/cli.js';
import type { EventRecord } from '../../src/events.js';

// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f]/;
// eslint-disable-next-line no-control-regex
const SGR = /\x1b\[[0-9;]*m/;

let tmp: { dir: string; cleanup: () => Promise<void> };
beforeAll(async () => {
  tmp = await tempDir('livepipe-output-');
});
afterAll(async () => {
  await tmp.cleanup();
});

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Runs the CLI inside a pseudo-terminal (util-linux script): stdout and stderr both go to the pty. */
async function runInPty(args: string[], env: NodeJS.ProcessEnv) {
  const command = ['node', CLI, ...args].map(quote).join(' ');
  const r = await execa('script', ['-qfec', command, '/dev/null'], { reject: false, timeout: 90_000, env: { TERM: 'xterm-256color', ...env }, stdin: 'ignore' });
  return { exitCode: r.exitCode, output: String(r.stdout) };
}

describe('ingest output', () => {
  it('on a terminal: a status line refreshed every second, a progress bar, colours', async () => {
    const origin = pathToFileURL(`${tmp.dir}/pty`).href;
    const { exitCode, output } = await runInPty(['ingest', '--input', 'testsrc:640x360', '--preset', '360p', '--duration', '6', '--origin', origin], { NO_COLOR: '' });
    expect(exitCode).toBe(0);
    const redraws = output.match(/\r\x1b\[1A\x1b\[J/g) ?? [];
    expect(redraws.length).toBeGreaterThanOrEqual(4); // ~6 s of stream, one refresh a second
    // The status line carries speed, bitrate, segments, latency, retries, origin state and live edge.
    const frames = output.split('\x1b[J').map((f) => f.replace(SGR_ALL, ''));
    const late = frames.filter((f) => /speed \d\.\d\d× \d+ fps/.test(f) && /360p \d+ kb\/s/.test(f) && /\d+ seg/.test(f) && /p95 \d+ ms/.test(f)
      && /0 retries/.test(f) && /origin ok/.test(f) && /edge \d+\.\d s/.test(f));
    expect(late.length).toBeGreaterThan(0);
    expect(output).toMatch(/\[[#.]+\]\s+\d+%\s+0:0\d \/ 0:06\s+ETA/);
    expect(SGR.test(output)).toBe(true);
    expect(output).toMatch(/finished: \d+ segments/);
  });

  it('on a terminal with NO_COLOR: no colour codes', async () => {
    const origin = pathToFileURL(`${tmp.dir}/nocolor`).href;
    const { exitCode, output } = await runInPty(['ingest', '--input', 'testsrc:640x360', '--preset', '360p', '--duration', '3', '--origin', origin], { NO_COLOR: '1' });
    expect(exitCode).toBe(0);
    expect(output).toContain('origin ok');
    expect(output).toContain('\x1b[J');
    expect(SGR.test(output)).toBe(false);
  });

  it('in a pipe: plain lines without control characters, and --json events on stdout', async () => {
    const origin = pathToFileURL(`${tmp.dir}/pipe`).href;
    const r = await runCli(['ingest', '--input', 'testsrc:640x360', '--preset', '360p', '--duration', '6', '--origin', origin, '--json'], { env: { NO_COLOR: '' } });
    expect(r.exitCode).toBe(0);
    expect(CONTROL.test(r.stderr.replace(/\n/g, ''))).toBe(false);
    expect(r.stderr).toMatch(/^livepipe: publishing "live" \(360p\) to file:\/\//);
    expect(r.stderr).toMatch(/\nfinished: \d+ segments, \d+ playlists, .* \(360p \d+ kb\/s\)\n?$/);

    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as EventRecord);
    for (const e of events) expect(Number.isNaN(Date.parse(e.time))).toBe(false);
    const kinds = events.map((e) => e.event);
    expect(kinds[0]).toBe('started');
    expect(kinds.at(-1)).toBe('finished');

    const started = events.find((e) => e.event === 'started')!;
    expect(started).toMatchObject({ stream: 'live', origin, renditions: ['360p'], durationSeconds: 6 });
    if (started.event === 'started') expect(started.streamUrl).toMatch(/master\.m3u8$/);

    const ffmpeg = events.find((e) => e.event === 'ffmpeg_started');
    expect(ffmpeg && ffmpeg.event === 'ffmpeg_started' && ffmpeg.argv.includes('-f') && ffmpeg.argv.includes('hls')).toBe(true);

    const segments = events.filter((e) => e.event === 'segment_published');
    expect(segments.length).toBeGreaterThanOrEqual(3);
    for (const s of segments) {
      expect(s).toMatchObject({ rung: '360p', key: expect.stringMatching(/^360p\/seg_\d+\.ts$/), sequence: expect.any(Number), bytes: expect.any(Number), latencyMs: expect.any(Number) });
    }
    const playlists = events.filter((e) => e.event === 'playlist_published');
    expect(playlists.length).toBeGreaterThanOrEqual(1);
    expect(playlists.at(-1)).toMatchObject({ rung: '360p', key: '360p/index.m3u8', final: true, mediaSequence: 0 });
    expect(events.some((e) => e.event === 'master_published')).toBe(true);
    expect(events.some((e) => e.event === 'progress')).toBe(true);

    const finished = events.at(-1)!;
    expect(finished).toMatchObject({ event: 'finished', exitCode: 0, retries: 0, restarts: 0 });
    if (finished.event === 'finished') {
      expect(finished.segments).toBe(segments.length);
      expect(finished.durationSeconds).toBeGreaterThan(5);
    }
  });

  it('--json keeps streaming when its reader goes away (| head -1)', async () => {
    const origin = pathToFileURL(`${tmp.dir}/epipe`).href;
    const command = ['node', CLI, 'ingest', '--input', 'testsrc:640x360', '--preset', '360p', '--duration', '3', '--origin', origin, '--json'].map(quote).join(' ');
    const r = await execa('bash', ['-c', `${command} | head -1; exit \${PIPESTATUS[0]}`], { reject: false, timeout: 60_000, stdin: 'ignore' });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(String(r.stdout)).toMatch(/^\{"event":"started"/);
    expect(String(r.stdout).split('\n')).toHaveLength(1);
    expect(String(r.stderr)).toMatch(/finished: \d+ segments/);
  });
});

// eslint-disable-next-line no-control-regex
const SGR_ALL = /\x1b\[[0-9;]*m/g;
