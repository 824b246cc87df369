/**
 * Soak test: `npm run soak -- --minutes N`
 *
 * Runs the built livepipe (bin/livepipe.js) live for N minutes: a testsrc picture through the light
 * 2-rung ladder (fixtures/tiny-preset.json, 1-s segments) published over HTTP to an in-process
 * FaultOrigin. Every few minutes the origin goes away for a while (connections refused, then 503s,
 * then requests that hang until the client's timeout, in turn), and every few minutes ffmpeg is
 * SIGKILLed. At the end livepipe gets SIGINT and must exit 0 with final playlists.
 *
 * The origin's request log is checked as it grows (and then dropped, so a long soak does not hoard
 * segment bodies): every acknowledged media playlist must reference only objects the origin holds,
 * media sequences only grow, and after an outage no segment older than the first one of the newest
 * playlist ffmpeg had written when the origin came back is uploaded late. The livepipe process's RSS
 * (VmRSS) is sampled every 10 s.
 *
 * Options: --minutes N (default 10), --outage-every M (minutes, default 3), --outage-seconds S
 * (default 20), --kill-every M (minutes, default 3), --first-outage S and --first-kill S (seconds into
 * the run, defaults 40 and 100). Exit code 1 when an invariant broke.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FaultOrigin, type Fault, type RecordedRequest } from '../test/helpers/fault-origin.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const RUNGS = ['360p', '240p'];
const PREFIX = '/live/';

interface Options {
  minutes: number;
  outageEveryMin: number;
  outageSeconds: number;
  killEveryMin: number;
  firstOutageS: number;
  firstKillS: number;
}

function parseOptions(argv: string[]): Options {
  const o: Options = { minutes: 10, outageEveryMin: 3, outageSeconds: 20, killEveryMin: 3, firstOutageS: 40, firstKillS: 100 };
  const names: Record<string, keyof Options> = {
    '--minutes': 'minutes', '--outage-every': 'outageEveryMin', '--outage-seconds': 'outageSeconds',
    '--kill-every': 'killEveryMin', '--first-outage': 'firstOutageS', '--first-kill': 'firstKillS',
  };
  for (let i = 0; i < argv.length; i++) {
    const key = names[argv[i]!];
    const value = Number(argv[i + 1]);
    if (!key || !Number.isFinite(value) || value < 0) {
      process.stderr.write(`soak: unknown option or bad value: ${argv[i]} ${argv[i + 1] ?? ''}\n`);
      process.exit(2);
    }
    o[key] = value;
    i++;
  }
  return o;
}

const log = (message: string) => process.stderr.write(`[soak ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function segmentNumber(p: string): number {
  return Number(/seg_(\d+)\.\w+$/.exec(p)?.[1] ?? NaN);
}

function vmRssKb(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

function ffmpegChildren(pid: number): number[] {
  const out: number[] = [];
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      for (const c of readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean)) {
        const comm = readFileSync(`/proc/${c}/comm`, 'utf8').trim();
        if (comm === 'ffmpeg') out.push(Number(c));
      }
    }
  } catch {
    // gone meanwhile
  }
  return out;
}

interface PlaylistFacts {
  mediaSequence: number;
  refs: string[];
  segments: string[];
  ended: boolean;
}

function parsePlaylist(rung: string, text: string): PlaylistFacts {
  const facts: PlaylistFacts = { mediaSequence: 0, refs: [], segments: [], ended: false };
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#EXT-X-MEDIA-SEQUENCE:')) facts.mediaSequence = Number(line.split(':')[1]);
    else if (line === '#EXT-X-ENDLIST') facts.ended = true;
    else if (line.startsWith('#EXT-X-MAP:')) facts.refs.push(`${rung}/${/URI="([^"]+)"/.exec(line)?.[1]}`);
    else if (line !== '' && !line.startsWith('#')) {
      facts.refs.push(`${rung}/${line}`);
      facts.segments.push(line);
    }
  }
  return facts;
}

/** Replays the origin's request log incrementally (by completion time) and counts broken invariants. */
class LogChecker {
  readonly present = new Set<string>();
  readonly publishedSegments = new Set<string>();
  missingReferenced = 0;
  sequenceWentBack = 0;
  lateUploads = 0;
  playlistsAcked = 0;
  readonly problems: string[] = [];
  private readonly lastSequence = new Map<string, number>();
  /** Per outage: when it ended, and per rung the first segment of ffmpeg's newest playlist at that moment. */
  readonly recoveries: Array<{ at: number; windowStart: Map<string, number>; firstPlaylistMs: Map<string, number> }> = [];

