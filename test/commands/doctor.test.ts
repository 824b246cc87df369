import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { checkNode, checkVideoDevices, parseCodecList, parseVersion, runDoctor } from '../../src/commands/doctor.js';
import { formatFinding } from '../../src/check/finding.js';
import { runCli, tempDir } from '../helpers/cli.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((c) => c()));
});

const LINE = /^(ok|warn|fail) {2,}\S/;

describe('livepipe doctor', () => {
  it('finds ffmpeg, ffprobe, the encoders and muxers on this machine', async () => {
    const r = await runCli(['doctor']);
    const lines = r.stdout.trim().split('\n');
    for (const l of lines) expect(l).toMatch(LINE);
    expect(lines).toContainEqual(expect.stringMatching(/^ok {4}ffmpeg \d+\.\d+\S* at \/\S+ffmpeg \((on PATH|from ffmpeg-static|from LIVEPIPE_FFMPEG)\)$/));
    expect(lines).toContainEqual(expect.stringMatching(/^ok {4}ffprobe \d+\.\d+\S* at \/\S+ffprobe/));
    expect(lines).toContain('ok    encoders libx264, aac');
    expect(lines).toContain('ok    muxers hls, mpegts');
    expect(lines).toContainEqual(expect.stringMatching(/^(ok {4}video devices: |warn {2}no video devices \(\/dev\/video\*\) {2}connect a camera)/));
    expect(r.exitCode).toBe(lines.some((l) => l.startsWith('fail')) ? 1 : 0);
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toBe('');
  });

  it('fails (exit 1) when ffmpeg cannot be found, with a fix', async () => {
    const r = await runCli(['doctor'], { env: { LIVEPIPE_FFMPEG: '/nonexistent/ffmpeg' } });
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toMatch(/^fail {2}ffmpeg not found at \/nonexistent\/ffmpeg {2}install FFmpeg/m);
  });

  it('checks that an origin accepts a write and a delete', async () => {
    const tmp = await tempDir('livepipe-doctor-');
    cleanups.push(tmp.cleanup);
    const good = await runCli(['doctor', '--origin', pathToFileURL(path.join(tmp.dir, 'origin')).href]);
    expect(good.exitCode).toBe(0);
    expect(good.stdout).toMatch(/^ok {4}origin file:\/\/\S+ accepts a write and a delete$/m);

    // A folder origin under a file cannot be written.
    await writeFile(path.join(tmp.dir, 'afile'), 'x');
    const bad = await runCli(['doctor', '--origin', pathToFileURL(path.join(tmp.dir, 'afile', 'sub')).href]);
    expect(bad.exitCode).toBe(1);
    expect(bad.stdout).toMatch(/^fail {2}origin .* {2}check the URL, the credentials/m);

    const unreachable = await runCli(['doctor', '--origin', 'http://127.0.0.1:9/live/']);
    expect(unreachable.exitCode).toBe(1);
    expect(unreachable.stdout).toMatch(/^fail {2}cannot reach origin http:\/\/127\.0\.0\.1:9\/live\//m);
  });

  it('rejects a malformed origin as a usage error (exit 2, one line)', async () => {
    const r = await runCli(['doctor', '--origin', 'ftp://x/y']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^livepipe: error: unsupported origin scheme "ftp:"/)]);
    expect(r.stdout).toBe('');
  });
});

describe('doctor pieces', () => {
  it('parses ffmpeg -encoders and -muxers listings', () => {
    const encoders = parseCodecList([
      'Encoders:', ' V..... = Video', ' A..... = Audio', ' ------',
      ' V....D libx264              libx264 H.264 / AVC / MPEG-4 AVC (codec h264)',
      ' A..... aac                  AAC (Advanced Audio Coding)',
    ].join('\n'));
    expect(encoders.has('libx264')).toBe(true);
    expect(encoders.has('aac')).toBe(true);
    expect(encoders.has('Video')).toBe(false);
    const muxers = parseCodecList(['File formats:', ' D. = Demuxing supported', ' .E = Muxing supported', ' --', '  E hls             Apple HTTP Live Streaming', '  E mpegts          MPEG-TS'].join('\n'));
    expect([...muxers]).toEqual(['hls', 'mpegts']);
    expect(parseVersion('ffmpeg version 5.1.9-0+deb12u1 Copyright (c) 2000-2026')).toBe('5.1.9-0+deb12u1');
    expect(parseVersion('ffmpeg version n7.1 Copyright')).toBe('n7.1');
  });

  it('lists /dev/video* devices; none is a warning, not a failure', async () => {
    const tmp = await tempDir('livepipe-devices-');
    cleanups.push(tmp.cleanup);
    expect(await checkVideoDevices(tmp.dir, 'linux')).toEqual([
      { status: 'warn', what: `no video devices (${tmp.dir}/video*)`, fix: 'connect a camera, or use a file, a URL or testsrc as --input' },
    ]);
    await writeFile(path.join(tmp.dir, 'video10'), '');
    await writeFile(path.join(tmp.dir, 'video2'), '');
    await mkdir(path.join(tmp.dir, 'videoX'));
    const found = await checkVideoDevices(tmp.dir, 'linux');
    expect(found[0]).toEqual({ status: 'ok', what: `video devices: ${tmp.dir}/video2, ${tmp.dir}/video10` });
    expect((await checkVideoDevices(tmp.dir, 'darwin'))[0]!.status).toBe('warn');
  });

  it('checks the Node.js version and formats lines', () => {
    expect(checkNode('20.11.0').status).toBe('ok');
    expect(checkNode('20.10.0').status).toBe('fail');
    expect(checkNode('22.1.0').status).toBe('ok');
    expect(formatFinding({ status: 'warn', what: 'no cameras', fix: 'plug one in' })).toBe('warn  no cameras  plug one in');
    expect(formatFinding({ status: 'ok', what: 'fine', fix: 'ignored' })).toBe('ok    fine');
    expect(formatFinding({ status: 'fail', what: 'bad' }, true)).toBe('\x1b[1;31mfail\x1b[0m  bad');
  });

  it('runDoctor returns 1 when anything fails', async () => {
    const lines: string[] = [];
    const code = await runDoctor({ env: { PATH: '/nonexistent' }, deviceDir: '/nonexistent' }, (l) => lines.push(l), false);
    expect(code).toBe(1);
    expect(lines).toContainEqual(expect.stringMatching(/^fail {2}ffmpeg not found on PATH/));
  });
});
