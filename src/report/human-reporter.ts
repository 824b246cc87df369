import { PipelineEvent, type EventBus } from '../events.js';
import { describeEvent, type LogLine } from './describe-event.js';
import { attachStreamStats } from './playlist-tap.js';
import { formatPlainStatus, formatStatusBlock, paint } from './status-format.js';
import { StreamStats } from './stream-stats.js';
import { TtyStatusRenderer, type TerminalStream } from './tty-renderer.js';

export interface HumanReporterOptions {
  verbose: boolean;
  /** Stats shared with /metrics, fed by the caller; created and fed here when absent. */
  stats?: StreamStats;
  /** Where the output goes (default process.stderr); a TTY gets the live status line. */
  stream?: TerminalStream & { isTTY?: boolean | undefined };
  env?: NodeJS.ProcessEnv;
  /** False: plain lines even on a terminal (e.g. --json events go to the same terminal on stdout). */
  statusLine?: boolean;
  /** Status line refresh on a terminal (default 1 s). */
  refreshMs?: number;
  /** A plain `status:` log line this often when not on a terminal (default 10 s; 0 = never). */
  plainStatusMs?: number;
  now?: () => number;
  /** Legacy: plain lines to this function instead of a stream (never a terminal). */
  write?: (line: string) => void;
}

/** Call to detach; `log` prints a line above the status line (e.g. "SIGINT: finishing…"). */
export type HumanReporter = (() => void) & { log(text: string): void };

export interface TerminalMode {
  /** Live status line with cursor control. */
  tty: boolean;
  /** ANSI colours. */
  color: boolean;
}

/** A status line only on a real terminal; colour only there and never with NO_COLOR (https://no-color.org). */
export function terminalMode(stream: { isTTY?: boolean | undefined }, env: NodeJS.ProcessEnv): TerminalMode {
  const tty = stream.isTTY === true && env['TERM'] !== 'dumb';
  const noColor = env['NO_COLOR'] !== undefined && env['NO_COLOR'] !== '';
  return { tty, color: tty && !noColor };
}

/**
 * Human output on stderr. On a terminal: log lines (coloured when allowed) above a status line
 * refreshed about once a second, plus a progress bar when the length of the media is known.
 * Elsewhere: plain log lines without control characters, and a `status:` line every 10 s.
 */
export function attachHumanReporter(bus: EventBus, opts: HumanReporterOptions): HumanReporter {
  const env = opts.env ?? process.env;
  const stream = opts.write ? undefined : (opts.stream ?? process.stderr);
  const detected = stream ? terminalMode(stream, env) : { tty: false, color: false };
  const mode = opts.statusLine === false ? { tty: false, color: false } : detected;
  const now = opts.now ?? Date.now;
  let stats = opts.stats;
  let detachStats: (() => void) | undefined;
  if (!stats) {
    stats = new StreamStats();
    detachStats = attachStreamStats(bus, stats);
  }
  const s = stats;

  const renderer = mode.tty && stream ? new TtyStatusRenderer(stream) : undefined;
  const writeLine = (text: string) => {
    if (opts.write) return opts.write(text);
    try {
      stream!.write(`${text}\n`);
    } catch {
      // stderr closed: nothing to report to
    }
  };
  const emitLines = (lines: LogLine[]) => {
    for (const line of lines) {
      for (const text of line.text.split('\n')) {
        if (renderer) renderer.log(paint(text, line.style, mode.color));
        else writeLine(text);
      }
    }
  };

  let timer: NodeJS.Timeout | undefined;
  const redraw = () => renderer?.render(formatStatusBlock(s.snapshot(now()), { color: mode.color, width: renderer.width }));
  const start = () => {
    if (timer) return;
    if (renderer) {
      redraw();
      timer = setInterval(redraw, opts.refreshMs ?? 1_000);
    } else {
      const every = opts.plainStatusMs ?? 10_000;
      if (every > 0) timer = setInterval(() => writeLine(formatPlainStatus(s.snapshot(now()))), every);
    }
    timer?.unref();
  };
  const stop = () => {
    if (timer) clearInterval(timer);
    timer = undefined;
  };

  const off = bus.onEvent((e) => {
    if (e.event === PipelineEvent.Finished) {
      stop();
      renderer?.clear();
      emitLines(describeEvent(e, opts.verbose, s.snapshot(now())) ?? []);
      return;
    }
    const lines = describeEvent(e, opts.verbose);
    if (lines) emitLines(lines);
    if (e.event === PipelineEvent.Started) start();
  });

  const detach = () => {
    stop();
    renderer?.clear();
    off();
    detachStats?.();
  };
  return Object.assign(detach, { log: (text: string) => emitLines([{ text, style: 'warn' }]) });
}
