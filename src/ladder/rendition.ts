/** One rung of an adaptive-bitrate ladder. Bitrates are in bits per second. */
export interface Rendition {
  name: string;
  width: number;
  height: number;
  videoBitrate: number;
  maxrate: number;
  bufsize: number;
  audioBitrate: number;
  profile: H264Profile;
  level: string;
}

export type H264Profile = 'baseline' | 'main' | 'high';

export interface EncoderSettings {
  /** x264 speed preset; the 1080p ladder needs a fast one to keep real time on 2 cores. */
  x264Preset: string;
  /** Extra x264 tune (e.g. zerolatency), or undefined. */
  tune?: string;
}

export interface Preset {
  name: string;
  description: string;
  /** Where the bitrates come from (published ladders). */
  reference: string;
  encoder: EncoderSettings;
  renditions: Rendition[];
}

/** A ladder fitted to a concrete source: what ffmpeg is asked to produce. */
export interface Ladder {
  preset: string;
  encoder: EncoderSettings;
  /** Constant output frame rate shared by every rung. */
  fps: number;
  /** Sizes were computed from the probed source (exact scaling); false for unprobed input such as stdin. */
  fittedToSource: boolean;
  renditions: Rendition[];
}

/** Peak and average bandwidth the master playlist announces, in bits per second. */
export function renditionBandwidth(r: Rendition): { peak: number; average: number } {
  // MPEG-TS adds roughly 5–10 % on top of the elementary streams.
  return {
    peak: Math.round((r.maxrate + r.audioBitrate) * 1.1),
    average: Math.round((r.videoBitrate + r.audioBitrate) * 1.05),
  };
}

export function totalBandwidth(renditions: readonly Rendition[]): number {
  return renditions.reduce((sum, r) => sum + r.videoBitrate + r.audioBitrate, 0);
}
