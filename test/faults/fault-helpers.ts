/**
 * Shared by the fault tests: a light live ingest whose --json events are readable while it runs, the
 * ffmpeg child of a livepipe process (from /proc), and small checks on a FaultOrigin's request log.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { ResultPromise } from 'execa';
import { FIXTURES, startCli, tempDir } from '../helpers/cli.js';
import { FaultOrigin, type RecordedRequest } from '../helpers/fault-origin.js';

/** 360p + 240p, x264 ultrafast: light enough for a 2-core machine shared with other test runs. */
export const TINY_PRESET = path.join(FIXTURES, 'tiny-preset.json');
/** The rungs of TINY_PRESET. */
export const RUNGS = ['360p', '240p'];

export interface JsonEvent {
  event: string;
  time: string;
  [field: string]: unknown;
}

export interface LiveRun {
  child: ResultPromise;
  pid: number;
  /** Every --json event so far. */
  events: JsonEvent[];
  /** Human output (stderr) so far. */
  stderr(): string;
  waitEvent(predicate: (e: JsonEvent) => boolean, timeoutMs?: number): Promise<JsonEvent>;
  /** Resolves with the exit code once the process has exited. */
  exited(): Promise<number>;
  /** SIGKILLs it if it is still running (cleanup). */
  kill(): Promise<void>;
}

/** `livepipe ingest` of a 640x360 test picture in real time, 1-s segments, the tiny ladder, --json. */
export function ingestArgs(...extra: string[]): string[] {
  return ['ingest', '--input', 'testsrc:640x360', '--preset', TINY_PRESET, '--segment', '1', '--json', ...extra];
}

