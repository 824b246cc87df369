import { formatKbps } from '../ladder/bitrate.js';
import type { Ladder, Rendition } from '../ladder/rendition.js';
import type { InputArgs } from '../source/input-args.js';

export type SegmentFormat = 'ts' | 'fmp4';

export interface HlsOutputOptions {
  outDir: string;
  segmentSeconds: number;
  /** Segments listed in each live media playlist. */
  window: number;
  format: SegmentFormat;
  /** Keep every segment and write an EVENT playlist (DVR / VOD). */
  keep: boolean;
  /** Stop after this many seconds of media. */
  durationSeconds?: number | undefined;
  /** Continue numbering and the playlists of an earlier run of this stream (restart after a crash). */
  appendToExisting?: boolean;
}

export const MASTER_NAME = 'master.m3u8';
export const MEDIA_PLAYLIST_NAME = 'index.m3u8';

export function segmentExtension(format: SegmentFormat): string {
  return format === 'fmp4' ? 'm4s' : 'ts';
}

/**
 * The whole ffmpeg command for one stream, as a pure function: decode once, split, scale and encode
 * every rung on one keyframe grid, and segment into HLS with a master playlist.
 */
export function buildHlsArgv(input: InputArgs, ladder: Ladder, out: HlsOutputOptions): string[] {
  return [
    '-hide_banner', '-loglevel', 'warning', '-nostats',
    // Machine-readable progress on stdout; stderr stays for warnings and errors.
    '-progress', 'pipe:1', '-stats_period', '0.5',
    ...(input.readsStdin ? [] : ['-nostdin']),
    '-y',
    ...input.args,
    '-filter_complex', filterGraph(input.video, ladder),
    ...mapArgs(input, ladder),
    ...videoCodecArgs(ladder, out.segmentSeconds),
    ...(input.audio ? audioCodecArgs(ladder.renditions) : []),
    ...(out.durationSeconds !== undefined ? ['-t', String(out.durationSeconds)] : []),
    ...hlsMuxerArgs(ladder, out, input.audio !== undefined),
  ];
}

/** `[0:v:0]fps=30,split=3[s0][s1][s2];[s0]scale=1280:720,setsar=1[v0];…` */
export function filterGraph(video: string, ladder: Ladder): string {
  const n = ladder.renditions.length;
  // The fps filter makes the frame rate constant, so time-forced keyframes land on the same frame in every rung.
  const head = `[${video}]fps=${ladder.fps}` + (n > 1 ? `,split=${n}${ladder.renditions.map((_, i) => `[s${i}]`).join('')}` : '[s0]');
  const scales = ladder.renditions.map((r, i) => `[s${i}]${scaleFilter(r, ladder.fittedToSource)},format=yuv420p[v${i}]`);
  return [head, ...scales].join(';');
}

function scaleFilter(r: Rendition, exact: boolean): string {
  // Fitted sizes already keep the source's aspect, so scale exactly (the master announces these sizes);
  // an unprobed source (stdin) is fitted inside the box by ffmpeg instead.
  const fit = exact ? '' : ':force_original_aspect_ratio=decrease:force_divisible_by=2';
  return `scale=${r.width}:${r.height}${fit},setsar=1`;
}

function mapArgs(input: InputArgs, ladder: Ladder): string[] {
  const video = ladder.renditions.flatMap((_, i) => ['-map', `[v${i}]`]);
  const audio = input.audio ? ladder.renditions.flatMap(() => ['-map', input.audio!]) : [];
  return [...video, ...audio];
}

function videoCodecArgs(ladder: Ladder, segmentSeconds: number): string[] {
  const gop = Math.max(1, Math.round(ladder.fps * segmentSeconds));
  const common = [
    '-c:v', 'libx264', '-preset', ladder.encoder.x264Preset,
    ...(ladder.encoder.tune ? ['-tune', ladder.encoder.tune] : []),
    // One keyframe grid for the whole ladder: forced by time, no scene-cut keyframes, closed GOPs.
    '-force_key_frames', `expr:gte(t,n_forced*${segmentSeconds})`,
    '-g', String(gop), '-keyint_min', String(gop), '-sc_threshold', '0', '-flags', '+cgop',
    '-fps_mode', 'cfr',
  ];
  const perRung = ladder.renditions.flatMap((r, i) => [
    `-b:v:${i}`, formatKbps(r.videoBitrate),
    `-maxrate:v:${i}`, formatKbps(r.maxrate),
    `-bufsize:v:${i}`, formatKbps(r.bufsize),
    `-profile:v:${i}`, r.profile,
    `-level:v:${i}`, r.level,
  ]);
  return [...common, ...perRung];
}

function audioCodecArgs(renditions: readonly Rendition[]): string[] {
  return [
    '-c:a', 'aac', '-ar', '48000', '-ac', '2',
    ...renditions.flatMap((r, i) => [`-b:a:${i}`, formatKbps(r.audioBitrate)]),
  ];
}

function hlsMuxerArgs(ladder: Ladder, out: HlsOutputOptions, withAudio: boolean): string[] {
  const flags = ['independent_segments', 'program_date_time', 'temp_file'];
  if (!out.keep) flags.push('delete_segments');
  // append_list continues numbering and writes #EXT-X-DISCONTINUITY before the first new segment by itself.
  if (out.appendToExisting) flags.push('append_list');
  const ext = segmentExtension(out.format);
  const streamMap = ladder.renditions
    .map((r, i) => (withAudio ? `v:${i},a:${i},name:${r.name}` : `v:${i},name:${r.name}`))
    .join(' ');
  return [
    '-f', 'hls',
    '-hls_time', String(out.segmentSeconds),
    '-hls_list_size', out.keep ? '0' : String(out.window),
    ...(out.keep ? ['-hls_playlist_type', 'event'] : []),
    '-hls_flags', flags.join('+'),
    '-hls_segment_type', out.format === 'fmp4' ? 'fmp4' : 'mpegts',
    ...(out.format === 'fmp4' ? ['-hls_fmp4_init_filename', 'init.mp4'] : []),
    '-hls_segment_filename', `${out.outDir}/%v/seg_%d.${ext}`,
    '-master_pl_name', MASTER_NAME,
    '-var_stream_map', streamMap,
    `${out.outDir}/%v/${MEDIA_PLAYLIST_NAME}`,
  ];
}

/** Quotes argv so that a user can paste it into a POSIX shell. */
export function shellQuote(argv: readonly string[]): string {
  return argv.map((a) => (/^[A-Za-z0-9_./:=@%+,-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}
