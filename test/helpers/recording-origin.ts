/**
 * Publishing invariant checker (DESIGN.md 3, invariants 3 and 4), built on the request log that
 * FaultOrigin records: every request with its arrival time, completion time, status and body.
 *
 *   const origin = await FaultOrigin.start();
 *   … run `livepipe ingest --origin ${origin.url}live/` …
 *   expect(checkFaultOrigin(origin, '/live/', { expectEnded: true })).toEqual([]);
 *
 * The log is replayed as a timeline of "sent" (request arrived) and "acknowledged" (2xx answer sent)
 * events. It reports, as one line per problem:
 *   (a) a media playlist PUT sent before every segment and EXT-X-MAP init it references was
 *       acknowledged (and not deleted since);
 *   (b) a rung going backwards: the media sequence (or, at the same sequence, the segment count) of
 *       successive acknowledged playlists decreasing, or a different playlist acknowledged after one
 *       with #EXT-X-ENDLIST;
 *   (c) a DELETE of a segment that the latest acknowledged playlist of its rung references, that a
 *       playlist PUT in flight references, or (`recentMs`) that a playlist acknowledged less than
 *       `recentMs` before references; any DELETE of a playlist or the master;
 *   (d) a master PUT sent before every media playlist it lists was acknowledged;
 *   (e) at the end: a missing master or playlist, an object a final playlist references that is not
 *       on the origin, (`expectEnded`) a final playlist without #EXT-X-ENDLIST, (`exact`) objects left
 *       on the origin that nothing references.
 * An empty list means the publisher kept its promises.
 *
 * Playlists are parsed here line by line on purpose: the checker must not share a parser (or its bugs)
 * with the code it checks. When two events carry the same millisecond, acknowledgements count as
 * earlier than arrivals: the checker never blames the publisher for a tie.
 */
import type { FaultOrigin, RecordedRequest } from './fault-origin.js';

/** The fields of a recorded request the checker reads (FaultOrigin's RecordedRequest has them all). */
export type LoggedRequest = Pick<RecordedRequest, 'method' | 'path' | 'body' | 'time' | 'endTime' | 'status'>;

export interface CheckOptions {
  /** The stream's raw path prefix on the origin, e.g. "/live/". Requests outside it are ignored. Default "/". */
  prefix?: string;
  /**
   * Also report a DELETE of a segment that any playlist of its rung acknowledged less than this many
   * milliseconds before the DELETE was sent references (players and CDN edges may still hold it).
   * Default 1000; 0 turns it off.
   */
  recentMs?: number;
  /** Every final media playlist must carry #EXT-X-ENDLIST. Default false. */
  expectEnded?: boolean;
  /** Objects left on the origin that no final playlist references are reported. Default false. */
  exact?: boolean;
  /**
   * What is really on the origin at the end, as key → body (keys relative to the prefix). Default:
   * the state replayed from the log.
   */
  finalObjects?: ReadonlyMap<string, Buffer | string>;
}

/** The parts of a playlist the checker needs. */
export interface PlaylistFacts {
  /** URIs of the non-tag lines (segments, or variant playlists in a master), in order. */
  uris: string[];
  /** URI="…" of EXT-X-MAP (init sections) and EXT-X-MEDIA (renditions of a master). */
  attributeUris: string[];
  mediaSequence: number;
  ended: boolean;
  playlistType: string | undefined;
}

export function parsePlaylist(text: string): PlaylistFacts {
  const facts: PlaylistFacts = { uris: [], attributeUris: [], mediaSequence: 0, ended: false, playlistType: undefined };
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '') continue;
    if (!line.startsWith('#')) {
      facts.uris.push(line);
      continue;
    }
    if (line.startsWith('#EXT-X-MEDIA-SEQUENCE:')) facts.mediaSequence = Number(line.slice('#EXT-X-MEDIA-SEQUENCE:'.length));
    else if (line === '#EXT-X-ENDLIST') facts.ended = true;
    else if (line.startsWith('#EXT-X-PLAYLIST-TYPE:')) facts.playlistType = line.slice('#EXT-X-PLAYLIST-TYPE:'.length);
    else if (line.startsWith('#EXT-X-MAP:') || line.startsWith('#EXT-X-MEDIA:')) {
      const uri = /URI="([^"]*)"/.exec(line)?.[1];
      if (uri) facts.attributeUris.push(uri);
    }
  }
  return facts;
}

/** Every key a playlist at `key` references (segments and init sections, or media playlists of a master). */
export function referencesOf(key: string, text: string): string[] {
  const facts = parsePlaylist(text);
  return [...facts.attributeUris, ...facts.uris].map((uri) => resolveKey(key, uri));
}

/** Resolves a relative URI against the key of the playlist that holds it ("360p/index.m3u8" + "seg_1.ts"). */
export function resolveKey(base: string, uri: string): string {
  const resolved = new URL(uri, `http://origin/${base}`);
  return decodeURIComponent(resolved.pathname.slice(1));
}

