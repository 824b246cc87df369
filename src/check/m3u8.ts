/**
 * A small, strict reader of HLS playlists (RFC 8216) for `livepipe check` and the status line.
 * It keeps attribute values as written (m3u8-parser rounds and drops what a checker needs) and
 * never throws on a tag it does not know.
 */

export interface Variant {
  uri: string;
  /** Attributes of EXT-X-STREAM-INF, quotes removed from quoted strings. */
  attributes: Map<string, string>;
}

export interface Rendition {
  type: string;
  groupId: string;
  name: string;
  uri: string | undefined;
  attributes: Map<string, string>;
}

export interface MasterPlaylist {
  kind: 'master';
  variants: Variant[];
  media: Rendition[];
}

export interface Segment {
  uri: string;
  /** EXTINF duration in seconds, as written. */
  duration: number;
  /** Media sequence number (EXT-X-MEDIA-SEQUENCE + index). */
  sequence: number;
  /** EXT-X-PROGRAM-DATE-TIME given on this segment, as written. */
  programDateTime: string | undefined;
  /** Wall-clock start in ms: given, or inferred from an earlier PDT plus durations (none across a discontinuity). */
  startMs: number | undefined;
  /** EXT-X-MAP URI in effect (fMP4 init section). */
  map: string | undefined;
  discontinuity: boolean;
}

export interface MediaPlaylist {
  kind: 'media';
  targetDuration: number | undefined;
  mediaSequence: number;
  playlistType: string | undefined;
  endList: boolean;
  segments: Segment[];
}

export type Playlist = MasterPlaylist | MediaPlaylist;

export class PlaylistSyntaxError extends Error {
  override name = 'PlaylistSyntaxError';
}

/** Parses an attribute list (RFC 8216 4.2): NAME=value pairs, quoted strings may hold commas. */
export function parseAttributeList(text: string): Map<string, string> {
  const attrs = new Map<string, string>();
  let i = 0;
  while (i < text.length) {
    const eq = text.indexOf('=', i);
    if (eq < 0) break;
    const name = text.slice(i, eq).trim();
    let value: string;
    if (text[eq + 1] === '"') {
      const close = text.indexOf('"', eq + 2);
      const end = close < 0 ? text.length : close;
      value = text.slice(eq + 2, end);
      i = text.indexOf(',', end);
    } else {
      const comma = text.indexOf(',', eq + 1);
      value = text.slice(eq + 1, comma < 0 ? text.length : comma).trim();
      i = comma;
    }
    if (name) attrs.set(name, value);
    if (i < 0) break;
    i++;
  }
  return attrs;
}

/** Parses EXT-X-PROGRAM-DATE-TIME values, including ffmpeg's `+0000` offsets. Undefined if unreadable. */
export function parseDateTime(value: string): number | undefined {
  const normalized = value.trim().replace(/([+-]\d{2})(\d{2})$/, '$1:$2');
  const ms = Date.parse(normalized);
  return Number.isNaN(ms) ? undefined : ms;
}

/** Parses a master or media playlist. Throws PlaylistSyntaxError when the text is not a playlist at all. */
export function parsePlaylist(text: string): Playlist {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/).map((l) => l.trim());
  if (lines[0] !== '#EXTM3U') throw new PlaylistSyntaxError('does not start with #EXTM3U');
  const isMaster = lines.some((l) => l.startsWith('#EXT-X-STREAM-INF:'));
  return isMaster ? parseMaster(lines) : parseMedia(lines);
}

function parseMaster(lines: string[]): MasterPlaylist {
  const variants: Variant[] = [];
  const media: Rendition[] = [];
  let pending: Map<string, string> | undefined;
  for (const line of lines) {
    if (line.startsWith('#EXT-X-STREAM-INF:')) {
      pending = parseAttributeList(line.slice('#EXT-X-STREAM-INF:'.length));
    } else if (line.startsWith('#EXT-X-MEDIA:')) {
      const a = parseAttributeList(line.slice('#EXT-X-MEDIA:'.length));
      media.push({ type: a.get('TYPE') ?? '', groupId: a.get('GROUP-ID') ?? '', name: a.get('NAME') ?? '', uri: a.get('URI'), attributes: a });
    } else if (line !== '' && !line.startsWith('#') && pending) {
      variants.push({ uri: line, attributes: pending });
      pending = undefined;
    }
  }
  return { kind: 'master', variants, media };
}

function parseMedia(lines: string[]): MediaPlaylist {
  const result: MediaPlaylist = { kind: 'media', targetDuration: undefined, mediaSequence: 0, playlistType: undefined, endList: false, segments: [] };
  let duration: number | undefined;
  let pdt: string | undefined;
  let map: string | undefined;
  let discontinuity = false;
  for (const line of lines) {
    if (line.startsWith('#EXT-X-TARGETDURATION:')) {
      const n = Number(line.slice('#EXT-X-TARGETDURATION:'.length));
      result.targetDuration = Number.isFinite(n) ? n : undefined;
    } else if (line.startsWith('#EXT-X-MEDIA-SEQUENCE:')) {
      const n = Number(line.slice('#EXT-X-MEDIA-SEQUENCE:'.length));
      result.mediaSequence = Number.isInteger(n) ? n : 0;
    } else if (line.startsWith('#EXT-X-PLAYLIST-TYPE:')) {
      result.playlistType = line.slice('#EXT-X-PLAYLIST-TYPE:'.length).trim();
    } else if (line === '#EXT-X-ENDLIST') {
      result.endList = true;
    } else if (line.startsWith('#EXTINF:')) {
      const value = line.slice('#EXTINF:'.length).split(',')[0] ?? '';
      const n = Number(value);
      duration = Number.isFinite(n) ? n : NaN;
    } else if (line.startsWith('#EXT-X-PROGRAM-DATE-TIME:')) {
      pdt = line.slice('#EXT-X-PROGRAM-DATE-TIME:'.length).trim();
    } else if (line.startsWith('#EXT-X-MAP:')) {
      map = parseAttributeList(line.slice('#EXT-X-MAP:'.length)).get('URI');
    } else if (line === '#EXT-X-DISCONTINUITY') {
      discontinuity = true;
    } else if (line !== '' && !line.startsWith('#')) {
      const previous = result.segments[result.segments.length - 1];
      const given = pdt === undefined ? undefined : parseDateTime(pdt);
      const inferred = !discontinuity && previous?.startMs !== undefined ? previous.startMs + previous.duration * 1000 : undefined;
      result.segments.push({
        uri: line,
        duration: duration ?? NaN,
        sequence: result.mediaSequence + result.segments.length,
        programDateTime: pdt,
        startMs: given ?? inferred,
        map,
        discontinuity,
      });
      duration = undefined;
      pdt = undefined;
      discontinuity = false;
    }
  }
  return result;
}

/** RFC 8216 4.3.3.1: every EXTINF, rounded to the nearest integer, must be ≤ EXT-X-TARGETDURATION. */
export function exceedsTargetDuration(duration: number, targetDuration: number): boolean {
  return Math.round(duration) > targetDuration;
}
