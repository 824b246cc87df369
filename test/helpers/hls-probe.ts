import { execa } from 'execa';
import { readFile } from 'node:fs/promises';
import { Parser } from 'm3u8-parser';

export interface FirstFrame {
  keyFrame: boolean;
  pictType: string;
  ptsTime: number;
}

/** The first video frame of a segment file, as ffprobe decodes it. */
export async function firstVideoFrame(file: string, init?: string): Promise<FirstFrame> {
  // An fMP4 media segment only decodes behind its init section: read both as one byte stream.
  const source = init ? `concat:${init}|${file}` : file;
  const r = await execa('ffprobe', [
    '-v', 'error', '-select_streams', 'v:0', '-read_intervals', '%+#1', '-show_frames',
    '-show_entries', 'frame=key_frame,pict_type,pts_time,pkt_pts_time,best_effort_timestamp_time', '-of', 'json', source,
  ]);
  const frame = (JSON.parse(r.stdout) as { frames: Array<Record<string, string | number>> }).frames[0];
  if (!frame) throw new Error(`no video frame in ${file}`);
  const pts = Number(frame['pts_time'] ?? frame['best_effort_timestamp_time'] ?? frame['pkt_pts_time']);
  return { keyFrame: Number(frame['key_frame']) === 1, pictType: String(frame['pict_type']), ptsTime: pts };
}

export async function readPlaylist(file: string): Promise<ReturnType<typeof parse>> {
  return parse(await readFile(file, 'utf8'));
}

export function parse(text: string) {
  const p = new Parser();
  p.push(text);
  p.end();
  return p.manifest;
}