type Kind = 'probe' | 'master' | 'playlist' | 'media';

function kindOf(key: string): Kind {
  const name = key.slice(key.lastIndexOf('/') + 1);
  if (name.startsWith('.livepipe-probe-')) return 'probe';
  if (name.endsWith('.m3u8')) return key.includes('/') ? 'playlist' : 'master';
  return 'media';
}

function rungOf(key: string): string {
  return key.includes('/') ? key.slice(0, key.lastIndexOf('/')) : '';
}

const isAck = (r: LoggedRequest): boolean => r.endTime !== undefined && r.status !== undefined && r.status >= 200 && r.status < 300;

interface AckedPlaylist {
  index: number;
  time: number;
  text: string;
  facts: PlaylistFacts;
  refs: Set<string>;
}

/** Replays a request log and returns one line per broken invariant (see the file comment). */
export function checkPublishLog(requests: readonly LoggedRequest[], options: CheckOptions = {}): string[] {
  const prefix = options.prefix ?? '/';
  const recentMs = options.recentMs ?? 1000;
  const t0 = requests[0]?.time ?? 0;
  const violations: string[] = [];

  interface Entry { index: number; key: string; kind: Kind; req: LoggedRequest }
  const entries: Entry[] = [];
  requests.forEach((req, index) => {
    if (!req.path.startsWith(prefix)) return;
    const key = decodeURIComponent(req.path.slice(prefix.length));
    const kind = kindOf(key);
    if (kind !== 'probe') entries.push({ index, key, kind, req });
  });
  const label = (e: Entry): string => `#${e.index} ${e.req.method} ${e.key} at +${e.req.time - t0} ms`;

  // The timeline: arrivals, and acknowledgements of 2xx answers; ties go to the acknowledgement.
  type Event = { at: number; ack: boolean; entry: Entry };
  const events: Event[] = [];
  for (const entry of entries) {
    events.push({ at: entry.req.time, ack: false, entry });
    if (isAck(entry.req)) events.push({ at: entry.req.endTime!, ack: true, entry });
  }
  events.sort((x, y) => x.at - y.at || Number(y.ack) - Number(x.ack) || x.entry.index - y.entry.index);

  const objects = new Map<string, Buffer | string>();
  const latest = new Map<string, AckedPlaylist>();
  const history = new Map<string, AckedPlaylist[]>();
  const everAcked = new Set<string>();

  for (const { at, ack, entry } of events) {
    const { key, kind, req } = entry;
    if (!ack) {
      if (req.method === 'PUT' && kind === 'playlist') {
        // (a) everything a media playlist references is on the origin before the playlist is sent.
        const facts = parsePlaylist(req.body.toString('utf8'));
        for (const ref of referencesOf(key, req.body.toString('utf8'))) {
          if (objects.has(ref)) continue;
          const why = everAcked.has(ref) ? 'after it was deleted' : 'before it was acknowledged';
          violations.push(`(a) ${label(entry)} (media sequence ${facts.mediaSequence}) was sent ${why}: ${ref}`);
        }
      } else if (req.method === 'PUT' && kind === 'master') {
        // (d) the master goes out once every playlist it lists exists.
        for (const ref of referencesOf(key, req.body.toString('utf8'))) {
          if (!objects.has(ref)) violations.push(`(d) ${label(entry)} was sent before ${ref} was acknowledged`);
        }
      } else if (req.method === 'DELETE') {
        if (kind !== 'media') {
          violations.push(`(c) ${label(entry)}: a playlist must never be deleted during a stream`);
          continue;
        }
        const rung = rungOf(key);
        const current = latest.get(rung);
        if (current?.refs.has(key)) {
          violations.push(`(c) ${label(entry)}: still referenced by the latest acknowledged playlist of ${rung} (#${current.index}, media sequence ${current.facts.mediaSequence})`);
        } else if (recentMs > 0) {
          const recent = (history.get(rung) ?? []).find((p) => p.refs.has(key) && at - p.time < recentMs);
          if (recent) {
            violations.push(`(c) ${label(entry)}: referenced by a playlist of ${rung} acknowledged only ${at - recent.time} ms before (#${recent.index}, media sequence ${recent.facts.mediaSequence})`);
          }
        }
        // A playlist PUT in flight that references it would land pointing at nothing.
        for (const other of entries) {
          const r = other.req;
          if (other.kind !== 'playlist' || r.method !== 'PUT' || rungOf(other.key) !== rung || !isAck(r)) continue;
          if (r.time <= at && r.endTime! > at && referencesOf(other.key, r.body.toString('utf8')).includes(key)) {
            violations.push(`(c) ${label(entry)}: referenced by playlist PUT #${other.index}, in flight at the time`);
          }
        }
      }
      continue;
    }

    // Acknowledgements change the origin's state.
    if (req.method === 'DELETE') {
      objects.delete(key);
      continue;
    }
    if (req.method !== 'PUT') continue;
    objects.set(key, req.body);
    everAcked.add(key);
    if (kind !== 'playlist') continue;
    const text = req.body.toString('utf8');
    const playlist: AckedPlaylist = { index: entry.index, time: at, text, facts: parsePlaylist(text), refs: new Set(referencesOf(key, text)) };
    const rung = rungOf(key);
    const previous = latest.get(rung);
    if (previous) {
      // (b) nothing goes backwards.
      const [p, n] = [previous.facts, playlist.facts];
      if (n.mediaSequence < p.mediaSequence) {
        violations.push(`(b) ${label(entry)}: media sequence went back from ${p.mediaSequence} (#${previous.index}) to ${n.mediaSequence}`);
      } else if (n.mediaSequence === p.mediaSequence && n.uris.length < p.uris.length) {
        violations.push(`(b) ${label(entry)}: at media sequence ${n.mediaSequence} the playlist shrank from ${p.uris.length} to ${n.uris.length} segments (#${previous.index})`);
      }
      if (p.ended && text !== previous.text) {
        violations.push(`(b) ${label(entry)}: acknowledged after the final playlist with #EXT-X-ENDLIST (#${previous.index})`);
      }
    }
    latest.set(rung, playlist);
    history.set(rung, [...(history.get(rung) ?? []), playlist]);
  }

  const final = options.finalObjects ?? objects;
  violations.push(...checkTree(final, { expectEnded: options.expectEnded ?? false, exact: options.exact ?? false }));
  return violations;
}

