import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FaultOrigin } from '../helpers/fault-origin.js';
import { checkFaultOrigin } from '../helpers/recording-origin.js';
import {
  acked, ffmpegChildren, isSegmentPath, publishedPlaylists, RUNGS, segmentNumber, sleep, startFaultRun, waitForFfmpeg,
  waitPublished, type JsonEvent, type LiveRun,
} from './fault-helpers.js';

// DESIGN.md 3, invariant 5: an origin outage of some seconds (refused connections, timeouts, 5xx, 429)
// does not stop the stream; when the origin is back the newest state goes out first, nothing a
// published playlist lists is missing, and what left the window meanwhile is not uploaded late.

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

function segmentsOnDisk(out: string, rung: string): number[] {
  try {
    return readdirSync(path.join(out, rung)).filter((f) => /^seg_\d+\.(ts|m4s)$/.test(f)).map(segmentNumber);
  } catch {
    return [];
  }
}

async function stopAndCollect(run: LiveRun): Promise<JsonEvent[]> {
  run.child.kill('SIGINT');
  const code = await run.exited();
  if (code !== 0) throw new Error(`ingest exited ${code}: ${run.stderr().slice(-2000)}`);
  expect(run.events.filter((e) => e.event === 'error')).toEqual([]);
  return run.events;
}

function expectOutageReported(events: JsonEvent[], from: number): void {
  const changes = events.filter((e) => (e.event === 'outage_start' || e.event === 'outage_end') && Date.parse(e.time) >= from - 50);
  expect(changes.length).toBeGreaterThanOrEqual(2);
  changes.forEach((c, i) => expect(c.event).toBe(i % 2 === 0 ? 'outage_start' : 'outage_end'));
  expect(events.filter((e) => e.event === 'retry').length).toBeGreaterThan(0);
}

/** The first segment of each rung's newest playlist that ffmpeg has written (read when the origin comes back). */
async function windowStarts(out: string): Promise<Record<string, number>> {
  const starts: Record<string, number> = {};
  for (const rung of RUNGS) {
    const text = await readFile(path.join(out, rung, 'index.m3u8'), 'utf8');
    starts[rung] = segmentNumber(text.split('\n').find((l) => /^seg_\d+\./.test(l))!);
  }
  return starts;
}

/**
 * After `recoveredAt`, per rung: the first playlist published is the newest state (it lists the newest
 * segment tried before the recovery), and no segment that had left ffmpeg's window by the time the
 * origin came back (older than `windowAtRecovery`) is PUT any more.
 * Returns the numbers of the segments that were never uploaded (they fell out of the window).
 */
function expectNewestFirstAndNothingLate(origin: FaultOrigin, outageAt: number, recoveredAt: number, windowAtRecovery: Record<string, number>): Record<string, number[]> {
  const skipped: Record<string, number[]> = {};
  for (const rung of RUNGS) {
    const first = publishedPlaylists(origin, '/live/', rung).find((p) => p.req.time >= recoveredAt);
    expect(first, `${rung}: a playlist published after the outage`).toBeDefined();
    const listed = first!.facts.segments.map((s) => segmentNumber(s.uri));
    const segmentPuts = origin.filter({ method: 'PUT', path: `/live/${rung}/` }).filter((r) => isSegmentPath(r.path));
    const newestTriedBefore = Math.max(...segmentPuts.filter((r) => r.time <= recoveredAt).map((r) => segmentNumber(r.path)));
    expect(Math.max(...listed), `${rung}: first playlist after the outage lists the newest segment`).toBeGreaterThanOrEqual(newestTriedBefore);

    expect(listed[0]).toBeGreaterThanOrEqual(windowAtRecovery[rung]!);
    const late = segmentPuts.filter((r) => r.time >= recoveredAt && segmentNumber(r.path) < windowAtRecovery[rung]!).map((r) => `${r.path} +${r.time - recoveredAt} ms`);
    expect(late, `${rung}: segments uploaded late (window started at seg_${windowAtRecovery[rung]} when the origin came back)`).toEqual([]);

    const uploaded = new Set(acked(segmentPuts).map((r) => segmentNumber(r.path)));
    const lastBefore = Math.max(...acked(segmentPuts).filter((r) => r.endTime! < outageAt).map((r) => segmentNumber(r.path)));
    skipped[rung] = [];
    for (let n = lastBefore + 1; n < listed[0]!; n++) if (!uploaded.has(n)) skipped[rung].push(n);
  }
  return skipped;
}

