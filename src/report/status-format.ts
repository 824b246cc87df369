import type { StatusSnapshot } from './stream-stats.js';

/**
 * Pure formatting of the status display: no timers, no streams, no environment. The TTY renderer
 * and the plain logger call these with a snapshot; tests call them with hand-made snapshots.
 */

export type Style = 'plain' | 'dim' | 'bold' | 'ok' | 'warn' | 'bad' | 'accent';

const SGR: Record<Style, string> = {
  plain: '',
  dim: '\x1b[2m',
  bold: '\x1b[1m',
  ok: '\x1b[32m',
  warn: '\x1b[1;33m',
  bad: '\x1b[1;31m',
  accent: '\x1b[36m',
};
const RESET = '\x1b[0m';

export function paint(text: string, style: Style, color: boolean): string {
  if (!color || style === 'plain' || text === '') return text;
  return `${SGR[style]}${text}${RESET}`;
}

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;

export function stripAnsi(text: string): string {
  return text.replace(ANSI, '');
}

/** `0:07`, `12:34`, `1:02:03`. */
export function formatClock(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

/** `2.91 Mb/s`, `812 kb/s`. */
export function formatBitrate(bps: number): string {
  if (bps >= 1e6) return `${(bps / 1e6).toFixed(2)} Mb/s`;
  return `${Math.round(bps / 1e3)} kb/s`;
}

/** `0.7 MB`, `1.24 GB`. */
export function formatBytes(bytes: number): string {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(2)} GB`;
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`;
  return `${Math.round(bytes / 1e3)} kB`;
}

function formatSeconds(s: number): string {
  return s < 10 ? `${s.toFixed(1)} s` : `${Math.round(s)} s`;
}

function formatSpeed(speed: number): string {
  return `${speed.toFixed(2)}×`;
}

/** One piece of a status line; the least important pieces are dropped first when the terminal is narrow. */
export interface Part {
  text: string;
  style: Style;
  /** Higher stays longer. */
  priority: number;
}

/** The pieces of the status line, in display order. */
export function statusParts(s: StatusSnapshot): Part[] {
  const parts: Part[] = [];
  parts.push({ text: formatClock(s.elapsedSeconds), style: 'bold', priority: 9 });
  if (s.speed !== undefined) {
    const fps = s.fps !== undefined ? ` ${Math.round(s.fps)} fps` : '';
    parts.push({ text: `speed ${formatSpeed(s.speed)}${fps}`, style: s.behind ? 'warn' : 'plain', priority: 8 });
  } else {
    parts.push({ text: 'starting', style: 'dim', priority: 8 });
  }
  const rates = s.rungs
    .map((r) => `${r.name} ${r.bitrateBps !== undefined ? formatBitrate(r.bitrateBps) : '–'}`)
    .join(' · ');
  if (rates) parts.push({ text: rates, style: 'accent', priority: 4 });
  parts.push({ text: `${s.segments} seg`, style: 'plain', priority: 6 });
  if (s.publishP95Ms !== undefined) {
    parts.push({ text: `p95 ${Math.round(s.publishP95Ms)} ms`, style: s.slowOrigin ? 'warn' : 'plain', priority: 5 });
  }
  parts.push({ text: `${s.retries} ${s.retries === 1 ? 'retry' : 'retries'}`, style: s.retries > 0 ? 'warn' : 'plain', priority: 3 });
  if (s.origin === 'outage') {
    const since = s.outageSeconds !== undefined ? ` ${formatSeconds(s.outageSeconds)}` : '';
    parts.push({ text: `origin OUTAGE${since}`, style: 'bad', priority: 10 });
  } else {
    parts.push({ text: 'origin ok', style: 'ok', priority: 7 });
  }
  if (s.liveEdgeSeconds !== undefined) parts.push({ text: `edge ${formatSeconds(s.liveEdgeSeconds)}`, style: 'plain', priority: 5 });
  if (s.restarts > 0) parts.push({ text: `${s.restarts} restart${s.restarts === 1 ? '' : 's'}`, style: 'warn', priority: 6 });
  if (s.behind) parts.push({ text: 'FALLING BEHIND', style: 'warn', priority: 10 });
  if (s.slowOrigin) parts.push({ text: 'SLOW ORIGIN', style: 'warn', priority: 10 });
  return parts;
}

const SEPARATOR = '  ';

