/**
 * Part C — CPU of the livepipe node process relative to its ffmpeg child, during a live (realtime)
 * 720p run to the built-in origin. How the two are told apart: see tree-cpu.ts.
 */
import type { BenchContext } from './context.js';
import { runIngest } from './livepipe.js';
import { freePort } from './proc.js';
import { LivepipeCpuSampler, type CpuSplit } from './tree-cpu.js';

export const CPU_SECONDS = 30;
export const CPU_GOAL = 0.02;

export interface CpuResult {
  mediaSeconds: number;
  wallSeconds?: number;
  treeCpuSeconds?: number;
  split?: CpuSplit;
  ratio?: number;
  otherCpuSeconds?: number;
  failure?: string;
}

export async function runCpuBench(ctx: BenchContext): Promise<CpuResult> {
  await ctx.settle();
  const port = await freePort();
  const sampler = new LivepipeCpuSampler();
  ctx.log(`cpu: live testsrc 1280x720, preset 720p, ${CPU_SECONDS} s, built-in origin on port ${port}`);
  const r = await runIngest(
    ['--input', 'testsrc:1280x720', '--preset', '720p', '--duration', String(CPU_SECONDS), '--port', String(port)],
    ctx.cleanup, ctx.root,
    {
      env: ctx.childEnv,
      timeoutMs: (CPU_SECONDS + 90) * 1000,
      onTick: sampler.tick,
      onEvent: (e) => {
        if (e.event === 'ffmpeg_started' && typeof e.pid === 'number') sampler.setFfmpegPid(e.pid);
      },
    },
  );
  const out: CpuResult = { mediaSeconds: CPU_SECONDS, wallSeconds: r.run.wallSeconds };
  if (r.run.cpu) out.treeCpuSeconds = r.run.cpu.total;
  if (r.run.otherCpuSeconds !== undefined) out.otherCpuSeconds = r.run.otherCpuSeconds;
  const split = sampler.result(r.run.cpu?.total);
  if (split) {
    out.split = split;
    out.ratio = split.livepipeSeconds / split.ffmpegSeconds;
  }
  if (r.failure) out.failure = r.failure;
  else if (!split) out.failure = 'could not read /proc of livepipe and ffmpeg';
  return out;
}