describe('origin outage', () => {
  it('refused connections for 7 s: keeps encoding, bounded disk, newest state first, nothing late or missing', async () => {
    const window = 3;
    const { origin, out, run } = await startFaultRun(cleanups, ['--window', String(window)]);
    await waitPublished(origin, 2);
    const ffmpeg = await waitForFfmpeg(run.pid);

    await origin.goOffline();
    const outageAt = Date.now();
    const seen = new Set<number>();
    let mostOnDisk = 0;
    while (Date.now() - outageAt < 7_000) {
      for (const rung of RUNGS) {
        const segs = segmentsOnDisk(out, rung);
        mostOnDisk = Math.max(mostOnDisk, segs.length);
        if (rung === '360p') segs.forEach((n) => seen.add(n));
      }
      await sleep(200);
    }
    const windowAtRecovery = await windowStarts(out);
    await origin.goOnline();
    const recoveredAt = Date.now();
    const during = origin.requests.filter((r) => r.time > outageAt && r.time < recoveredAt);
    expect(during).toEqual([]); // nothing got through: the origin was really gone

    // The stream went on: the same ffmpeg wrote new segments, and ffmpeg's delete_segments kept the
    // folder at window + 1 segments per rung.
    expect(ffmpegChildren(run.pid)).toEqual([ffmpeg]);
    expect(seen.size).toBeGreaterThanOrEqual(8);
    expect(mostOnDisk).toBeLessThanOrEqual(window + 2);

    const newest = Math.max(...seen);
    await waitPublished(origin, newest + 3, recoveredAt);
    const events = await stopAndCollect(run);

    expectOutageReported(events, outageAt);
    expect(events.filter((e) => e.event === 'restart')).toEqual([]);
    const skipped = expectNewestFirstAndNothingLate(origin, outageAt, recoveredAt, windowAtRecovery);
    // Several segments left the window during the outage and were never uploaded.
    for (const rung of RUNGS) expect(skipped[rung]!.length, rung).toBeGreaterThanOrEqual(3);
    // Back within a few seconds (retries are woken when the origin answers again, not left in backoff).
    const firstAfter = Math.min(...RUNGS.map((rung) => publishedPlaylists(origin, '/live/', rung).find((p) => p.req.time >= recoveredAt)!.req.endTime!));
    expect(firstAfter - recoveredAt).toBeLessThan(4_000);
    expect(checkFaultOrigin(origin, '/live/', { expectEnded: true, recentMs: 500 })).toEqual([]);
  });

  it('timeouts, then 5xx, then 429: retried, newest state first, nothing late or missing', async () => {
    const { origin, out, run } = await startFaultRun(cleanups, ['--window', '3'], { LIVEPIPE_ORIGIN_TIMEOUT_MS: '800' });
    await waitPublished(origin, 2);
    const outageAt = Date.now();
    // Requests hang (the client's 800-ms timeout fires), then 503s, then 429s with Retry-After.
    origin.inject({ action: 'hang', forMs: 3_000 });
    await sleep(3_000);
    origin.inject({ status: 503, forMs: 2_000 });
    await sleep(2_000);
    origin.inject({ status: 429, retryAfter: '1', forMs: 1_500 });
    await sleep(1_500);
    const windowAtRecovery = await windowStarts(out);
    const recoveredAt = Date.now();
    const faulted = origin.requests.filter((r) => r.fault);
    expect(faulted.some((r) => r.fault!.action === 'hang')).toBe(true);
    expect(faulted.some((r) => r.status === 503)).toBe(true);

    const newestTried = Math.max(...origin.filter({ method: 'PUT', path: '/live/360p/' }).filter((r) => isSegmentPath(r.path)).map((r) => segmentNumber(r.path)));
    await waitPublished(origin, newestTried + 3, recoveredAt);
    const events = await stopAndCollect(run);
    expectOutageReported(events, outageAt);
    expect(events.some((e) => e.event === 'retry' && /timed out/.test(String(e.reason)))).toBe(true);
    expect(events.some((e) => e.event === 'retry' && /503/.test(String(e.reason)))).toBe(true);
    expect(events.filter((e) => e.event === 'restart')).toEqual([]);
    expectNewestFirstAndNothingLate(origin, outageAt, recoveredAt, windowAtRecovery);
    expect(checkFaultOrigin(origin, '/live/', { expectEnded: true, recentMs: 500 })).toEqual([]);
  });

  it('with --keep every segment is uploaded once the origin is back, in order', async () => {
    const { origin, out, run } = await startFaultRun(cleanups, ['--keep']);
    await waitPublished(origin, 1);
    await origin.goOffline();
    const outageAt = Date.now();
    await sleep(5_000);
    await origin.goOnline();
    const recoveredAt = Date.now();
    const newest = Math.max(...segmentsOnDisk(out, '360p'));
    await waitPublished(origin, newest + 2, recoveredAt);
    const events = await stopAndCollect(run);
    expectOutageReported(events, outageAt);

    expect(origin.filter({ method: 'DELETE' }).filter((r) => isSegmentPath(r.path))).toEqual([]);
    for (const rung of RUNGS) {
      const puts = acked(origin.filter({ method: 'PUT', path: `/live/${rung}/` }).filter((r) => isSegmentPath(r.path)))
        .sort((a, b) => a.endTime! - b.endTime!);
      const order = puts.map((r) => segmentNumber(r.path));
      // Each segment once, oldest first, none missing.
      expect(order, rung).toEqual(order.map((_, i) => i));
      const last = publishedPlaylists(origin, '/live/', rung).at(-1)!.facts;
      expect(last.ended).toBe(true);
      expect(last.mediaSequence).toBe(0);
      expect(last.segments.map((s) => segmentNumber(s.uri))).toEqual(order);
      // The segments made during the outage went up after it, still in order.
      expect(puts.filter((r) => r.time >= recoveredAt).length).toBeGreaterThanOrEqual(4);
    }
    expect(checkFaultOrigin(origin, '/live/', { expectEnded: true, exact: true })).toEqual([]);
  });
});