/** Joins parts into one line no wider than `width` visible characters, dropping low-priority parts first. */
export function fitParts(parts: readonly Part[], width: number, color: boolean): string {
  let kept = [...parts];
  const visible = (ps: readonly Part[]) => ps.reduce((n, p, i) => n + p.text.length + (i ? SEPARATOR.length : 0), 0);
  while (kept.length > 1 && visible(kept) > width) {
    const lowest = kept.reduce((min, p) => (p.priority < min.priority ? p : min));
    kept = kept.filter((p) => p !== lowest);
  }
  let line = '';
  let used = 0;
  for (const [i, p] of kept.entries()) {
    const sep = i ? SEPARATOR : '';
    const room = width - used - sep.length;
    if (room <= 0) break;
    const text = p.text.length > room ? `${p.text.slice(0, Math.max(0, room - 1))}…` : p.text;
    line += sep + paint(text, p.style, color);
    used += sep.length + text.length;
  }
  return line;
}

export interface LineOptions {
  color: boolean;
  /** Visible characters available (terminal columns − 1). */
  width: number;
}

/** The one-line status for a terminal. */
export function formatStatusLine(s: StatusSnapshot, opts: LineOptions): string {
  return fitParts(statusParts(s), opts.width, opts.color);
}

/** `[#########...........]  45%  2:15 / 5:00  ETA 2:45`, or undefined when the total is unknown. */
export function formatProgressLine(s: StatusSnapshot, opts: LineOptions): string | undefined {
  if (s.totalSeconds === undefined || s.fraction === undefined) return undefined;
  const percent = `${String(Math.floor(s.fraction * 100)).padStart(3)}%`;
  const times = `${formatClock(s.mediaSeconds)} / ${formatClock(s.totalSeconds)}`;
  const eta = s.finished ? 'done' : s.etaSeconds !== undefined ? `ETA ${formatClock(s.etaSeconds)}` : 'ETA –';
  const tail = `  ${percent}  ${times}  ${eta}`;
  const barWidth = Math.max(10, Math.min(40, opts.width - tail.length - 2));
  const filled = Math.round(s.fraction * barWidth);
  const bar = `[${paint('#'.repeat(filled), 'ok', opts.color)}${'.'.repeat(barWidth - filled)}]`;
  const line = `${bar}${tail}`;
  return stripAnsi(line).length > opts.width ? fitParts([{ text: `${percent.trim()}  ${eta}`, style: 'plain', priority: 1 }], opts.width, opts.color) : line;
}

/** The status as one plain log line (no colour, no control characters, never truncated). */
export function formatPlainStatus(s: StatusSnapshot): string {
  const fields: string[] = [`${formatClock(s.elapsedSeconds)} elapsed`];
  if (s.speed !== undefined) fields.push(`speed ${s.speed.toFixed(2)}x`);
  if (s.fps !== undefined) fields.push(`${Math.round(s.fps)} fps`);
  for (const r of s.rungs) if (r.bitrateBps !== undefined) fields.push(`${r.name} ${formatBitrate(r.bitrateBps)}`);
  fields.push(`${s.segments} segments`);
  if (s.publishP95Ms !== undefined) fields.push(`publish p95 ${Math.round(s.publishP95Ms)} ms`);
  fields.push(`${s.retries} retries`);
  fields.push(s.origin === 'outage' ? `origin OUTAGE${s.outageSeconds !== undefined ? ` for ${formatSeconds(s.outageSeconds)}` : ''}` : 'origin ok');
  if (s.liveEdgeSeconds !== undefined) fields.push(`live edge ${formatSeconds(s.liveEdgeSeconds)}`);
  if (s.restarts > 0) fields.push(`${s.restarts} restarts`);
  if (s.fraction !== undefined) {
    fields.push(`${Math.floor(s.fraction * 100)}%${s.etaSeconds !== undefined && !s.finished ? ` ETA ${formatClock(s.etaSeconds)}` : ''}`);
  }
  if (s.behind) fields.push('FALLING BEHIND real time');
  if (s.slowOrigin) fields.push('SLOW ORIGIN');
  return `status: ${fields.join(', ')}`;
}

/** Every status line for a terminal: the status, then the progress bar when the length is known. */
export function formatStatusBlock(s: StatusSnapshot, opts: LineOptions): string[] {
  const progress = formatProgressLine(s, opts);
  return progress ? [formatStatusLine(s, opts), progress] : [formatStatusLine(s, opts)];
}
