/** livepipe `--json` events, and the publish latency computed from them (pure functions). */

export interface LpEvent {
  event: string;
  time: string;
  [field: string]: unknown;
}

export function parseEventLine(line: string): LpEvent | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const v = JSON.parse(line) as unknown;
    if (typeof v === 'object' && v !== null && typeof (v as LpEvent).event === 'string') return v as LpEvent;
  } catch {
    /* not an event */
  }
  return undefined;
}

export interface SegmentLatency {
  rung: string;
  sequence: number;
  /** segment_published.time − latencyMs: when livepipe had the complete segment from disk (epoch ms). */
  completeAt: number;
  /** playlist_published.time of the first playlist of the same rung that lists the segment. */
  listedAt: number;
  ms: number;
  /** When an independent inotify watcher saw the segment renamed into place, if it did. */
  renamedAt?: number;
  fromRenameMs?: number;
}

export interface LatencyReport {
  latencies: SegmentLatency[];
  /** Segments that no published playlist listed. */
  unlisted: Array<{ rung: string; sequence: number }>;
}

/**
 * Per segment: from it appearing complete on disk (segment_published.time − latencyMs) to the
 * acknowledgement of the first playlist of its rung whose mediaSequence..mediaSequence+segments−1
 * contains its sequence number.
 */
export function publishLatencies(events: readonly LpEvent[], renamedAt?: ReadonlyMap<string, number>): LatencyReport {
  const playlists = new Map<string, Array<{ first: number; last: number; at: number }>>();
  for (const e of events) {
    if (e.event !== 'playlist_published') continue;
    const rung = String(e.rung);
    const first = Number(e.mediaSequence);
    const list = playlists.get(rung) ?? [];
    list.push({ first, last: first + Number(e.segments) - 1, at: Date.parse(e.time) });
    playlists.set(rung, list);
  }
  const latencies: SegmentLatency[] = [];
  const unlisted: LatencyReport['unlisted'] = [];
  for (const e of events) {
    if (e.event !== 'segment_published') continue;
    const sequence = Number(e.sequence);
    if (!(sequence >= 0)) continue; // init files have no sequence number
    const rung = String(e.rung);
    const completeAt = Date.parse(e.time) - Number(e.latencyMs);
    const p = (playlists.get(rung) ?? []).find((x) => x.first <= sequence && sequence <= x.last && x.at >= completeAt);
    if (!p) {
      unlisted.push({ rung, sequence });
      continue;
    }
    const l: SegmentLatency = { rung, sequence, completeAt, listedAt: p.at, ms: p.at - completeAt };
    const renamed = renamedAt?.get(`${rung}/${sequence}`);
    if (renamed !== undefined) Object.assign(l, { renamedAt: renamed, fromRenameMs: p.at - renamed });
    latencies.push(l);
  }
  return { latencies, unlisted };
}

/** Nearest-rank percentile (p in 0..100) of unsorted values. */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1];
}

export function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1]! + s[mid]!) / 2;
}
