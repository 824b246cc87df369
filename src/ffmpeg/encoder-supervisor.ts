import { setTimeout as sleep } from 'node:timers/promises';
import { PipelineEvent, type EventBus } from '../events.js';
import { FfmpegProcess, failureReason, type FfmpegExit } from './ffmpeg-process.js';
import { shellQuote } from './hls-argv.js';

export interface RunRequest {
  /** True after a crash: continue the playlists and numbering of the run before. */
  resume: boolean;
  /** Seconds of media still wanted, when --duration is set. */
  remainingSeconds: number | undefined;
}

export interface SupervisorOptions {
  /** Restarts tolerated within RESTART_WINDOW_MS before giving up. */
  maxRestarts: number;
  /** No progress for this long means ffmpeg is stuck: it is killed and restarted. */
  stallMs: number;
  stdin: NodeJS.ReadableStream | undefined;
  /** stdin cannot be replayed, so a crash there ends the run. */
  restartable: boolean;
  /** Total media seconds wanted (--duration); undefined for a live run. */
  durationSeconds: number | undefined;
  /** Whether the input ends by itself (a file without --loop): a clean exit then means done. */
  inputEnds: boolean;
}

export interface SupervisorOutcome {
  ok: boolean;
  reason?: string;
  restarts: number;
}

const RESTART_WINDOW_MS = 120_000;
const PROGRESS_EVERY_MS = 1_000;

/** Keeps one ffmpeg running: restarts it with backoff after crashes and stalls, stops it gracefully on request. */
export class EncoderSupervisor {
  private restarts = 0;
  private mediaSeconds = 0;
  current: FfmpegProcess | undefined;

  constructor(
    private readonly binary: string,
    private readonly buildArgv: (req: RunRequest) => string[],
    private readonly bus: EventBus,
    private readonly opts: SupervisorOptions,
  ) {}

  async run(stop: AbortSignal): Promise<SupervisorOutcome> {
    const recent: number[] = [];
    for (let attempt = 0; ; attempt++) {
      // Asked to stop before ffmpeg (re)started: an abort listener added now would never fire.
      if (stop.aborted) return { ok: true, restarts: this.restarts };
      const remaining = this.opts.durationSeconds === undefined ? undefined : Math.max(0, this.opts.durationSeconds - this.mediaSeconds);
      const argv = this.buildArgv({ resume: attempt > 0, remainingSeconds: remaining });
      const exit = await this.runOnce(argv, stop);
      if (stop.aborted || exit.requested) return { ok: true, restarts: this.restarts };
      if (this.finishedNormally(exit)) return { ok: true, restarts: this.restarts };
      const reason = failureReason(exit);
      const now = Date.now();
      recent.push(now);
      while (recent.length && recent[0]! < now - RESTART_WINDOW_MS) recent.shift();
      if (!this.opts.restartable || recent.length > this.opts.maxRestarts) {
        const why = this.opts.restartable ? `${reason} (gave up after ${recent.length} failures in ${RESTART_WINDOW_MS / 1000} s)` : reason;
        return { ok: false, reason: why, restarts: this.restarts };
      }
      const delayMs = Math.min(10_000, 500 * 2 ** (recent.length - 1));
      this.restarts++;
      this.bus.emit(PipelineEvent.Restart, { attempt: this.restarts, delayMs, reason });
      try {
        await sleep(delayMs, undefined, { signal: stop });
      } catch {
        return { ok: true, restarts: this.restarts };
      }
    }
  }

  private finishedNormally(exit: FfmpegExit): boolean {
    if (exit.code !== 0) return false;
    if (this.opts.inputEnds) return true;
    // A live input that exits cleanly has either reached --duration or lost its feed (reconnect).
    return this.opts.durationSeconds !== undefined && this.mediaSeconds >= this.opts.durationSeconds - 1;
  }

  private async runOnce(argv: string[], stop: AbortSignal): Promise<FfmpegExit> {
    const proc = new FfmpegProcess(this.binary, argv, this.opts.stdin);
    this.current = proc;
    const baseSeconds = this.mediaSeconds;
    let lastReport = 0;
    proc.on('progress', (p) => {
      if (p.outTimeSeconds > 0) this.mediaSeconds = baseSeconds + p.outTimeSeconds;
      const now = Date.now();
      if (now - lastReport < PROGRESS_EVERY_MS && !p.ended) return;
      lastReport = now;
      this.bus.emit(PipelineEvent.Progress, { speed: p.speed, fps: p.fps, outTimeSeconds: this.mediaSeconds, frame: p.frame });
    });
    const exited = proc.start();
    this.bus.emit(PipelineEvent.FfmpegStarted, { argv: [this.binary, ...argv], command: shellQuote([this.binary, ...argv]), pid: proc.pid });
    const onStop = () => void proc.stop();
    stop.addEventListener('abort', onStop, { once: true });
    const watchdog = setInterval(() => {
      if (proc.status === 'running' && Date.now() - proc.lastProgressAt > this.opts.stallMs) {
        this.bus.emit(PipelineEvent.Warning, { message: `ffmpeg made no progress for ${Math.round(this.opts.stallMs / 1000)} s: restarting it` });
        proc.kill();
        proc.stallKilled = true;
      }
    }, 1_000);
    try {
      const exit = await exited;
      return proc.stallKilled ? { ...exit, requested: false, stderrTail: [...exit.stderrTail, 'stalled: no progress'] } : exit;
    } finally {
      clearInterval(watchdog);
      stop.removeEventListener('abort', onStop);
    }
  }

  /** Immediate stop (a second Ctrl-C). */
  kill(): void {
    this.current?.kill();
  }
}
