import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

export interface FfmpegBinaries {
  ffmpeg: string;
  ffprobe: string;
  /** Where ffmpeg came from, for `doctor` and --verbose. */
  origin: 'env' | 'ffmpeg-static' | 'system';
}

let cached: FfmpegBinaries | undefined;

/**
 * LIVEPIPE_FFMPEG / LIVEPIPE_FFPROBE first, then the bundled ffmpeg-static (an optional dependency
 * whose download may have failed), then the system's ffmpeg on PATH.
 */
export function locateFfmpeg(env: NodeJS.ProcessEnv = process.env): FfmpegBinaries {
  if (cached && env === process.env) return cached;
  const found = resolve(env);
  if (env === process.env) cached = found;
  return found;
}

function resolve(env: NodeJS.ProcessEnv): FfmpegBinaries {
  const probe = env['LIVEPIPE_FFPROBE'] ?? onPath('ffprobe', env) ?? 'ffprobe';
  if (env['LIVEPIPE_FFMPEG']) return { ffmpeg: env['LIVEPIPE_FFMPEG'], ffprobe: probe, origin: 'env' };
  const bundled = bundledFfmpeg();
  if (bundled) return { ffmpeg: bundled, ffprobe: probe, origin: 'ffmpeg-static' };
  return { ffmpeg: onPath('ffmpeg', env) ?? 'ffmpeg', ffprobe: probe, origin: 'system' };
}

function bundledFfmpeg(): string | undefined {
  try {
    const require = createRequire(import.meta.url);
    const p = require('ffmpeg-static') as unknown;
    return typeof p === 'string' && existsSync(p) ? p : undefined;
  } catch {
    return undefined;
  }
}

export function onPath(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const dir of (env['PATH'] ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}
