import { UsageError } from '../errors.js';

/** Parses "5000k", "5M", "800000" or a number into bits per second. */
export function parseBitrate(value: unknown, what: string): number {
  if (typeof value === 'number' && Number.isFinite(value) && value > 0) return Math.round(value);
  if (typeof value === 'string') {
    const m = /^\s*(\d+(?:\.\d+)?)\s*([kKmM]?)\s*$/.exec(value);
    if (m) {
      const scale = m[2] === '' ? 1 : m[2]!.toLowerCase() === 'k' ? 1_000 : 1_000_000;
      const bps = Math.round(Number(m[1]) * scale);
      if (bps > 0) return bps;
    }
  }
  throw new UsageError(`${what}: expected a bitrate like "5000k", "5M" or a number of bits per second, got ${JSON.stringify(value)}`);
}

/** "5000k" style, as ffmpeg accepts it. */
export function formatKbps(bps: number): string {
  return `${Math.round(bps / 1000)}k`;
}
