/** One block of `-progress` output. */
export interface FfmpegProgress {
  frame: number;
  fps: number;
  outTimeSeconds: number;
  /** Encoding speed as a multiple of real time. */
  speed: number;
  ended: boolean;
}

/**
 * Accumulates `key=value` lines from `-progress pipe:1`; each block ends with `progress=continue|end`.
 * Returns a complete progress record at the end of a block, else undefined.
 */
export class ProgressParser {
  private block = new Map<string, string>();
  private partial = '';

  push(chunk: string): FfmpegProgress[] {
    const lines = (this.partial + chunk).split('\n');
    this.partial = lines.pop() ?? '';
    const done: FfmpegProgress[] = [];
    for (const line of lines) {
      const eq = line.indexOf('=');
      if (eq < 0) continue;
      const key = line.slice(0, eq).trim();
      const value = line.slice(eq + 1).trim();
      this.block.set(key, value);
      if (key === 'progress') {
        done.push(this.toProgress(value === 'end'));
        this.block = new Map();
      }
    }
    return done;
  }

  private toProgress(ended: boolean): FfmpegProgress {
    const num = (k: string) => {
      const v = parseFloat(this.block.get(k) ?? '');
      return Number.isFinite(v) ? v : 0;
    };
    const outTimeUs = num('out_time_us') || num('out_time_ms');
    return {
      frame: num('frame'),
      fps: num('fps'),
      outTimeSeconds: outTimeUs / 1e6,
      speed: parseFloat((this.block.get('speed') ?? '0').replace('x', '')) || 0,
      ended,
    };
  }
}
