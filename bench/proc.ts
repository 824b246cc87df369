/**
 * Running a command and measuring it.
 *
 * CPU of a whole process tree: the command runs under `bash -c '"$@"; times'`. bash's `times`
 * prints the user and system time of its terminated, waited-for children, and the kernel folds the
 * time of every reaped descendant into its parent's child counters (RUSAGE_CHILDREN). livepipe
 * (node) reaps ffprobe and ffmpeg, so bash's child time is node + ffprobe + ffmpeg, exactly, with
 * nothing sampled or missed at exit.
 *
 * The wrapped command's own pid (bash's child) is handed to onTick, to be polled through
 * /proc/<pid>/stat, which splits its own time (utime+stime) from that of its reaped children
 * (cutime+cstime): see tree-cpu.ts.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Cleanup } from './cleanup.js';
import { freePort } from '../test/helpers/free-port.js';

const CLK_TCK = (() => {
  const r = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  const n = Number(r.stdout?.trim());
  return Number.isFinite(n) && n > 0 ? n : 100;
})();

/** Seconds of CPU from /proc/<pid>/stat. */
export interface ProcStat {
  /** R, S, D, … ; Z = exited but not yet reaped by its parent. */
  state: string;
  utime: number;
  stime: number;
  /** Time of the process's terminated and waited-for children (and their descendants). */
  cutime: number;
  cstime: number;
}

export function readProcStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // Fields after "(comm)": state is field 3; utime, stime, cutime, cstime are fields 14–17.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const f = (i: number) => Number(rest[i - 3]) / CLK_TCK;
  return { state: rest[0] ?? '?', utime: f(14), stime: f(15), cutime: f(16), cstime: f(17) };
}

/** Direct children of a process (needs CONFIG_PROC_CHILDREN, present on Debian kernels). */
export function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Busy and total jiffies of the whole machine (first line of /proc/stat), in seconds. */
export function machineCpu(): { busy: number; total: number } {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    const total = v.slice(0, 8).reduce((a, b) => a + b, 0); // user nice system idle iowait irq softirq steal
    const idle = (v[3] ?? 0) + (v[4] ?? 0);
    return { busy: (total - idle) / CLK_TCK, total: total / CLK_TCK };
  } catch {
    return { busy: 0, total: 0 };
  }
}

/**
 * The machine is shared: before a measurement, wait (up to maxWaitMs) until the rest of the machine
 * has used less than `cores` of CPU over one second. Returns the load seen last, in cores.
 */
export async function waitForQuiet(cores = 0.3, maxWaitMs = 10_000): Promise<{ waitedMs: number; load: number }> {
  const start = Date.now();
  for (;;) {
    const a = machineCpu();
    await new Promise((r) => setTimeout(r, 1000));
    const b = machineCpu();
    const elapsed = b.total - a.total;
    const load = elapsed > 0 ? ((b.busy - a.busy) / elapsed) * os.cpus().length : 0;
    if (load < cores || Date.now() - start >= maxWaitMs) return { waitedMs: Date.now() - start, load };
  }
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Killed (whole process group) after this long. */
  timeoutMs: number;
  /** Each stdout line, with the performance.now() at which it arrived. */
  onLine?: (line: string, at: number) => void;
  /** Called every pollMs (default 50) while the command runs, with the wrapped command's pid once known. */
  onTick?: (mainPid: number | undefined) => void;
  pollMs?: number;
}

export interface MeasuredRun {
  command: string[];
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  /** performance.now() at spawn and at exit. */
  startedAt: number;
  endedAt: number;
  wallSeconds: number;
  /** Whole tree (command + everything it reaped), from bash `times`; undefined if it was killed. */
  cpu: { user: number; sys: number; total: number } | undefined;
  /** pid of the wrapped command (bash's child), if it was seen. */
  mainPid: number | undefined;
  /** CPU seconds the rest of the machine used meanwhile (all busy time minus this tree's). */
  otherCpuSeconds: number | undefined;
  stderrTail: string[];
}

const WRAPPER = 'out=$1; shift; "$@"; rc=$?; times > "$out"; exit $rc';

