/**
 * Splits the CPU of a livepipe run between the livepipe node process and its ffmpeg child.
 *
 * Sampled every few tens of ms through /proc: ffmpeg's pid comes from the ffmpeg_started event
 * (ffmpeg is started through /usr/bin/setpriv, which execs, so that pid is ffmpeg's). Once ffmpeg has
 * been reaped (its /proc entry is gone), node's cutime+cstime holds ffmpeg's whole CPU time, exactly.
 * With the tree total from bash `times` (node + everything it reaped):
 *
 *   ffmpeg   = node.cutime+cstime (after the reap) − node.cutime+cstime while ffmpeg ran (ffprobe's)
 *   livepipe = tree total − node.cutime+cstime (after the reap)   (node's own time, startup to exit)
 *
 * If no sample fell between the reap and node's exit, the last samples of each process's own
 * utime+stime are used instead ("sampled", which misses at most one poll interval at the end).
 */
import { performance } from 'node:perf_hooks';
import { readProcStat, type ProcStat } from './proc.js';

export interface CpuSplit {
  livepipeSeconds: number;
  ffmpegSeconds: number;
  method: 'exact' | 'sampled';
  /** Cross-check: last sampled own utime+stime of each. */
  sampledLivepipeSeconds: number | undefined;
  sampledFfmpegSeconds: number | undefined;
  /** Node's reaped-children CPU before ffmpeg (ffprobe), excluded from ffmpeg's. */
  childrenBeforeFfmpegSeconds: number;
  /** Node's own CPU up to its first sample after ffmpeg_started: start-up (module loading, probing, origin). */
  livepipeStartupSeconds: number | undefined;
}

const own = (s: ProcStat) => s.utime + s.stime;
const reaped = (s: ProcStat) => s.cutime + s.cstime;

export class LivepipeCpuSampler {
  private ffmpegPid: number | undefined;
  private ffmpegLast: ProcStat | undefined;
  private ffmpegReaped = false;
  /** performance.now() of the first sample that found ffmpeg reaped (at most one poll late). */
  ffmpegReapedAt: number | undefined;
  private mainLast: ProcStat | undefined;
  private mainLastAfterReap = false;
  private childrenBefore: number | undefined;
  private startup: number | undefined;
  samples = 0;

  /** From the ffmpeg_started event. */
  setFfmpegPid(pid: number): void {
    this.ffmpegPid = pid;
  }

  /** Give this to runMeasured's onTick. */
  readonly tick = (mainPid: number | undefined): void => {
    if (mainPid === undefined) return;
    // ffmpeg first: if it is gone now, the node sample taken right after already counts it.
    if (this.ffmpegPid !== undefined && !this.ffmpegReaped) {
      const f = readProcStat(this.ffmpegPid);
      if (f) this.ffmpegLast = f;
      else if (this.ffmpegLast) {
        this.ffmpegReaped = true;
        this.ffmpegReapedAt = performance.now();
      }
    }
    const m = readProcStat(mainPid);
    if (!m) return;
    this.samples++;
    this.mainLast = m;
    this.mainLastAfterReap = this.ffmpegReaped;
    if (this.ffmpegLast && !this.ffmpegReaped) this.childrenBefore = reaped(m);
    if (this.ffmpegPid !== undefined) this.startup ??= own(m);
  };

  /** `treeTotal`: CPU seconds of node and everything it reaped (bash `times`). */
  result(treeTotal: number | undefined): CpuSplit | undefined {
    if (!this.mainLast) return undefined;
    const before = this.childrenBefore ?? 0;
    const sampledLivepipeSeconds = own(this.mainLast);
    const sampledFfmpegSeconds = this.ffmpegLast ? own(this.ffmpegLast) : undefined;
    if (treeTotal !== undefined && this.mainLastAfterReap) {
      const children = reaped(this.mainLast);
      return {
        livepipeSeconds: treeTotal - children,
        ffmpegSeconds: children - before,
        method: 'exact',
        sampledLivepipeSeconds,
        sampledFfmpegSeconds,
        childrenBeforeFfmpegSeconds: before,
        livepipeStartupSeconds: this.startup,
      };
    }
    if (sampledFfmpegSeconds === undefined) return undefined;
    return {
      livepipeSeconds: sampledLivepipeSeconds,
      ffmpegSeconds: sampledFfmpegSeconds,
      method: 'sampled',
      sampledLivepipeSeconds,
      sampledFfmpegSeconds,
      childrenBeforeFfmpegSeconds: before,
      livepipeStartupSeconds: this.startup,
    };
  }
}
