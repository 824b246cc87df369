import { Parser } from 'm3u8-parser';

/** The parts of a media playlist the publisher orders uploads by. */
export interface MediaPlaylistInfo {
  mediaSequence: number;
  /** Segment URIs in order, as written (relative to the playlist). */
  segments: string[];
  /** EXT-X-MAP URIs (fMP4 init sections). */
  initSegments: string[];
  ended: boolean;
  targetDuration: number;
  durations: number[];
}

export function parseMediaPlaylist(text: string): MediaPlaylistInfo {
  const parser = new Parser();
  parser.push(text);
  parser.end();
  const m = parser.manifest;
  const segments = m.segments ?? [];
  const maps = new Set<string>();
  for (const s of segments) if (s.map?.uri) maps.add(s.map.uri);
  return {
    mediaSequence: m.mediaSequence ?? 0,
    segments: segments.map((s) => s.uri),
    initSegments: [...maps],
    ended: Boolean(m.endList),
    targetDuration: m.targetDuration ?? 0,
    durations: segments.map((s) => s.duration),
  };
}
