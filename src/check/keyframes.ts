import { execa } from 'execa';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export interface FirstVideoPacket {
  /** The first video packet (decode order) is a keyframe. */
  keyframe: boolean;
  /** ffprobe could tell the video codec from the segment alone (false: no SPS/keyframe to start from). */
  decodable: boolean;
  /** Its presentation time, seconds. */
  ptsSeconds: number;
  /** Frame rate of the video stream, when ffprobe knows it. */
  frameRate: number | undefined;
}

interface ProbeJson {
  packets?: Array<{ stream_index?: number; pts_time?: string; dts_time?: string; flags?: string }>;
  streams?: Array<{ index?: number; codec_type?: string; codec_name?: string; avg_frame_rate?: string; r_frame_rate?: string }>;
}

/**
 * ffprobes the first video packet of a segment (fMP4 segments are probed after their init section).
 * Returns undefined when the segment has no video; throws with ffprobe's reason when it cannot be read.
 */
export async function probeFirstVideoPacket(ffprobe: string, segment: Buffer, init: Buffer | undefined, ext: string): Promise<FirstVideoPacket | undefined> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'livepipe-check-'));
  try {
    const file = path.join(dir, `segment${/^\.[a-z0-9]{1,5}$/i.test(ext) ? ext : '.ts'}`);
    await writeFile(file, init ? Buffer.concat([init, segment]) : segment);
    // Every stream, not -select_streams v: a segment that starts mid-GOP has no SPS, and ffprobe then
    // cannot even tell that its video stream is video.
    const r = await execa(ffprobe, [
      '-v', 'error', '-read_intervals', '%+#60',
      '-show_entries', 'packet=stream_index,pts_time,dts_time,flags:stream=index,codec_type,codec_name,avg_frame_rate,r_frame_rate', '-of', 'json', file,
    ], { reject: false, timeout: 30_000, stdin: 'ignore' });
    if (r.exitCode === undefined) throw new Error(`cannot run ${ffprobe}: ${r.shortMessage ?? 'failed to start'}`);
    if (r.exitCode !== 0) {
      const reason = String(r.stderr).split('\n').map((l) => l.trim()).filter(Boolean).pop();
      throw new Error(reason ?? (r.timedOut ? 'ffprobe timed out' : `ffprobe failed (exit ${r.exitCode})`));
    }
    const json = JSON.parse(String(r.stdout)) as ProbeJson;
    const streams = json.streams ?? [];
    const video = streams.find((s) => s.codec_type === 'video');
    const unknown = streams.find((s) => s.codec_type === undefined || s.codec_type === 'unknown');
    const stream = video ?? unknown;
    if (!stream) return undefined;
    const packet = json.packets?.find((p) => p.stream_index === stream.index);
    if (!packet) return undefined;
    return {
      keyframe: video !== undefined && (packet.flags ?? '').includes('K'),
      decodable: video !== undefined,
      ptsSeconds: Number(packet.pts_time ?? packet.dts_time),
      frameRate: parseRate(stream.avg_frame_rate) ?? parseRate(stream.r_frame_rate),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export function parseRate(rate: string | undefined): number | undefined {
  if (!rate) return undefined;
  const [n, d] = rate.split('/').map(Number);
  if (!n || !d) return undefined;
  const fps = n / d;
  return Number.isFinite(fps) && fps > 0 && fps <= 1000 ? fps : undefined;
}
