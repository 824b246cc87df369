import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { PipelineEvent, type EventBus } from '../events.js';
import { parsePlaylist } from '../check/m3u8.js';
import type { StreamStats } from './stream-stats.js';

/**
 * Feeds StreamStats what the published playlists say about their segments (EXTINF durations and
 * PROGRAM-DATE-TIME), read from ffmpeg's output folder when a playlist is published: the local copy
 * is the published one or a newer one, and it still lists the newest published segment.
 */
export function attachPlaylistTap(bus: EventBus, stats: StreamStats): () => void {
  let outDir: string | undefined;
  const reading = new Set<string>();
  const again = new Set<string>();

  const read = async (rung: string, key: string): Promise<void> => {
    if (!outDir) return;
    if (reading.has(rung)) {
      again.add(rung);
      return;
    }
    reading.add(rung);
    try {
      do {
        again.delete(rung);
        try {
          const parsed = parsePlaylist(await readFile(path.join(outDir, key), 'utf8'));
          if (parsed.kind === 'media') stats.addPlaylist(rung, parsed);
        } catch {
          // gone (end of a run in a temporary folder) or being replaced: the next publish tells again
        }
      } while (again.has(rung));
    } finally {
      reading.delete(rung);
    }
  };

  return bus.onEvent((e) => {
    if (e.event === PipelineEvent.Started) outDir = e.out;
    if (e.event === PipelineEvent.PlaylistPublished) void read(e.rung, e.key);
  });
}

/** StreamStats fed by every event of the bus and by the published playlists. */
export function attachStreamStats(bus: EventBus, stats: StreamStats): () => void {
  const offEvents = bus.onEvent((e) => stats.apply(e));
  const offTap = attachPlaylistTap(bus, stats);
  return () => {
    offEvents();
    offTap();
  };
}