  recovered(at: number, windowStart: Map<string, number>): void {
    this.recoveries.push({ at, windowStart, firstPlaylistMs: new Map() });
  }

  /** Takes the requests the origin has answered so far out of its log. */
  drain(origin: FaultOrigin): void {
    const now = Date.now();
    const done: RecordedRequest[] = [];
    const keep: RecordedRequest[] = [];
    for (const r of origin.requests) {
      if (r.endTime !== undefined) done.push(r);
      else if (now - r.time < 60_000) keep.push(r); // still in flight (or hanging: dropped after a minute)
    }
    origin.requests.splice(0, origin.requests.length, ...keep);
    done.sort((a, b) => a.endTime! - b.endTime!);
    for (const r of done) this.apply(r);
  }

  private note(problem: string): void {
    if (this.problems.length < 20) this.problems.push(problem);
  }

  private apply(r: RecordedRequest): void {
    if (!r.path.startsWith(PREFIX)) return;
    const key = decodeURIComponent(r.path.slice(PREFIX.length));
    const isSegment = /\/seg_\d+\.(ts|m4s)$/.test(key);
    if (r.method === 'PUT' && isSegment) {
      // A segment that had left ffmpeg's window when the origin came back must not be uploaded late.
      const rung = key.split('/')[0]!;
      for (const rec of this.recoveries) {
        const start = rec.windowStart.get(rung);
        if (r.time < rec.at || r.time > rec.at + 60_000 || start === undefined || segmentNumber(key) >= start) continue;
        this.lateUploads++;
        this.note(`late upload ${r.time - rec.at} ms after the outage that ended ${new Date(rec.at).toISOString()}: ${key} (the window started at seg_${start} then)`);
      }
    }
    const ok = r.status !== undefined && r.status >= 200 && r.status < 300;
    if (!ok) return;
    if (r.method === 'DELETE') {
      this.present.delete(key);
      return;
    }
    if (r.method !== 'PUT') return;
    this.present.add(key);
    if (isSegment) this.publishedSegments.add(key);
    const rung = key.split('/')[0]!;
    if (!key.endsWith('/index.m3u8')) return;
    this.playlistsAcked++;
    const facts = parsePlaylist(rung, r.body.toString('utf8'));
    for (const ref of facts.refs) {
      if (this.present.has(ref)) continue;
      this.missingReferenced++;
      this.note(`playlist ${key} (media sequence ${facts.mediaSequence}) references ${ref}, which the origin lacks`);
    }
    const last = this.lastSequence.get(rung) ?? -1;
    if (facts.mediaSequence < last) {
      this.sequenceWentBack++;
      this.note(`${key}: media sequence went back from ${last} to ${facts.mediaSequence}`);
    }
    this.lastSequence.set(rung, facts.mediaSequence);
    for (const rec of this.recoveries) {
      if (r.time >= rec.at && !rec.firstPlaylistMs.has(rung)) rec.firstPlaylistMs.set(rung, r.endTime! - rec.at);
    }
  }

