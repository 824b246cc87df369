import type { Ladder, Preset, Rendition } from './rendition.js';

/** What the ladder needs to know about the picture coming in. */
export interface SourceGeometry {
  width: number;
  height: number;
  fps: number;
}

export const MAX_FPS = 60;
const DEFAULT_FPS = 30;

/**
 * Fits a preset to a source: no rung is upscaled, the source's aspect ratio is kept, dimensions stay
 * even, and the source frame rate is kept (capped at 60). Without a known source the preset is used as is.
 */
export function fitLadder(preset: Preset, source: SourceGeometry | undefined): Ladder {
  const fps = outputFps(source?.fps);
  if (!source) return { preset: preset.name, encoder: preset.encoder, fps, fittedToSource: false, renditions: preset.renditions };
  const fitted: Rendition[] = [];
  for (const rung of preset.renditions) {
    const size = fitInto(source, rung.width, rung.height);
    if (!size) continue;
    if (fitted.some((r) => r.width === size.width && r.height === size.height)) continue;
    fitted.push({ ...rung, ...size, level: levelForRate(rung.level, fps) });
  }
  if (fitted.length === 0) fitted.push(sourceSizedRung(preset, source));
  return { preset: preset.name, encoder: preset.encoder, fps, fittedToSource: true, renditions: fitted };
}

export function outputFps(sourceFps: number | undefined): number {
  if (!sourceFps || !Number.isFinite(sourceFps) || sourceFps <= 0) return DEFAULT_FPS;
  // Keep fractional broadcast rates (29.97) but drop noise from probing.
  return Math.min(MAX_FPS, Math.round(sourceFps * 1000) / 1000);
}

/** The largest even size with the source's aspect inside the box, or undefined if that would upscale. */
function fitInto(source: SourceGeometry, boxW: number, boxH: number): { width: number; height: number } | undefined {
  const scale = Math.min(boxW / source.width, boxH / source.height);
  if (scale > 1) return undefined;
  return { width: even(source.width * scale), height: even(source.height * scale) };
}

/** One rung at the source's own size, with bitrates scaled from the smallest rung by pixel count. */
function sourceSizedRung(preset: Preset, source: SourceGeometry): Rendition {
  const smallest = preset.renditions[preset.renditions.length - 1]!;
  const width = even(source.width);
  const height = even(source.height);
  const ratio = Math.max(0.1, (width * height) / (smallest.width * smallest.height));
  const scale = (bps: number) => Math.max(64_000, Math.round((bps * ratio) / 1000) * 1000);
  return {
    ...smallest,
    name: `${height}p`,
    width,
    height,
    videoBitrate: scale(smallest.videoBitrate),
    maxrate: scale(smallest.maxrate),
    bufsize: scale(smallest.bufsize),
  };
}

function even(n: number): number {
  return Math.max(2, Math.round(n / 2) * 2);
}

/** H.264 levels cap macroblocks per second: a preset written for 30 fps needs the next level up at 50/60 fps. */
const HIGH_RATE_LEVEL: Record<string, string> = { '3.0': '3.1', '3.1': '3.2', '4.0': '4.2', '4.1': '4.2', '5.0': '5.2', '5.1': '5.2' };

function levelForRate(level: string, fps: number): string {
  return fps > 30 ? (HIGH_RATE_LEVEL[level] ?? level) : level;
}
