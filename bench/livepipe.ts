/** Runs `livepipe ingest … --json` (the built CLI, bin/livepipe.js → dist/) and collects its events. */
import { fileURLToPath } from 'node:url';
import type { Cleanup } from './cleanup.js';
import { parseEventLine, type LpEvent } from './events.js';
import { failureOf, runMeasured, type MeasuredRun, type RunOptions } from './proc.js';

export const REPO_DIR = fileURLToPath(new URL('..', import.meta.url));
export const LIVEPIPE_BIN = fileURLToPath(new URL('../bin/livepipe.js', import.meta.url));

export interface IngestRun {
  run: MeasuredRun;
  events: LpEvent[];
  /** performance.now() at which each event line arrived, same order as events. */
  arrivals: number[];
  /** Why the run does not count (non-zero exit, timeout, error events, no finished event). */
  failure: string | undefined;
}

export interface IngestOptions extends Omit<RunOptions, 'onLine'> {
  onEvent?: (e: LpEvent, at: number) => void;
}

export async function runIngest(args: string[], cleanup: Cleanup, scratch: string, opts: IngestOptions): Promise<IngestRun> {
  const events: LpEvent[] = [];
  const arrivals: number[] = [];
  const run = await runMeasured([process.execPath, LIVEPIPE_BIN, 'ingest', ...args, '--json'], cleanup, scratch, {
    ...opts,
    cwd: opts.cwd ?? REPO_DIR,
    onLine: (line, at) => {
      const e = parseEventLine(line);
      if (!e) return;
      events.push(e);
      arrivals.push(at);
      opts.onEvent?.(e, at);
    },
  });
  let failure = failureOf(run);
  const finished = events.find((e) => e.event === 'finished');
  const errors = events.filter((e) => e.event === 'error').map((e) => String(e.message));
  if (!failure && !finished) failure = 'no "finished" event';
  if (!failure && finished && finished.exitCode !== 0) failure = `finished with exitCode ${String(finished.exitCode)}`;
  if (failure && errors.length) failure += ` (first error event: ${errors[0]})`;
  return { run, events, arrivals, failure };
}
