import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { ProgressParser, type FfmpegProgress } from './progress.js';

export type FfmpegStatus = 'idle' | 'running' | 'stopping' | 'exited';

export interface FfmpegExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Whether we asked it to stop (a graceful stop is not a failure). */
  requested: boolean;
  /** The last lines ffmpeg wrote on stderr, for a one-line reason. */
  stderrTail: string[];
}

interface FfmpegProcessEvents {
  progress: [FfmpegProgress];
  stderr: [string];
  exit: [FfmpegExit];
}

const SETPRIV = '/usr/bin/setpriv';
const TAIL_LINES = 20;

/**
 * One ffmpeg child: start, stop gracefully (SIGINT finishes the segment and writes ENDLIST), status.
 * On Linux ffmpeg is started through setpriv --pdeathsig so it dies with livepipe even on SIGKILL.
 */
export class FfmpegProcess extends EventEmitter<FfmpegProcessEvents> {
  private child: ChildProcess | undefined;
  private state: FfmpegStatus = 'idle';
  private stopRequested = false;
  private readonly tail: string[] = [];
  private exitPromise: Promise<FfmpegExit> | undefined;
  lastProgressAt = 0;
  /** Set by a watchdog that killed a stuck ffmpeg, so the exit counts as a failure. */
  stallKilled = false;

  constructor(
    private readonly binary: string,
    readonly argv: readonly string[],
    private readonly stdin: NodeJS.ReadableStream | undefined = undefined,
  ) {
    super();
  }

  get status(): FfmpegStatus {
    return this.state;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  start(): Promise<FfmpegExit> {
    if (this.exitPromise) return this.exitPromise;
    const [cmd, args] = tiedToParent(this.binary, this.argv);
    const child = spawn(cmd, args, { stdio: [this.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.state = 'running';
    this.lastProgressAt = Date.now();
    if (this.stdin && child.stdin) {
      this.stdin.pipe(child.stdin);
      child.stdin.on('error', () => undefined);
    }
    const progress = new ProgressParser();
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      for (const p of progress.push(chunk)) {
        this.lastProgressAt = Date.now();
        this.emit('progress', p);
      }
    });
    let partial = '';
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) this.remember(line);
    });
    this.exitPromise = new Promise((resolve) => {
      const finish = (code: number | null, signal: NodeJS.Signals | null) => {
        if (partial) this.remember(partial);
        this.state = 'exited';
        const exit: FfmpegExit = { code, signal, requested: this.stopRequested, stderrTail: [...this.tail] };
        this.emit('exit', exit);
        resolve(exit);
      };
      child.once('error', (err) => {
        this.remember(`cannot start ${this.binary}: ${err.message}`);
        finish(127, null);
      });
      child.once('close', finish);
    });
    return this.exitPromise;
  }

  /** Graceful stop: SIGINT, then SIGKILL if ffmpeg has not exited within `graceMs`. */
  async stop(graceMs = 8_000): Promise<FfmpegExit | undefined> {
    if (!this.child || !this.exitPromise) return undefined;
    if (this.state === 'exited') return this.exitPromise;
    this.stopRequested = true;
    this.state = 'stopping';
    this.signal('SIGINT');
    const timer = setTimeout(() => this.signal('SIGKILL'), graceMs);
    try {
      return await this.exitPromise;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Immediate stop: no ENDLIST. */
  kill(): void {
    this.stopRequested = true;
    this.signal('SIGKILL');
  }

  private signal(sig: NodeJS.Signals): void {
    if (this.state === 'exited') return;
    try {
      this.child?.kill(sig);
    } catch {
      // already gone
    }
  }

  private remember(line: string): void {
    const trimmed = line.trim();
    if (!trimmed) return;
    this.emit('stderr', trimmed);
    this.tail.push(trimmed);
    if (this.tail.length > TAIL_LINES) this.tail.shift();
  }
}

/** Wraps the command so the kernel kills ffmpeg when its parent dies (Linux, util-linux setpriv). */
export function tiedToParent(binary: string, argv: readonly string[]): [string, string[]] {
  if (process.platform === 'linux' && existsSync(SETPRIV)) {
    return [SETPRIV, ['--pdeathsig', 'KILL', '--', binary, ...argv]];
  }
  return [binary, [...argv]];
}

/** The most telling line of ffmpeg's stderr: the last one that looks like an error. */
export function failureReason(exit: FfmpegExit): string {
  const lines = exit.stderrTail.filter((l) => !/^\s*(frame=|size=|Press \[q\])/.test(l));
  const error = [...lines].reverse().find((l) => /error|invalid|cannot|could not|no such|not found|failed|unable|denied|refused/i.test(l));
  const line = error ?? lines[lines.length - 1];
  const how = exit.signal ? `killed by ${exit.signal}` : `exit code ${exit.code}`;
  return line ? `ffmpeg failed (${how}): ${line}` : `ffmpeg failed (${how})`;
}
