import { afterEach, describe, expect, it } from 'vitest';
import { checkFaultOrigin } from '../helpers/recording-origin.js';
import { isFfmpeg, publishedPlaylists, RUNGS, segmentNumber, sleep, startFaultRun, waitForFfmpeg, waitPublished, waitUntil } from './fault-helpers.js';

// DESIGN.md 3, invariant 6: SIGINT / SIGTERM finish the current segment, publish playlists with
// #EXT-X-ENDLIST and exit 0 within seconds; a second SIGINT stops at once; and whatever happens to
// livepipe (even SIGKILL), no ffmpeg is left behind.

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

async function live(...extra: string[]) {
  const { origin, run } = await startFaultRun(cleanups, ['--window', '3', ...extra]);
  await waitPublished(origin, 2);
  const ffmpeg = await waitForFfmpeg(run.pid);
  return { origin, run, ffmpeg };
}

describe('stopping', () => {
  it.each(['SIGINT', 'SIGTERM'] as const)('%s: the current segment is finished and published with ENDLIST, exit 0', async (signal) => {
    const { origin, run, ffmpeg } = await live();
    await sleep(400); // mid-segment
    const lastBefore = Object.fromEntries(RUNGS.map((rung) => [rung, Math.max(...publishedPlaylists(origin, '/live/', rung).flatMap((p) => p.facts.segments.map((s) => segmentNumber(s.uri))))]));
    const signalledAt = Date.now();
    run.child.kill(signal);
    const code = await run.exited();
    const tookMs = Date.now() - signalledAt;
    expect(code, run.stderr()).toBe(0);
    expect(tookMs, `exit took ${tookMs} ms`).toBeLessThan(6_000);
    expect(isFfmpeg(ffmpeg)).toBe(false);
    expect(run.events.filter((e) => e.event === 'error')).toEqual([]);
    expect(run.events.find((e) => e.event === 'finished')).toMatchObject({ exitCode: 0, restarts: 0 });

    for (const rung of RUNGS) {
      const final = publishedPlaylists(origin, '/live/', rung).at(-1)!.facts;
      expect(final.ended, rung).toBe(true);
      // The segment in progress at the signal was finished and listed.
      expect(segmentNumber(final.segments.at(-1)!.uri), rung).toBeGreaterThan(lastBefore[rung]!);
    }
    expect(checkFaultOrigin(origin, '/live/', { expectEnded: true, exact: true, recentMs: 1_000 })).toEqual([]);
  });

  it('a second SIGINT stops at once, and no ffmpeg is left', async () => {
    const { run, ffmpeg } = await live();
    run.child.kill('SIGINT');
    await sleep(150);
    const secondAt = Date.now();
    run.child.kill('SIGINT');
    const code = await run.exited();
    expect(Date.now() - secondAt).toBeLessThan(1_500);
    expect(code).toBe(130);
    await waitUntil(() => !isFfmpeg(ffmpeg), 3_000, `ffmpeg ${ffmpeg} to be gone`);
  });

  it('SIGINT while ffmpeg is being restarted still ends the playlists', async () => {
    const { origin, run, ffmpeg } = await live();
    process.kill(ffmpeg, 'SIGKILL');
    await run.waitEvent((e) => e.event === 'restart', 10_000);
    run.child.kill('SIGINT'); // during the 500-ms backoff: no ffmpeg to write #EXT-X-ENDLIST
    expect(await run.exited(), run.stderr()).toBe(0);
    for (const rung of RUNGS) expect(publishedPlaylists(origin, '/live/', rung).at(-1)!.facts.ended, rung).toBe(true);
    expect(checkFaultOrigin(origin, '/live/', { expectEnded: true, exact: true, recentMs: 1_000 })).toEqual([]);
  });

  it('livepipe SIGKILLed: its ffmpeg dies with it', async () => {
    const { run, ffmpeg } = await live();
    run.child.kill('SIGKILL');
    await run.exited();
    await waitUntil(() => !isFfmpeg(ffmpeg), 3_000, `ffmpeg ${ffmpeg} to be gone`);
  });
});