/** Spawns `command` in its own process group under the `times` wrapper, and measures it. */
export async function runMeasured(command: string[], cleanup: Cleanup, scratch: string, opts: RunOptions): Promise<MeasuredRun> {
  const timesFile = path.join(scratch, `times-${process.pid}-${Math.random().toString(36).slice(2)}.txt`);
  const before = machineCpu();
  const startedAt = performance.now();
  const child = spawn('bash', ['-c', WRAPPER, 'bash', timesFile, ...command], {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const untrack = child.pid ? cleanup.trackGroup(child.pid) : () => undefined;

  const tail: string[] = [];
  let errPartial = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (errPartial + chunk).split('\n');
    errPartial = lines.pop() ?? '';
    for (const l of lines) if (l.trim()) tail.push(l.trim());
    if (tail.length > 30) tail.splice(0, tail.length - 30);
  });
  let outPartial = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    const at = performance.now();
    const lines = (outPartial + chunk).split('\n');
    outPartial = lines.pop() ?? '';
    if (opts.onLine) for (const l of lines) if (l) opts.onLine(l, at);
  });

  let mainPid: number | undefined;
  const poll = () => {
    if (mainPid === undefined && child.pid) mainPid = childrenOf(child.pid)[0];
    opts.onTick?.(mainPid);
  };
  const timer = opts.onTick ? setInterval(poll, opts.pollMs ?? 50) : undefined;

  let timedOut = false;
  const killer = setTimeout(() => {
    timedOut = true;
    try {
      if (child.pid) process.kill(-child.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }, opts.timeoutMs);

  const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('error', (e) => {
      tail.push(`cannot start: ${e.message}`);
      resolve({ code: 127, signal: null });
    });
    child.once('close', (c, s) => resolve({ code: c, signal: s }));
  });
  const endedAt = performance.now();
  const after = machineCpu();
  clearTimeout(killer);
  if (timer) clearInterval(timer);
  untrack();
  // Whatever the command left in its group (it should be nothing) goes now.
  try {
    if (child.pid) process.kill(-child.pid, 'SIGKILL');
  } catch {
    /* normal: the group is empty */
  }
  if (errPartial.trim()) tail.push(errPartial.trim());
  if (outPartial && opts.onLine) opts.onLine(outPartial, endedAt);

  const cpu = parseTimes(await readFile(timesFile, 'utf8').catch(() => ''));
  await rm(timesFile, { force: true });
  const busy = after.busy - before.busy;
  return {
    command,
    exitCode: code,
    signal,
    timedOut,
    startedAt,
    endedAt,
    wallSeconds: (endedAt - startedAt) / 1000,
    cpu,
    mainPid,
    otherCpuSeconds: cpu && busy > 0 ? Math.max(0, busy - cpu.total) : undefined,
    stderrTail: tail,
  };
}

/** bash `times`: line 1 the shell's own user/sys, line 2 its children's, as `0m12.345s 0m1.234s`. */
export function parseTimes(text: string): MeasuredRun['cpu'] {
  const line = text.trim().split('\n')[1];
  if (!line) return undefined;
  const m = [...line.matchAll(/(\d+)m(\d+[.,]\d+)s/g)].map((x) => Number(x[1]) * 60 + Number(x[2]!.replace(',', '.')));
  if (m.length !== 2) return undefined;
  return { user: m[0]!, sys: m[1]!, total: m[0]! + m[1]! };
}

/** A short reason for a failed run: timeout, signal or exit code, and the last telling stderr line. */
export function failureOf(run: MeasuredRun): string | undefined {
  if (!run.timedOut && run.exitCode === 0) return undefined;
  const how = run.timedOut ? 'timed out' : run.signal ? `killed by ${run.signal}` : `exit code ${run.exitCode}`;
  const lines = run.stderrTail.filter((l) => !/^(published|uploaded|segment|playlist)\b/i.test(l));
  const telling = [...lines].reverse().find((l) => /error|fail|refused|denied|invalid|cannot|unable/i.test(l)) ?? lines[lines.length - 1];
  return telling ? `${how}: ${telling}` : how;
}


export { freePort };