  /** The final tree: every playlist the master lists, and what they reference, is on the origin. */
  finalCheck(origin: FaultOrigin): { missing: number; ended: boolean } {
    let missing = 0;
    let ended = true;
    const master = origin.object(`${PREFIX}master.m3u8`)?.body.toString();
    if (!master) {
      this.note('no master.m3u8 on the origin at the end');
      return { missing: 1, ended: false };
    }
    for (const rung of RUNGS) {
      const body = origin.object(`${PREFIX}${rung}/index.m3u8`)?.body.toString();
      if (!body) {
        missing++;
        this.note(`no ${rung}/index.m3u8 at the end`);
        continue;
      }
      const facts = parsePlaylist(rung, body);
      ended &&= facts.ended;
      for (const ref of facts.refs) {
        if (origin.object(`${PREFIX}${ref}`)) continue;
        missing++;
        this.note(`final ${rung}/index.m3u8 references ${ref}, which the origin lacks`);
      }
    }
    return { missing, ended };
  }
}

interface EventCounts {
  [event: string]: number;
}

async function main(): Promise<number> {
  const opts = parseOptions(process.argv.slice(2));
  const totalMs = opts.minutes * 60_000;
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'livepipe-soak-'));
  const out = path.join(tmp, 'out');
  const origin = await FaultOrigin.start();
  const checker = new LogChecker();
  const counts: EventCounts = {};
  let finished: Record<string, unknown> | undefined;
  const produced = new Map<string, Set<number>>(RUNGS.map((r) => [r, new Set<number>()]));
  const rss: number[] = [];
  const ffmpegRss: number[] = [];
  const outages: Array<{ kind: string; start: number; end: number; recoveredMs?: number }> = [];
  let kills = 0;
  let child: ChildProcess | undefined;
  let interrupted = false;

  const onSignal = () => {
    if (interrupted) return;
    interrupted = true;
    log('interrupted: stopping livepipe');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    log(`${opts.minutes} min; outage of ${opts.outageSeconds} s every ${opts.outageEveryMin} min from ${opts.firstOutageS} s; ffmpeg SIGKILL every ${opts.killEveryMin} min from ${opts.firstKillS} s`);
    const args = [
      path.join(ROOT, 'bin', 'livepipe.js'), 'ingest', '--input', 'testsrc:640x360', '--preset', path.join(ROOT, 'fixtures', 'tiny-preset.json'),
      '--segment', '1', '--window', '6', '--json', '--origin', `${origin.url}live/`, '--out', out,
    ];
    child = spawn(process.execPath, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, LIVEPIPE_ORIGIN_TIMEOUT_MS: '2000', TMPDIR: tmp },
    });
    const pid = child.pid!;
    const exited = new Promise<number>((resolve) => child!.once('close', (code, signal) => resolve(code ?? (signal ? 128 : -1))));
    let partial = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.startsWith('{')) continue;
        const e = JSON.parse(line) as { event: string } & Record<string, unknown>;
        counts[e.event] = (counts[e.event] ?? 0) + 1;
        if (e.event === 'finished') finished = e;
        if (e.event === 'error' || e.event === 'restart' || e.event === 'outage_start' || e.event === 'outage_end') {
          log(`livepipe ${e.event}: ${String(e.message ?? e.reason ?? (e.durationMs !== undefined ? `${e.durationMs} ms` : ''))}`);
        }
      }
    });
    let stderrTail = '';
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderrTail = (stderrTail + chunk).slice(-4000)));

    const started = Date.now();
    const at = (ms: number) => started + ms;
    let nextOutage = at(opts.firstOutageS * 1000);
    let nextKill = at(opts.firstKillS * 1000);
    let nextRss = at(2_000);
    let nextReport = at(30_000);
    let outage: { kind: string; start: number; fault?: Fault } | undefined;
    let kindIndex = 0;
    const kinds = ['refused', '503', 'timeouts'];
    let exitCode: number | undefined;
    void exited.then((c) => (exitCode = c));

    while (Date.now() < started + totalMs && !interrupted && exitCode === undefined) {
      const now = Date.now();
      for (const rung of RUNGS) {
        try {
          for (const f of readdirSync(path.join(out, rung))) if (/^seg_\d+\.ts$/.test(f)) produced.get(rung)!.add(segmentNumber(f));
        } catch {
          // not there yet
        }
      }
      if (now >= nextRss) {
        const kb = vmRssKb(pid);
        if (kb !== undefined) rss.push(kb);
        const ff = ffmpegChildren(pid)[0];
        const ffKb = ff === undefined ? undefined : vmRssKb(ff);
        if (ffKb !== undefined) ffmpegRss.push(ffKb);
        nextRss += 10_000;
      }
      if (!outage && now >= nextOutage && now + opts.outageSeconds * 1000 < started + totalMs - 15_000) {
        const kind = kinds[kindIndex++ % kinds.length]!;
        log(`origin outage (${kind}) for ${opts.outageSeconds} s`);
        outage = { kind, start: now };
        if (kind === 'refused') await origin.goOffline();
        else if (kind === '503') outage.fault = origin.inject({ status: 503 });
        else outage.fault = origin.inject({ action: 'hang' });
        nextOutage += opts.outageEveryMin * 60_000;
      }
      if (outage && now >= outage.start + opts.outageSeconds * 1000) {
        const windowStart = windowStarts(out);
        if (outage.kind === 'refused') await origin.goOnline();
        else outage.fault!.remove();
        const end = Date.now();
        checker.recovered(end, windowStart);
        outages.push({ kind: outage.kind, start: outage.start, end });
        log(`origin back after ${((end - outage.start) / 1000).toFixed(1)} s`);
        outage = undefined;
      }
      if (now >= nextKill && now < started + totalMs - 15_000) {
        const ff = ffmpegChildren(pid)[0];
        if (ff !== undefined) {
          log(`SIGKILL ffmpeg ${ff}`);
          process.kill(ff, 'SIGKILL');
          kills++;
        }
        nextKill += opts.killEveryMin * 60_000;
      }
      if (now >= nextReport) {
        checker.drain(origin);
        log(`${Math.round((now - started) / 1000)} s: ${checker.publishedSegments.size} segments published, ${checker.missingReferenced} missing, RSS ${rss.at(-1) ?? '?'} kB`);
        nextReport += 30_000;
      }
      checker.drain(origin);
      await sleep(500);
    }

    if (outage) {
      const windowStart = windowStarts(out);
      if (outage.kind === 'refused') await origin.goOnline();
      else outage.fault!.remove();
      checker.recovered(Date.now(), windowStart);
      outages.push({ kind: outage.kind, start: outage.start, end: Date.now() });
    }
    const finalRss = vmRssKb(pid);
    if (finalRss !== undefined) rss.push(finalRss);
    const ffmpegBefore = ffmpegChildren(pid);
    log('stopping livepipe (SIGINT)');
    const stopAt = Date.now();
    if (exitCode === undefined) child.kill('SIGINT');
    const killTimer = setTimeout(() => child?.kill('SIGKILL'), 90_000);
    const code = await exited;
    clearTimeout(killTimer);
    const stopMs = Date.now() - stopAt;
    await sleep(300);
    const ffmpegLeft = ffmpegBefore.filter((p) => {
      try {
        return readFileSync(`/proc/${p}/comm`, 'utf8').trim() === 'ffmpeg';
      } catch {
        return false;
      }
    });
    checker.drain(origin);
    const final = checker.finalCheck(origin);

    // Recovery: from the origin's return to the first playlist of every rung published afterwards.
    const producedCount = RUNGS.reduce((n, r) => n + produced.get(r)!.size, 0);
    const published = checker.publishedSegments.size;
    const rows: Array<[string, string]> = [
      ['run', `${((Date.now() - started) / 60_000).toFixed(1)} min, livepipe exit ${code} (${(stopMs / 1000).toFixed(1)} s after SIGINT)`],
      ['segments produced (seen on disk)', `${producedCount} (${RUNGS.map((r) => `${r} ${produced.get(r)!.size}`).join(', ')})`],
      ['segments published', String(published)],
      ['not published (left the window in outages)', String(Math.max(0, producedCount - published))],
      ['playlists acknowledged', String(checker.playlistsAcked)],
      ['missing referenced segments', `${checker.missingReferenced} during, ${final.missing} at the end (must be 0)`],
      ['late uploads after an outage', `${checker.lateUploads} (must be 0)`],
      ['media sequence went back', `${checker.sequenceWentBack} (must be 0)`],
      ['final playlists ended (ENDLIST)', final.ended ? 'yes' : 'NO'],
      ['outages', `${outages.length} (${outages.map((o) => `${o.kind} ${((o.end - o.start) / 1000).toFixed(0)} s`).join(', ') || 'none'}); livepipe reported ${counts.outage_start ?? 0} start / ${counts.outage_end ?? 0} end`],
      ['outage end → first playlist published', checker.recoveries.map((rec) => `${(Math.max(0, ...rec.firstPlaylistMs.values()) / 1000).toFixed(1)} s`).join(', ') || '-'],
      ['retries', `${finished?.retries ?? counts.retry ?? 0}`],
      ['ffmpeg SIGKILLs / restarts', `${kills} / ${finished?.restarts ?? counts.restart ?? 0}`],
      ['errors / warnings', `${counts.error ?? 0} / ${counts.warning ?? 0}`],
      ['ffmpeg left after exit', ffmpegLeft.length ? ffmpegLeft.join(', ') : 'none'],
      ['livepipe RSS (MB), 10-s samples', rssSummary(rss)],
      ['ffmpeg RSS (MB)', rssSummary(ffmpegRss)],
    ];
    printTable(rows);
    for (const p of checker.problems) process.stdout.write(`  problem: ${p}\n`);
    if (code !== 0) process.stdout.write(`  livepipe stderr (tail):\n${stderrTail}\n`);

    const ok = code === 0 && checker.missingReferenced === 0 && final.missing === 0 && final.ended && checker.lateUploads === 0
      && checker.sequenceWentBack === 0 && ffmpegLeft.length === 0 && (counts.error ?? 0) === 0;
    process.stdout.write(ok ? 'soak: OK\n' : 'soak: FAILED\n');
    return ok ? 0 : 1;
  } finally {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await origin.stop();
    await rm(tmp, { recursive: true, force: true });
  }
}

