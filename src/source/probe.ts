import { execa } from 'execa';
import { RuntimeFailure, UsageError } from '../errors.js';
import { locateFfmpeg } from '../ffmpeg/locate.js';
import type { InputSpec } from './input-spec.js';
import { buildInputArgs } from './input-args.js';

export interface SourceInfo {
  width: number;
  height: number;
  fps: number;
  hasAudio: boolean;
  /** Seconds, for files; undefined for live sources. */
  duration: number | undefined;
  videoCodec: string;
}

interface FfprobeStream {
  codec_type?: string;
  codec_name?: string;
  width?: number;
  height?: number;
  avg_frame_rate?: string;
  r_frame_rate?: string;
}

interface FfprobeOutput {
  streams?: FfprobeStream[];
  format?: { duration?: string; format_name?: string };
}

/**
 * What the ladder needs to know about a source. Synthetic sources are known without probing;
 * stdin cannot be probed without consuming it, so it is undefined (the preset is used as is).
 */
export async function probeSource(spec: InputSpec, timeoutMs = 15_000): Promise<SourceInfo | undefined> {
  if (spec.kind === 'testsrc') {
    return { width: spec.width, height: spec.height, fps: spec.fps, hasAudio: true, duration: undefined, videoCodec: 'rawvideo' };
  }
  if (spec.kind === 'stdin') return undefined;
  const input = buildInputArgs(spec, false, { realtime: false, loop: false }).args;
  const { ffprobe } = locateFfmpeg();
  const result = await execa(ffprobe, ['-v', 'error', '-print_format', 'json', '-show_streams', '-show_format', ...input], {
    reject: false,
    timeout: timeoutMs,
    stdin: 'ignore',
  });
  if (result.failed || result.exitCode !== 0) {
    const reason = lastLine(result.stderr) ?? (result.timedOut ? `no answer within ${timeoutMs / 1000} s` : 'ffprobe failed');
    const what = spec.kind === 'file' ? spec.path : spec.kind === 'url' ? spec.url : spec.device;
    if (spec.kind === 'file') throw new UsageError(`cannot read ${what} as media: ${reason}`);
    throw new RuntimeFailure(`cannot open ${what}: ${reason}`);
  }
  return parseProbe(JSON.parse(result.stdout) as FfprobeOutput, spec);
}

export function parseProbe(out: FfprobeOutput, spec: InputSpec): SourceInfo {
  const video = out.streams?.find((s) => s.codec_type === 'video' && s.width && s.height);
  if (!video) {
    const what = spec.kind === 'file' ? spec.path : 'the input';
    throw new UsageError(`${what} has no video stream`);
  }
  const duration = Number(out.format?.duration);
  return {
    width: video.width!,
    height: video.height!,
    fps: parseRate(video.avg_frame_rate) ?? parseRate(video.r_frame_rate) ?? 30,
    hasAudio: out.streams?.some((s) => s.codec_type === 'audio') ?? false,
    duration: spec.kind === 'file' && Number.isFinite(duration) && duration > 0 ? duration : undefined,
    videoCodec: video.codec_name ?? 'unknown',
  };
}

function parseRate(rate: string | undefined): number | undefined {
  if (!rate) return undefined;
  const [n, d] = rate.split('/').map(Number);
  if (!n || !d || !Number.isFinite(n / d)) return undefined;
  const fps = n / d;
  return fps > 0 && fps <= 240 ? fps : undefined;
}

function lastLine(text: string): string | undefined {
  return text.split('\n').map((l) => l.trim()).filter(Boolean).pop();
}
