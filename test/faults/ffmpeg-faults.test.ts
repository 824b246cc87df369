import { execa } from 'execa';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/cli.js';
import { FaultOrigin } from '../helpers/fault-origin.js';
import { checkFaultOrigin } from '../helpers/recording-origin.js';
import {
  acked, ffmpegChildren, isFfmpeg, publishedPlaylists, RUNGS, segmentNumber, startFaultRun, startLive, waitForFfmpeg,
  waitPublished, waitUntil, type JsonEvent,
} from './fault-helpers.js';

// ffmpeg dies (SIGKILL) or hangs (SIGSTOP) mid-stream: livepipe restarts it with backoff, the
// playlists continue (append_list) with a discontinuity, and the origin sees one continuous stream.
// An input that keeps failing makes livepipe give up with ffmpeg's reason.

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

function newestListed(origin: FaultOrigin): number {
  return Math.max(...publishedPlaylists(origin, '/live/', '360p').flatMap((p) => p.facts.segments.map((s) => segmentNumber(s.uri))));
}

async function stop(run: ReturnType<typeof startLive>): Promise<JsonEvent[]> {
  run.child.kill('SIGINT');
  const code = await run.exited();
  if (code !== 0) throw new Error(`ingest exited ${code}: ${run.stderr().slice(-2000)}`);
  expect(run.events.filter((e) => e.event === 'error')).toEqual([]);
  return run.events;
}

/**
 * What the origin got across one restart: media sequences only grow, exactly one segment carries
 * #EXT-X-DISCONTINUITY (the first one of the new ffmpeg, numbered right after the last one listed
 * before), the discontinuity is still counted (EXT-X-DISCONTINUITY-SEQUENCE) once it leaves the
 * window, and the master and the paths did not change.
 */
function expectContinuedAcrossRestart(origin: FaultOrigin, ext: 'ts' | 'm4s'): void {
  for (const rung of RUNGS) {
    const playlists = publishedPlaylists(origin, '/live/', rung);
    const sequences = playlists.map((p) => p.facts.mediaSequence);
    expect(sequences, rung).toEqual([...sequences].sort((a, b) => a - b));

    const marked = new Set<number>();
    const order = new Map<number, number>(); // segment → the one listed before it
    for (const { facts } of playlists) {
      facts.segments.forEach((s, i) => {
        const n = segmentNumber(s.uri);
        if (s.discontinuity) marked.add(n);
        if (i > 0) order.set(n, segmentNumber(facts.segments[i - 1]!.uri));
      });
    }
    expect([...marked], `${rung}: segments after a discontinuity`).toHaveLength(1);
    const [first] = [...marked];
    expect(order.get(first!), `${rung}: numbering continues across the restart`).toBe(first! - 1);
    for (const { facts } of playlists) {
      expect(facts.discontinuitySequence, `${rung} at media sequence ${facts.mediaSequence}`).toBe(facts.mediaSequence > first! ? 1 : 0);
    }
    expect(Math.max(...sequences), `${rung}: the discontinuity left the window`).toBeGreaterThan(first!);
  }
  const masters = acked(origin.filter({ method: 'PUT', path: '/live/master.m3u8' }));
  expect(masters.length).toBeGreaterThanOrEqual(1);
  for (const m of masters) expect(m.body.toString()).toBe(masters[0]!.body.toString());
  const paths = new Set(origin.filter({ method: 'PUT' }).map((r) => r.path).filter((p) => !p.includes('.livepipe-probe-')));
  const allowed = new RegExp(`^/live/(master\\.m3u8|(360p|240p)/(index\\.m3u8|seg_\\d+\\.${ext}|init_\\d\\.mp4))$`);
  expect([...paths].filter((p) => !allowed.test(p))).toEqual([]);
}