/** Starts the CLI and parses its --json events as they come. */
export function startLive(args: string[], env: NodeJS.ProcessEnv = {}): LiveRun {
  const child = startCli(args, { env });
  const events: JsonEvent[] = [];
  const waiters = new Set<() => void>();
  let partial = '';
  let err = '';
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.startsWith('{')) continue;
      try {
        events.push(JSON.parse(line) as JsonEvent);
      } catch {
        continue;
      }
    }
    for (const w of [...waiters]) w();
  });
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => (err += chunk));
  let exitCode: number | undefined;
  const done = child.then((r) => (exitCode = r.exitCode ?? -1));
  void done.finally(() => {
    for (const w of [...waiters]) w();
  });
  return {
    child,
    pid: child.pid!,
    events,
    stderr: () => err,
    waitEvent(predicate, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = events.find(predicate);
          if (found) {
            cleanup();
            resolve(found);
          } else if (exitCode !== undefined) {
            cleanup();
            reject(new Error(`livepipe exited (${exitCode}) before the awaited event; stderr: ${err.slice(-1500)}`));
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`no matching event within ${timeoutMs} ms; stderr: ${err.slice(-1500)}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    exited: () => done,
    async kill() {
      if (exitCode === undefined) child.kill('SIGKILL');
      await done;
    },
  };
}

/** Child pids of a process, from /proc/<pid>/task/<tid>/children. */
export function childPids(pid: number): number[] {
  const out: number[] = [];
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tasks) {
    try {
      out.push(...readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number));
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

function comm(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** The ffmpeg processes livepipe `pid` runs (setpriv execs ffmpeg, so the child itself is ffmpeg). */
export function ffmpegChildren(pid: number): number[] {
  return childPids(pid).filter((c) => comm(c) === 'ffmpeg' && isAlive(c));
}

/** Exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** Whether /proc still lists the pid as a running (or stopped) ffmpeg. */
export function isFfmpeg(pid: number): boolean {
  return existsSync(`/proc/${pid}`) && comm(pid) === 'ffmpeg' && isAlive(pid);
}

export async function waitUntil<T>(probe: () => T | undefined | false, timeoutMs: number, what: string, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** The one ffmpeg livepipe is running now. */
export function waitForFfmpeg(pid: number, timeoutMs = 20_000, not?: number): Promise<number> {
  return waitUntil(() => ffmpegChildren(pid).find((c) => c !== not), timeoutMs, `an ffmpeg child of ${pid}`);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Segment number of "seg_12.ts" / "360p/seg_12.m4s". */
export function segmentNumber(p: string): number {
  return Number(/seg_(\d+)\.\w+$/.exec(p)?.[1] ?? NaN);
}

export const isSegmentPath = (p: string): boolean => /\/seg_\d+\.(ts|m4s)$/.test(p);

/** Successful (2xx) requests. */
export function acked(requests: readonly RecordedRequest[]): RecordedRequest[] {
  return requests.filter((r) => r.status !== undefined && r.status >= 200 && r.status < 300);
}

export interface MediaFacts {
  mediaSequence: number;
  discontinuitySequence: number;
  /** Segment URIs with whether an #EXT-X-DISCONTINUITY precedes each. */
  segments: Array<{ uri: string; discontinuity: boolean }>;
  maps: string[];
  ended: boolean;
}

/** A media playlist read line by line (independent of the code under test). */
export function mediaFacts(text: string): MediaFacts {
  const facts: MediaFacts = { mediaSequence: 0, discontinuitySequence: 0, segments: [], maps: [], ended: false };
  let discontinuity = false;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#EXT-X-MEDIA-SEQUENCE:')) facts.mediaSequence = Number(line.split(':')[1]);
    else if (line.startsWith('#EXT-X-DISCONTINUITY-SEQUENCE:')) facts.discontinuitySequence = Number(line.split(':')[1]);
    else if (line === '#EXT-X-DISCONTINUITY') discontinuity = true;
    else if (line === '#EXT-X-ENDLIST') facts.ended = true;
    else if (line.startsWith('#EXT-X-MAP:')) facts.maps.push(/URI="([^"]+)"/.exec(line)?.[1] ?? '');
    else if (line !== '' && !line.startsWith('#')) {
      facts.segments.push({ uri: line, discontinuity });
      discontinuity = false;
    }
  }
  return facts;
}

/** Acknowledged PUTs of one rung's media playlist, in order, parsed. */
export function publishedPlaylists(origin: FaultOrigin, prefix: string, rung: string): Array<{ req: RecordedRequest; facts: MediaFacts }> {
  return acked(origin.filter({ method: 'PUT', path: `${prefix}${rung}/index.m3u8` }))
    .sort((a, b) => a.endTime! - b.endTime!)
    .map((req) => ({ req, facts: mediaFacts(req.body.toString('utf8')) }));
}

/** Puts a small stream on the origin, as an earlier run would have left it. */
export function prepopulate(origin: FaultOrigin, prefix: string): Map<string, Buffer> {
  const objects = new Map<string, Buffer>([
    [`${prefix}master.m3u8`, Buffer.from('#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=800000\n360p/index.m3u8\n')],
    [`${prefix}360p/index.m3u8`, Buffer.from('#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXT-X-MEDIA-SEQUENCE:7\n#EXTINF:1.0,\nseg_7.ts\n')],
    [`${prefix}360p/seg_7.ts`, Buffer.alloc(188 * 10, 0x47)],
  ]);
  for (const [p, body] of objects) origin.objects.set(p, { body, headers: {}, storedAt: Date.now() });
  return objects;
}

/**
 * A live ingest to a fresh FaultOrigin under /live/, writing into its own temporary --out (a livepipe
 * killed outright cannot remove a folder it made itself). Stopping and removal are pushed onto
 * `cleanups`, which the caller runs in reverse order.
 */
export async function startFaultRun(cleanups: Array<() => Promise<unknown>>, extra: string[], env: NodeJS.ProcessEnv = {}) {
  const origin = await FaultOrigin.start();
  cleanups.push(() => origin.stop());
  const { dir, cleanup } = await tempDir('livepipe-faults-');
  cleanups.push(cleanup);
  const out = path.join(dir, 'out');
  const run = startLive(ingestArgs('--origin', `${origin.url}live/`, '--out', out, ...extra), env);
  cleanups.push(() => run.kill());
  return { origin, out, run };
}

/** Waits until every rung has a playlist listing `seg_<n>` acknowledged by the origin (sent at or after `after`). */
export async function waitPublished(origin: FaultOrigin, n: number, after = 0, timeoutMs = 30_000): Promise<void> {
  for (const rung of RUNGS) {
    await origin.waitFor(
      (r) => r.method === 'PUT' && r.path === `/live/${rung}/index.m3u8` && r.status! < 300 && r.time >= after && r.body.includes(`seg_${n}.`),
      timeoutMs,
    );
  }
}
