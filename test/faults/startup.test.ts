import { readdir, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, runCli, tempDir, type CliResult } from '../helpers/cli.js';
import { FaultOrigin } from '../helpers/fault-origin.js';
import { TINY_PRESET, prepopulate } from './fault-helpers.js';

// Startup: the origin is probed (write + delete) before ffmpeg starts, and every bad input, flag,
// origin or environment ends at once with one `livepipe: error:` line and the right exit code
// (DESIGN.md 1), without touching what an earlier run left on the origin (invariant 7).

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

function expectOneErrorLine(r: CliResult, message: RegExp): void {
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^livepipe: error: /);
  expect(lines[0]).toMatch(message);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

/** A TCP port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

describe('the origin probe before ffmpeg starts', () => {
  it.each([
    ['refuses writes (403)', 403, /refused the probe write: 403/],
    ['fails (500 on every attempt)', 500, /probe write: 500/],
  ])('an origin that %s: exit 1, no encoding, nothing damaged', async (_what, status, message) => {
    const origin = await FaultOrigin.start();
    cleanups.push(() => origin.stop());
    const before = prepopulate(origin, '/live/');
    origin.inject({ status, match: { method: ['PUT', 'DELETE'] } });
    const { dir, cleanup } = await tempDir();
    cleanups.push(cleanup);
    const out = path.join(dir, 'out');

    const r = await runCli(['ingest', '--input', 'testsrc:640x360', '--preset', TINY_PRESET, '--segment', '1', '--json', '--out', out, '--origin', `${origin.url}live/`]);
    expect(r.exitCode).toBe(1);
    expectOneErrorLine(r, message);
    expect(r.stdout).not.toMatch(/"ffmpeg_started"/);
    expect(await readdir(out)).toEqual([]); // ffmpeg never wrote anything
    expect(origin.requests.map((q) => `${q.method} ${q.path.replace(/probe-\w+/, 'probe-*')}`)).toEqual(['PUT /live/.livepipe-probe-*']);
    for (const [p, body] of before) expect(origin.object(p)?.body.equals(body), p).toBe(true);
  });

  it('an unreachable origin: exit 1, no encoding', async () => {
    const { dir, cleanup } = await tempDir();
    cleanups.push(cleanup);
    const out = path.join(dir, 'out');
    const r = await runCli(['ingest', '--input', 'testsrc:640x360', '--preset', TINY_PRESET, '--json', '--out', out, '--origin', `http://127.0.0.1:${await closedPort()}/live/`]);
    expect(r.exitCode).toBe(1);
    expectOneErrorLine(r, /cannot reach origin .*ECONNREFUSED/);
    expect(r.stdout).not.toMatch(/"ffmpeg_started"/);
    expect(await readdir(out)).toEqual([]);
  });
});

describe('bad inputs', () => {
  let origin: FaultOrigin;
  let before: Map<string, Buffer>;
  let work: string;
  let removeWork: () => Promise<void>;
  let blocker: net.Server;
  let busyPort: number;

  beforeAll(async () => {
    origin = await FaultOrigin.start();
    before = prepopulate(origin, '/live/');
    ({ dir: work, cleanup: removeWork } = await tempDir('livepipe-bad-'));
    await writeFile(path.join(work, 'a-file'), 'not a folder');
    blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    busyPort = (blocker.address() as net.AddressInfo).port;
  });
  afterAll(async () => {
    await origin.stop();
    await new Promise((r) => blocker.close(r));
    await removeWork();
  });

  // [what, args (an "ORIGIN" placeholder is the pre-populated FaultOrigin), exit code(s), message, env]
  type Row = [string, string[], number[], RegExp, Record<string, string | undefined>?];
  const rows: Row[] = [
    ['a camera that does not exist', ['--input', '/dev/video97', '--origin', 'ORIGIN'], [2], /no camera at \/dev\/video97/],
    ['a missing input file', ['--input', '/no/such/clip.mp4', '--origin', 'ORIGIN'], [2], /input file not found/],
    ['a file that is not media', ['--input', path.join(FIXTURES, 'not-media.mp4'), '--origin', 'ORIGIN'], [1, 2], /not-media\.mp4/],
    ['an input URL nobody answers', ['--input', 'rtmp://127.0.0.1:1/x', '--max-restarts', '2', '--origin', 'ORIGIN'], [1], /Connection refused/i],
    ['an unknown preset', ['--input', 'testsrc', '--preset', 'nope', '--origin', 'ORIGIN'], [2], /unknown preset "nope"/],
    ['a broken preset file', ['--input', 'testsrc', '--preset', path.join(FIXTURES, 'broken-preset.json'), '--origin', 'ORIGIN'], [2], /width/],
    ['--segment abc', ['--input', 'testsrc', '--segment', 'abc', '--origin', 'ORIGIN'], [2], /--segment/],
    ['--window 1', ['--input', 'testsrc', '--window', '1', '--origin', 'ORIGIN'], [2], /--window/],
    ['--format avi', ['--input', 'testsrc', '--format', 'avi', '--origin', 'ORIGIN'], [2], /--format/],
    ['--port 70000', ['--input', 'testsrc', '--port', '70000'], [2], /--port/],
    ['--max-restarts -1', ['--input', 'testsrc', '--max-restarts', '-1', '--origin', 'ORIGIN'], [2], /--max-restarts/],
    ['--header without a colon', ['--input', 'testsrc', '--header', 'oops', '--origin', 'ORIGIN'], [2], /--header/],
    ['an unsupported origin scheme', ['--input', 'testsrc', '--origin', 'ftp://127.0.0.1/live/'], [2], /unsupported origin scheme "ftp:"/],
    ['s3:// without AWS credentials', ['--input', 'testsrc', '--origin', 's3://bucket/live'], [2], /AWS credentials/, { AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined, AWS_PROFILE: undefined }],
    ['momento:// without MOMENTO_API_KEY', ['--input', 'testsrc', '--origin', 'momento://store/live'], [2], /MOMENTO_API_KEY/, { MOMENTO_API_KEY: undefined }],
    ['an out folder that cannot be created', ['--input', 'testsrc', '--out', 'WORK/a-file/out', '--origin', 'ORIGIN'], [2], /output folder .* is not writable/],
    ['the built-in origin\'s port in use', ['--input', 'testsrc:640x360', '--preset', TINY_PRESET, '--port', 'BUSY'], [1], /port \d+ is already in use/],
  ];

  it.each(rows)('%s: one error line, exit code, origin untouched', async (_what, args, codes, message, env) => {
    const requestsBefore = origin.requests.length;
    const home = path.join(work, 'empty-home');
    const cleared: Record<string, string | undefined> = { HOME: home, MOMENTO_ENDPOINT: undefined };
    for (const name of Object.keys(process.env)) if (name.startsWith('AWS_')) cleared[name] = undefined;
    const resolved = args.map((a) => a.replace('ORIGIN', `${origin.url}live/`).replace('WORK', work).replace('BUSY', String(busyPort)));
    const r = await runCli(['ingest', ...resolved, '--json'], { env: { ...cleared, ...env }, timeoutMs: 30_000 });
    expect(codes, r.stderr).toContain(r.exitCode);
    expectOneErrorLine(r, message);
    expect(r.stdout).not.toMatch(/"ffmpeg_started"/);
    // Invariant 7: nothing reached the origin, and what an earlier run left there is intact.
    expect(origin.requests.slice(requestsBefore).map((q) => `${q.method} ${q.path}`)).toEqual([]);
    for (const [p, body] of before) expect(origin.object(p)?.body.equals(body), p).toBe(true);
  });
});
