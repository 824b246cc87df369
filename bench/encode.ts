/**
 * Part A — encoding, without -re, on a noisy 1080p30 H.264 source of ~12 Mb/s:
 *   (a) livepipe ingest --no-realtime --preset <p> --origin file://…
 *   (b) the exact ffmpeg argv of (a) (from its ffmpeg_started event), run bare into a fresh folder
 *   (c) one ffmpeg per rung, all started together (single-rung argv from livepipe's own builder)
 * Realtime × = media seconds / wall seconds; CPU = user+sys of the whole process tree (bash `times`).
 */
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import type { BenchContext } from './context.js';
import { loadLivepipe } from './dist.js';
import { median } from './events.js';
import { runIngest } from './livepipe.js';
import { failureOf, machineCpu, runMeasured, type MeasuredRun } from './proc.js';
import { LivepipeCpuSampler, type CpuSplit } from './tree-cpu.js';

export const ENCODE_PRESETS = ['1080p', '720p'] as const;
const SOURCE_SECONDS = 20;

export interface SourceInfo {
  path: string;
  durationSeconds: number;
  bitrate: number;
  videoBitrate: number;
  generateSeconds: number;
}

export interface Sample {
  wallSeconds: number;
  cpuSeconds: number;
  /** CPU seconds other processes on the machine used during the measurement. */
  otherCpuSeconds: number | undefined;
}

export interface VariantResult {
  variant: 'a' | 'b' | 'c';
  label: string;
  processes: number;
  samples: Sample[];
  /** Best (shortest) wall time over the samples: interference from the shared machine only adds. */
  wallSeconds: number;
  /** Median CPU over the samples. */
  cpuSeconds: number;
  realtime: number;
  cpuPerMediaSecond: number;
}

export interface PresetResult {
  preset: string;
  rungs: string[];
  a?: VariantResult;
  b?: VariantResult;
  c?: VariantResult;
  /**
   * (a) only, medians over reps: livepipe's own CPU, and its wall time split into start-up (spawn →
   * ffmpeg_started event), ffmpeg (→ ffmpeg reaped, seen by a 50-ms poll) and tail (→ livepipe exit).
   */
  livepipe?: { ownCpuSeconds: number; startupSeconds: number; ffmpegSeconds: number; tailSeconds: number; method: CpuSplit['method'] };
  /** realtime(a)/realtime(x) and cpu(a)/cpu(x). */
  vsBare?: { speed: number; cpu: number };
  vsPerRung?: { speed: number; cpu: number };
  argv?: { livepipe: string[]; perRung: string[][] };
  failures: string[];
}

export interface EncodeResult {
  source?: SourceInfo;
  presets: PresetResult[];
  failures: string[];
}

export async function runEncodeBench(ctx: BenchContext): Promise<EncodeResult> {
  const result: EncodeResult = { presets: [], failures: [] };
  const dir = path.join(ctx.root, 'encode');
  await mkdir(dir, { recursive: true });
  try {
    result.source = await generateSource(ctx, dir);
  } catch (e) {
    result.failures.push(`source: ${(e as Error).message}`);
    return result;
  }
  for (const preset of ENCODE_PRESETS) {
    result.presets.push(await benchPreset(ctx, dir, result.source, preset));
  }
  return result;
}