export interface TreeOptions {
  /** Every media playlist must carry #EXT-X-ENDLIST. */
  expectEnded?: boolean;
  /** Objects that nothing references are reported. */
  exact?: boolean;
}

/**
 * (e) A stream's tree as it is on an origin (key → body, keys relative to the stream): the master,
 * every playlist it lists and every object those reference are present. Returns one line per problem.
 */
export function checkTree(objects: ReadonlyMap<string, Buffer | string>, options: TreeOptions = {}): string[] {
  const violations: string[] = [];
  const text = (key: string): string | undefined => {
    const body = objects.get(key);
    return body === undefined ? undefined : body.toString();
  };
  const master = text('master.m3u8');
  if (master === undefined) return ['(e) the origin has no master.m3u8'];
  const referenced = new Set(['master.m3u8']);
  for (const playlistKey of referencesOf('master.m3u8', master)) {
    referenced.add(playlistKey);
    const body = text(playlistKey);
    if (body === undefined) {
      violations.push(`(e) the master lists ${playlistKey}, which is not on the origin`);
      continue;
    }
    const facts = parsePlaylist(body);
    if (options.expectEnded && !facts.ended) violations.push(`(e) the final ${playlistKey} has no #EXT-X-ENDLIST`);
    if (facts.uris.length === 0) violations.push(`(e) the final ${playlistKey} lists no segment`);
    for (const ref of referencesOf(playlistKey, body)) {
      referenced.add(ref);
      if (!objects.has(ref)) violations.push(`(e) the final ${playlistKey} references ${ref}, which is not on the origin`);
    }
  }
  if (options.exact) {
    for (const key of objects.keys()) {
      if (!referenced.has(key) && kindOf(key) !== 'probe') violations.push(`(e) ${key} is left on the origin but nothing references it`);
    }
  }
  return violations;
}

/** The keys a stream's tree references (master, playlists and what they reference), sorted. */
export function referencedTree(objects: ReadonlyMap<string, Buffer | string>): string[] {
  const master = objects.get('master.m3u8');
  if (master === undefined) return [];
  const keys = new Set(['master.m3u8']);
  for (const playlistKey of referencesOf('master.m3u8', master.toString())) {
    keys.add(playlistKey);
    const body = objects.get(playlistKey);
    if (body !== undefined) for (const ref of referencesOf(playlistKey, body.toString())) keys.add(ref);
  }
  return [...keys].sort();
}

/** What a FaultOrigin holds under a prefix, as key → body (keys relative to the prefix, decoded). */
export function faultOriginObjects(origin: FaultOrigin, prefix: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const [p, object] of origin.objects) {
    if (p.startsWith(prefix)) out.set(decodeURIComponent(p.slice(prefix.length)), object.body);
  }
  return out;
}

/**
 * Checks a whole run against a FaultOrigin: the request log replayed (a)–(d), and (e) against what
 * the origin really holds at the end.
 */
export function checkFaultOrigin(origin: FaultOrigin, prefix: string, options: Omit<CheckOptions, 'prefix' | 'finalObjects'> = {}): string[] {
  return checkPublishLog(origin.requests, { ...options, prefix, finalObjects: faultOriginObjects(origin, prefix) });
}
