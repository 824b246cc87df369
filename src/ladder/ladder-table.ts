import { formatKbps } from './bitrate.js';
import { type Ladder, totalBandwidth } from './rendition.js';

export interface LadderJson {
  preset: string;
  fps: number;
  x264Preset: string;
  renditions: Array<{
    name: string;
    width: number;
    height: number;
    videoBitrate: number;
    audioBitrate: number;
    maxrate: number;
    bufsize: number;
    profile: string;
    level: string;
    bandwidth: number;
  }>;
  totalBandwidth: number;
}

export function ladderToJson(ladder: Ladder): LadderJson {
  return {
    preset: ladder.preset,
    fps: ladder.fps,
    x264Preset: ladder.encoder.x264Preset,
    renditions: ladder.renditions.map((r) => ({
      name: r.name,
      width: r.width,
      height: r.height,
      videoBitrate: r.videoBitrate,
      audioBitrate: r.audioBitrate,
      maxrate: r.maxrate,
      bufsize: r.bufsize,
      profile: r.profile,
      level: r.level,
      bandwidth: r.videoBitrate + r.audioBitrate,
    })),
    totalBandwidth: totalBandwidth(ladder.renditions),
  };
}

/** A fixed-width table for the terminal. */
export function formatLadderTable(ladder: Ladder): string {
  const header = ['rung', 'size', 'video', 'audio', 'maxrate', 'bufsize', 'profile', 'bandwidth'];
  const rows = ladder.renditions.map((r) => [
    r.name,
    `${r.width}x${r.height}`,
    formatKbps(r.videoBitrate),
    formatKbps(r.audioBitrate),
    formatKbps(r.maxrate),
    formatKbps(r.bufsize),
    `${r.profile}@${r.level}`,
    formatKbps(r.videoBitrate + r.audioBitrate),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  const total = `total ${formatKbps(totalBandwidth(ladder.renditions))} at ${ladder.fps} fps, x264 ${ladder.encoder.x264Preset}`;
  return [`preset ${ladder.preset}`, line(header), ...rows.map(line), total].join('\n');
}