describe('ffmpeg killed mid-stream', () => {
  it.each(['ts', 'fmp4'] as const)('%s: restarted with backoff, playlists continue with a discontinuity', async (format) => {
    const { origin, out, run } = await startFaultRun(cleanups, ['--window', '3', '--format', format]);
    await waitPublished(origin, 3);
    const first = await waitForFfmpeg(run.pid);
    process.kill(first, 'SIGKILL');
    const restart = await run.waitEvent((e) => e.event === 'restart', 10_000);
    expect(restart).toMatchObject({ attempt: 1, delayMs: 500, reason: expect.stringMatching(/SIGKILL/) });
    const second = await waitForFfmpeg(run.pid, 10_000, first);
    expect(second).not.toBe(first);
    expect(isFfmpeg(first)).toBe(false);

    // Until the segment after the restart has left the 3-segment window.
    await waitPublished(origin, newestListed(origin) + 5);
    const events = await stop(run);
    expect(events.filter((e) => e.event === 'restart')).toHaveLength(1);
    expect(events.find((e) => e.event === 'finished')).toMatchObject({ exitCode: 0, restarts: 1 });

    expectContinuedAcrossRestart(origin, format === 'fmp4' ? 'm4s' : 'ts');
    expect(checkFaultOrigin(origin, '/live/', { expectEnded: true, exact: true, recentMs: 1_000 })).toEqual([]);
    if (format === 'fmp4') {
      // The init section on the origin is the one the running ffmpeg wrote (it rewrites it on a restart).
      for (const [i, rung] of RUNGS.entries()) {
        const local = await readFile(path.join(out, rung, `init_${i}.mp4`));
        expect(origin.object(`/live/${rung}/init_${i}.mp4`)?.body.equals(local), rung).toBe(true);
      }
    }
  });

  it('a stalled ffmpeg (SIGSTOP) is killed by the watchdog and restarted', async () => {
    const { origin, run } = await startFaultRun(cleanups, ['--window', '3'], { LIVEPIPE_STALL_MS: '2500' });
    await waitPublished(origin, 2);
    const first = await waitForFfmpeg(run.pid);
    process.kill(first, 'SIGSTOP');
    const stoppedAt = Date.now();
    const restart = await run.waitEvent((e) => e.event === 'restart', 15_000);
    expect(Date.now() - stoppedAt).toBeGreaterThanOrEqual(2_000);
    expect(String(restart.reason)).toMatch(/no progress|stall/i);
    expect(run.events.some((e) => e.event === 'warning' && /no progress/.test(String(e.message)))).toBe(true);
    // The stopped process really died (SIGKILL works on a stopped process) and a new one runs.
    await waitUntil(() => !isFfmpeg(first), 5_000, `stopped ffmpeg ${first} to die`);
    await waitForFfmpeg(run.pid, 10_000, first);
    await waitPublished(origin, newestListed(origin) + 5);
    await stop(run);
    expectContinuedAcrossRestart(origin, 'ts');
    expect(checkFaultOrigin(origin, '/live/', { expectEnded: true, exact: true, recentMs: 1_000 })).toEqual([]);
  });
});

describe('an input that keeps failing', () => {
  let media: Buffer;
  beforeAll(async () => {
    const { dir, cleanup } = await tempDir('livepipe-src-');
    const file = path.join(dir, 'src.ts');
    await execa('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=30', '-t', '2', '-c:v', 'libx264', '-preset', 'ultrafast', '-f', 'mpegts', file]);
    media = await readFile(file);
    await cleanup();
  });

  it('gives up after --max-restarts failures with ffmpeg\'s reason, exit 1', async () => {
    // A URL source that answers the probe (one GET) and then only 404s: every ffmpeg run fails at once.
    let gets = 0;
    const server = http.createServer((req, res) => {
      gets++;
      if (gets === 1) {
        res.writeHead(200, { 'content-type': 'video/mp2t' });
        res.end(media);
      } else {
        res.writeHead(404);
        res.end();
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => server.close(r)));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/src.ts`;
    const origin = await FaultOrigin.start();
    cleanups.push(() => origin.stop());

    const started = Date.now();
    const run = startLive(['ingest', '--input', url, '--preset', '360p', '--segment', '1', '--json', '--max-restarts', '2', '--origin', `${origin.url}live/`]);
    cleanups.push(() => run.kill());
    const code = await run.exited();
    expect(code).toBe(1);
    expect(Date.now() - started).toBeLessThan(20_000);
    const restarts = run.events.filter((e) => e.event === 'restart');
    expect(restarts.map((e) => e.delayMs)).toEqual([500, 1_000]); // backoff doubles
    expect(run.events.filter((e) => e.event === 'ffmpeg_started')).toHaveLength(3);
    const errors = run.stderr().split('\n').filter((l) => l.startsWith('livepipe: error:'));
    expect(errors).toHaveLength(1);
    // The reason is ffmpeg's own (the probe got the media; only ffmpeg got the 404s).
    expect(errors[0]).toMatch(/404/);
    expect(errors[0]).toMatch(/gave up after 3 failures/);
    expect(run.stderr()).not.toMatch(/\n\s+at /);
    expect(ffmpegChildren(run.pid)).toEqual([]);
    expect(gets).toBeGreaterThanOrEqual(4);
  });
});