/** Per rung, the number of the first segment of ffmpeg's newest playlist on disk. */
function windowStarts(out: string): Map<string, number> {
  const starts = new Map<string, number>();
  for (const rung of RUNGS) {
    try {
      const first = readFileSync(path.join(out, rung, 'index.m3u8'), 'utf8').split('\n').find((l) => /^seg_\d+\./.test(l));
      if (first) starts.set(rung, segmentNumber(first));
    } catch {
      // not written yet
    }
  }
  return starts;
}

function rssSummary(samples: number[]): string {
  if (samples.length === 0) return 'no samples';
  const mb = (kb: number) => (kb / 1024).toFixed(1);
  return `first ${mb(samples[0]!)}, last ${mb(samples.at(-1)!)}, min ${mb(Math.min(...samples))}, max ${mb(Math.max(...samples))} (${samples.length} samples)`;
}

function printTable(rows: Array<[string, string]>): void {
  const width = Math.max(...rows.map(([k]) => k.length));
  const line = `+${'-'.repeat(width + 2)}+${'-'.repeat(Math.max(...rows.map(([, v]) => v.length)) + 2)}+`;
  process.stdout.write(`${line}\n`);
  for (const [k, v] of rows) process.stdout.write(`| ${k.padEnd(width)} | ${v.padEnd(line.length - width - 7)} |\n`);
  process.stdout.write(`${line}\n`);
}

process.exitCode = await main();