async function generateSource(ctx: BenchContext, dir: string): Promise<SourceInfo> {
  const file = path.join(dir, 'source-1080p30-noisy.mp4');
  ctx.log(`encode: generating a ${SOURCE_SECONDS} s noisy 1080p30 H.264 source`);
  const run = await runMeasured([
    'ffmpeg', '-hide_banner', '-loglevel', 'error', '-nostdin', '-y',
    '-f', 'lavfi', '-i', 'testsrc2=size=1920x1080:rate=30',
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
    '-vf', 'noise=alls=20:allf=t+u', '-t', String(SOURCE_SECONDS),
    // Temporal noise defeats inter prediction, so the rate is what the VBV allows: ~12 Mb/s.
    '-c:v', 'libx264', '-preset', 'ultrafast', '-b:v', '12M', '-maxrate', '12M', '-bufsize', '24M',
    '-g', '60', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-b:a', '128k', file,
  ], ctx.cleanup, dir, { env: ctx.childEnv, timeoutMs: 180_000 });
  const failure = failureOf(run);
  if (failure) throw new Error(`ffmpeg could not generate the source: ${failure}`);
  const probe = spawnSync('ffprobe', ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', file], { encoding: 'utf8' });
  const info = JSON.parse(probe.stdout) as { format: { duration: string; bit_rate: string }; streams: Array<{ codec_type: string; bit_rate?: string }> };
  const video = info.streams.find((s) => s.codec_type === 'video');
  return {
    path: file,
    durationSeconds: Number(info.format.duration),
    bitrate: Number(info.format.bit_rate),
    videoBitrate: Number(video?.bit_rate ?? 0),
    generateSeconds: run.wallSeconds,
  };
}

function variant(v: VariantResult['variant'], label: string, processes: number, samples: Sample[], media: number): VariantResult {
  const wallSeconds = Math.min(...samples.map((s) => s.wallSeconds));
  const cpuSeconds = median(samples.map((s) => s.cpuSeconds))!;
  return { variant: v, label, processes, samples, wallSeconds, cpuSeconds, realtime: media / wallSeconds, cpuPerMediaSecond: cpuSeconds / media };
}

const sampleOf = (run: MeasuredRun): Sample => ({ wallSeconds: run.wallSeconds, cpuSeconds: run.cpu!.total, otherCpuSeconds: run.otherCpuSeconds });

async function benchPreset(ctx: BenchContext, dir: string, source: SourceInfo, preset: string): Promise<PresetResult> {
  const out: PresetResult = { preset, rungs: [], failures: [] };
  const media = source.durationSeconds;
  const aSamples: Sample[] = [];
  const bSamples: Sample[] = [];
  const own: Array<{ cpu: number; startup: number; ffmpeg: number; tail: number; method: CpuSplit['method'] }> = [];
  let bareArgv: ((outDir: string) => string[]) | undefined;
  let livepipeArgv: string[] | undefined;

  const runA = async (rep: number) => {
    const origin = path.join(dir, `a-${preset}-${rep}-origin`);
    ctx.log(`encode ${preset}: (a) livepipe ingest, run ${rep}/${ctx.reps}`);
    await ctx.settle();
    const sampler = new LivepipeCpuSampler();
    let ffmpegStartedAt: number | undefined;
    const r = await runIngest(['--input', source.path, '--preset', preset, '--no-realtime', '--origin', `file://${origin}`], ctx.cleanup, dir, {
      env: ctx.childEnv,
      timeoutMs: 300_000,
      onTick: sampler.tick,
      onEvent: (e, at) => {
        if (e.event !== 'ffmpeg_started') return;
        ffmpegStartedAt ??= at;
        if (typeof e.pid === 'number') sampler.setFfmpegPid(e.pid);
      },
    });
    await rm(origin, { recursive: true, force: true });
    if (r.failure || !r.run.cpu) {
      out.failures.push(`(a) run ${rep}: ${r.failure ?? 'no CPU times'}`);
      return;
    }
    aSamples.push(sampleOf(r.run));
    const split = sampler.result(r.run.cpu.total);
    const reapedAt = sampler.ffmpegReapedAt;
    if (split && ffmpegStartedAt !== undefined && reapedAt !== undefined) {
      own.push({
        cpu: split.livepipeSeconds,
        startup: (ffmpegStartedAt - r.run.startedAt) / 1000,
        ffmpeg: (reapedAt - ffmpegStartedAt) / 1000,
        tail: (r.run.endedAt - reapedAt) / 1000,
        method: split.method,
      });
    }
    const started = r.events.find((e) => e.event === 'started');
    const ff = r.events.find((e) => e.event === 'ffmpeg_started');
    if (!bareArgv && started && ff) {
      const argv = ff.argv as string[];
      const outDir = String(started.out);
      livepipeArgv = argv;
      out.rungs = (started.renditions as string[]) ?? [];
      bareArgv = (fresh) => argv.map((a) => a.split(outDir).join(fresh));
    }
  };

  const runB = async (rep: number) => {
    if (!bareArgv) return;
    const fresh = path.join(dir, `b-${preset}-${rep}`);
    await mkdir(fresh, { recursive: true });
    ctx.log(`encode ${preset}: (b) bare ffmpeg with the same argv, run ${rep}/${ctx.reps}`);
    await ctx.settle();
    const r = await runMeasured(bareArgv(fresh), ctx.cleanup, dir, { env: ctx.childEnv, timeoutMs: 300_000 });
    const ok = existsSync(path.join(fresh, 'master.m3u8'));
    await rm(fresh, { recursive: true, force: true });
    const failure = failureOf(r) ?? (ok ? undefined : 'no master.m3u8 written');
    if (failure || !r.cpu) {
      out.failures.push(`(b) run ${rep}: ${failure ?? 'no CPU times'}`);
      return;
    }
    bSamples.push(sampleOf(r));
  };

  // Alternate the order so that neither side always runs first (thermal state, page cache, load).
  for (let rep = 1; rep <= ctx.reps; rep++) {
    if (rep % 2 === 1) {
      await runA(rep);
      await runB(rep);
    } else {
      await runB(rep);
      await runA(rep);
    }
  }

  if (aSamples.length) out.a = variant('a', 'livepipe ingest', 1, aSamples, media);
  if (bSamples.length) out.b = variant('b', 'bare ffmpeg, same argv', 1, bSamples, media);
  if (own.length) {
    out.livepipe = {
      ownCpuSeconds: median(own.map((o) => o.cpu))!,
      startupSeconds: median(own.map((o) => o.startup))!,
      ffmpegSeconds: median(own.map((o) => o.ffmpeg))!,
      tailSeconds: median(own.map((o) => o.tail))!,
      method: own.every((o) => o.method === 'exact') ? 'exact' : 'sampled',
    };
  }

  if (livepipeArgv) {
    try {
      const perRung = await perRungArgvs(source.path, preset, livepipeArgv, path.join(dir, `c-${preset}`));
      out.argv = { livepipe: livepipeArgv, perRung: perRung.map((p) => p.argv) };
      ctx.log(`encode ${preset}: (c) ${perRung.length} ffmpeg processes, one per rung, in parallel`);
      await ctx.settle();
      const c = await runParallel(ctx, dir, perRung);
      if (c.failure) out.failures.push(`(c): ${c.failure}`);
      else out.c = variant('c', `${perRung.length} ffmpeg, one per rung`, perRung.length, [c.sample], media);
    } catch (e) {
      out.failures.push(`(c): ${(e as Error).message}`);
    }
  }

  if (out.a && out.b) out.vsBare = { speed: out.a.realtime / out.b.realtime, cpu: out.a.cpuPerMediaSecond / out.b.cpuPerMediaSecond };
  if (out.a && out.c) out.vsPerRung = { speed: out.a.realtime / out.c.realtime, cpu: out.a.cpuPerMediaSecond / out.c.cpuPerMediaSecond };
  return out;
}

/** For each rung of the fitted ladder, livepipe's argv builder with a one-rung ladder (same settings). */
async function perRungArgvs(sourcePath: string, preset: string, livepipeArgv: string[], base: string): Promise<Array<{ argv: string[]; outDir: string }>> {
  const lp = await loadLivepipe();
  const spec = lp.parseInput(sourcePath);
  const info = await lp.probeSource(spec);
  const ladder = lp.fitLadder(await lp.loadPreset(preset), info);
  const input = lp.buildInputArgs(spec, info?.hasAudio ?? true, { realtime: false, loop: false });
  const flag = (name: string) => {
    const i = livepipeArgv.indexOf(name);
    return i >= 0 ? livepipeArgv[i + 1] : undefined;
  };
  const segmentSeconds = Number(flag('-hls_time') ?? 2);
  const window = Number(flag('-hls_list_size') ?? 6);
  const binary = livepipeArgv[0]!;
  return ladder.renditions.map((r) => {
    const outDir = path.join(base, r.name);
    const argv = lp.buildHlsArgv(input, { ...ladder, renditions: [r] }, { outDir, segmentSeconds, window, format: 'ts', keep: false });
    return { argv: [binary, ...argv], outDir };
  });
}

async function runParallel(ctx: BenchContext, dir: string, jobs: Array<{ argv: string[]; outDir: string }>): Promise<{ sample: Sample; failure?: string }> {
  for (const j of jobs) await mkdir(j.outDir, { recursive: true });
  const before = machineCpu();
  const runs = await Promise.all(jobs.map((j) => runMeasured(j.argv, ctx.cleanup, dir, { env: ctx.childEnv, timeoutMs: 600_000 })));
  const after = machineCpu();
  for (const j of jobs) await rm(path.dirname(j.outDir), { recursive: true, force: true });
  const failures = runs.map(failureOf).filter(Boolean);
  const wall = (Math.max(...runs.map((r) => r.endedAt)) - Math.min(...runs.map((r) => r.startedAt))) / 1000;
  const cpu = runs.reduce((sum, r) => sum + (r.cpu?.total ?? NaN), 0);
  const sample: Sample = { wallSeconds: wall, cpuSeconds: cpu, otherCpuSeconds: Math.max(0, after.busy - before.busy - cpu) };
  if (failures.length || !Number.isFinite(cpu)) return { sample, failure: failures.join('; ') || 'no CPU times' };
  return { sample };
}
