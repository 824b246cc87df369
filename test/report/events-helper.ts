import { PipelineEvent, type EventPayloads, type EventRecord } from '../../src/events.js';

export const T0 = Date.parse('2026-01-01T12:00:00.000Z');

/** An event record as the bus would emit it, at T0 + `atMs`. */
export function rec<K extends PipelineEvent>(event: K, payload: EventPayloads[K], atMs = 0): EventRecord {
  return { event, time: new Date(T0 + atMs).toISOString(), ...payload } as EventRecord;
}

export const started = (extra: Partial<EventPayloads[PipelineEvent.Started]> = {}, atMs = 0) =>
  rec(PipelineEvent.Started, { stream: 'live', origin: 'file:///o', out: '/tmp/none', renditions: ['720p', '360p'], ...extra }, atMs);

export const progress = (atMs: number, outTimeSeconds: number, frame = Math.round(outTimeSeconds * 30), speed = 1, fps = 30) =>
  rec(PipelineEvent.Progress, { speed, fps, outTimeSeconds, frame }, atMs);

/** A media playlist as ffmpeg writes it: EXTINF, then PROGRAM-DATE-TIME, then the URI. */
export function mediaPlaylist(opts: { sequence: number; count: number; duration?: number; startMs?: number; end?: boolean; target?: number }): string {
  const d = opts.duration ?? 2;
  const lines = ['#EXTM3U', '#EXT-X-VERSION:6', `#EXT-X-TARGETDURATION:${opts.target ?? Math.round(d)}`, `#EXT-X-MEDIA-SEQUENCE:${opts.sequence}`];
  for (let i = 0; i < opts.count; i++) {
    const seq = opts.sequence + i;
    lines.push(`#EXTINF:${d.toFixed(6)},`);
    if (opts.startMs !== undefined) {
      lines.push(`#EXT-X-PROGRAM-DATE-TIME:${new Date(opts.startMs + seq * d * 1000).toISOString().replace('Z', '+0000')}`);
    }
    lines.push(`seg_${seq}.ts`);
  }
  if (opts.end) lines.push('#EXT-X-ENDLIST');
  return `${lines.join('\n')}\n`;
}
