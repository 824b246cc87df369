import { setTimeout as sleep } from 'node:timers/promises';
import type { Finding } from './finding.js';
import { probeFirstVideoPacket, type FirstVideoPacket } from './keyframes.js';
import {
  parsePlaylist, PlaylistSyntaxError,
  type MediaPlaylist, type Playlist, type Variant,
} from './m3u8.js';
import { displayName, resolveUri, Resources, toUrl } from './resource.js';
import { checkMediaPlaylist, checkVariantAttributes, hasVideoCodec, isLive, isVideoVariant } from './playlist-rules.js';

export { checkMediaPlaylist, checkVariantAttributes };

/**
 * `livepipe check`: validates a published HLS stream as a CDN and a player see it. Works on any
 * HLS stream (not only livepipe's), from http(s) URLs or local paths. Every finding is one line.
 */

export interface CheckOptions {
  /** ffprobe binary for the keyframe checks; undefined skips them with a warning. */
  ffprobe?: string | undefined;
  /** Per-request timeout (default 10 s). */
  timeoutMs?: number;
  /** Segments per rendition checked for reachability, newest first (default 100). */
  maxSegments?: number;
  /** First wait before re-fetching live playlists, from their target duration in s (default 1× target duration). */
  advanceWaitMs?: (targetDuration: number) => number;
  /** Called with each finding as soon as it is known (to print as it goes). */
  onFinding?: (f: Finding) => void;
  cwd?: string;
}

interface Loaded {
  label: string;
  url: string;
  variant: Variant | undefined;
  /** Video renditions take part in the keyframe checks. */
  video: boolean;
  playlist: MediaPlaylist;
  frameRate: number | undefined;
}

const PLAYLIST_TYPES = ['application/vnd.apple.mpegurl', 'audio/mpegurl', 'application/x-mpegurl', 'audio/x-mpegurl'];

export async function checkStream(ref: string, opts: CheckOptions = {}): Promise<Finding[]> {
  const findings: Finding[] = [];
  const add = (f: Finding) => {
    findings.push(f);
    opts.onFinding?.(f);
  };
  const resources = new Resources(opts.timeoutMs ?? 10_000);
  const root = toUrl(ref, opts.cwd);

  const master = await resources.get(root);
  if (!master.ok || !master.body) {
    add({ status: 'fail', what: `${ref}: not reachable (${master.reason ?? 'empty'})`, fix: 'check the URL or path of the master playlist' });
    return findings;
  }
  checkContentType(ref, master.contentType, add);
  let parsed: Playlist;
  try {
    parsed = parsePlaylist(master.body.toString('utf8'));
  } catch (e) {
    if (!(e instanceof PlaylistSyntaxError)) throw e;
    add({ status: 'fail', what: `${ref}: not an HLS playlist (${e.message})` });
    return findings;
  }

  const wanted: Array<{ label: string; url: string; video: boolean; variant?: Variant }> = [];
  if (parsed.kind === 'master') {
    if (parsed.variants.length === 0) {
      add({ status: 'fail', what: `${ref}: master playlist lists no variant streams` });
      return findings;
    }
    add({ status: 'ok', what: `master playlist ${ref}: ${parsed.variants.length} variant stream${parsed.variants.length === 1 ? '' : 's'}` });
    for (const v of parsed.variants) {
      const url = resolveUri(root, v.uri);
      const label = displayName(url, root);
      for (const f of checkVariantAttributes(label, v)) add(f);
      if (!wanted.some((w) => w.url === url)) wanted.push({ label, url, video: isVideoVariant(v), variant: v });
    }
    for (const m of parsed.media) {
      if (!m.uri) continue;
      const url = resolveUri(root, m.uri);
      if (!wanted.some((w) => w.url === url)) wanted.push({ label: displayName(url, root), url, video: false });
    }
  } else {
    add({ status: 'warn', what: `${ref} is a media playlist, not a master playlist: checking it as a single rendition`, fix: 'give the master playlist to check the whole ladder' });
    wanted.push({ label: displayName(root, root), url: root, video: true });
  }

  const loaded: Loaded[] = [];
  for (const w of wanted) {
    let playlist: MediaPlaylist;
    if (w.url === root && parsed.kind === 'media') {
      playlist = parsed;
    } else {
      const res = await resources.get(w.url);
      if (!res.ok || !res.body) {
        add({ status: 'fail', what: `${w.label}: playlist not reachable (${res.reason ?? 'empty'})`, fix: 'publish every playlist the master lists' });
        continue;
      }
      checkContentType(w.label, res.contentType, add);
      let p: Playlist;
      try {
        p = parsePlaylist(res.body.toString('utf8'));
      } catch (e) {
        add({ status: 'fail', what: `${w.label}: not an HLS playlist (${(e as Error).message})` });
        continue;
      }
      if (p.kind !== 'media') {
        add({ status: 'fail', what: `${w.label}: is a master playlist where a media playlist was expected` });
        continue;
      }
      playlist = p;
    }
    for (const f of checkMediaPlaylist(w.label, playlist)) add(f);
    const frameRate = w.variant ? Number(w.variant.attributes.get('FRAME-RATE')) || undefined : undefined;
    loaded.push({ label: w.label, url: w.url, variant: w.variant, video: w.video, playlist, frameRate });
    await checkSegmentsReachable(resources, loaded[loaded.length - 1]!, opts.maxSegments ?? 100, add);
  }

  await checkKeyframes(resources, loaded.filter((l) => l.video && l.playlist.segments.length > 0), opts.ffprobe, add);
  await checkAdvancing(resources, loaded, opts, add);
  return findings;
}

async function checkSegmentsReachable(resources: Resources, l: Loaded, max: number, add: (f: Finding) => void): Promise<void> {
  const segments = l.playlist.segments.slice(-max);
  if (segments.length === 0) return;
  const maps = [...new Set(segments.map((s) => s.map).filter((m): m is string => m !== undefined))];
  const uris = [...maps, ...segments.map((s) => s.uri)];
  const results = await mapLimit(uris, 8, async (uri) => ({ uri, res: await resources.reachable(resolveUri(l.url, uri)) }));
  const missing = results.filter((r) => !r.res.ok);
  const scope = l.playlist.segments.length > segments.length ? ` (the newest ${segments.length} of ${l.playlist.segments.length})` : '';
  if (missing.length) {
    const list = missing.slice(0, 3).map((m) => `${m.uri} (${m.res.reason ?? 'error'})`).join(', ');
    add({
      status: 'fail',
      what: `${l.label}: ${missing.length} of ${uris.length} files it lists are not reachable${scope}: ${list}${missing.length > 3 ? ', …' : ''}`,
      fix: 'a playlist must only be published after every segment it lists is on the origin',
    });
  } else {
    add({ status: 'ok', what: `${l.label}: all ${segments.length} segments${maps.length ? ` and ${maps.length} init section${maps.length > 1 ? 's' : ''}` : ''} reachable${scope}` });
  }
}

/** The newest segment of every video rendition starts with a keyframe, at the same time in each (within one frame). */
async function checkKeyframes(resources: Resources, videos: Loaded[], ffprobe: string | undefined, add: (f: Finding) => void): Promise<void> {
  if (videos.length === 0) return;
  if (!ffprobe) {
    add({ status: 'warn', what: 'keyframes not checked: ffprobe not found', fix: 'install ffmpeg (it includes ffprobe) or set LIVEPIPE_FFPROBE' });
    return;
  }
  // Compare the same segment everywhere: the newest media sequence number every rendition lists.
  const common = videos
    .map((v) => new Set(v.playlist.segments.map((s) => s.sequence)))
    .reduce((acc, set) => new Set([...acc].filter((n) => set.has(n))));
  const sequence = common.size ? Math.max(...common) : undefined;
  if (sequence === undefined && videos.length > 1) {
    add({ status: 'warn', what: 'no media sequence number is listed by every rendition: comparing each one\'s newest segment' });
  }
  const probes: Array<{ v: Loaded; uri: string; packet: FirstVideoPacket }> = [];
  for (const v of videos) {
    const segment = (sequence !== undefined ? v.playlist.segments.find((s) => s.sequence === sequence) : undefined) ?? v.playlist.segments[v.playlist.segments.length - 1]!;
    const body = await resources.get(resolveUri(v.url, segment.uri));
    if (!body.ok || !body.body) continue; // already reported as unreachable (or deleted since: the window moved)
    let init: Buffer | undefined;
    if (segment.map) {
      const m = await resources.get(resolveUri(v.url, segment.map));
      if (!m.ok || !m.body) continue;
      init = m.body;
    }
    let packet: FirstVideoPacket | undefined;
    try {
      packet = await probeFirstVideoPacket(ffprobe, body.body, init, extensionOf(segment.uri));
    } catch (e) {
      const reason = (e as NodeJS.ErrnoException).code === 'ENOENT' ? `${ffprobe} not found` : (e as Error).message;
      add({ status: 'fail', what: `${v.label}: cannot read ${segment.uri} as media: ${reason}` });
      continue;
    }
    if (!packet) {
      if (v.variant && hasVideoCodec(v.variant)) {
        add({ status: 'fail', what: `${v.label}: ${segment.uri} has no video although CODECS lists a video codec` });
      } else {
        add({ status: 'ok', what: `${v.label}: ${segment.uri} has no video: no keyframe checks` });
      }
      continue;
    }
    if (!packet.keyframe) {
      add({
        status: 'fail',
        what: `${v.label}: ${segment.uri} does not start with a keyframe${packet.decodable ? '' : ' (its video cannot even be identified: no SPS before the first frame)'}`,
        fix: 'force keyframes on segment boundaries (-force_key_frames "expr:gte(t,n_forced*SEG)" -sc_threshold 0)',
      });
    } else {
      add({ status: 'ok', what: `${v.label}: ${segment.uri} starts with a keyframe at ${packet.ptsSeconds.toFixed(3)} s` });
    }
    probes.push({ v, uri: segment.uri, packet: { ...packet, frameRate: packet.frameRate ?? v.frameRate } });
  }
  if (probes.length < 2) return;
  const ref = probes[0]!;
  const frame = 1 / (ref.packet.frameRate ?? 30);
  const off = probes.filter((p) => Math.abs(p.packet.ptsSeconds - ref.packet.ptsSeconds) >= frame - 1e-6);
  const which = sequence !== undefined ? `segment #${sequence}` : 'the newest segments';
  if (off.length) {
    const worst = off.reduce((a, b) => (Math.abs(b.packet.ptsSeconds - ref.packet.ptsSeconds) > Math.abs(a.packet.ptsSeconds - ref.packet.ptsSeconds) ? b : a));
    const delta = worst.packet.ptsSeconds - ref.packet.ptsSeconds;
    add({
      status: 'fail',
      what: `keyframes not aligned across renditions: ${which} starts at ${ref.packet.ptsSeconds.toFixed(3)} s in ${ref.v.label} but at ${worst.packet.ptsSeconds.toFixed(3)} s in ${worst.v.label} (${Math.round(Math.abs(delta) / frame)} frames apart)`,
      fix: 'encode every rung on one keyframe grid (one ffmpeg, forced keyframes by time, no scene-cut keyframes); players glitch when switching',
    });
  } else {
    const spread = Math.max(...probes.map((p) => p.packet.ptsSeconds)) - Math.min(...probes.map((p) => p.packet.ptsSeconds));
    add({ status: 'ok', what: `keyframes aligned: ${which} starts within ${(spread * 1000).toFixed(0)} ms in all ${probes.length} video renditions (one frame is ${(frame * 1000).toFixed(1)} ms)` });
  }
}

/** Live playlists must grow: re-fetched after about a target duration, the media sequence or the segment count has moved on. */
async function checkAdvancing(resources: Resources, loaded: Loaded[], opts: CheckOptions, add: (f: Finding) => void): Promise<void> {
  const live = loaded.filter((l) => isLive(l.playlist));
  if (live.length === 0) {
    if (loaded.length) add({ status: 'ok', what: 'every playlist has ended (EXT-X-ENDLIST or VOD): not checking that it advances' });
    return;
  }
  const td = Math.max(1, ...live.map((l) => l.playlist.targetDuration ?? 1));
  const first = opts.advanceWaitMs ? opts.advanceWaitMs(td) : td * 1000;
  let pending = live;
  let waited = 0;
  for (const wait of [first, first / 2]) {
    await sleep(wait);
    waited += wait;
    const still: Loaded[] = [];
    for (const l of pending) {
      const res = await resources.get(l.url);
      let now: Playlist | undefined;
      try {
        now = res.ok && res.body ? parsePlaylist(res.body.toString('utf8')) : undefined;
      } catch {
        now = undefined;
      }
      if (!now || now.kind !== 'media') {
        add({ status: 'fail', what: `${l.label}: playlist not reachable when fetched again (${res.reason ?? 'not a media playlist'})` });
        continue;
      }
      const before = newestSequence(l.playlist);
      const after = newestSequence(now);
      if (after < before || now.mediaSequence < l.playlist.mediaSequence) {
        add({ status: 'fail', what: `${l.label}: media sequence went backwards (#${before} → #${after})`, fix: 'players stop or repeat: keep numbering across encoder restarts' });
      } else if (after > before || now.endList) {
        add({ status: 'ok', what: `${l.label}: live playlist advanced from #${before} to #${after} in ${(waited / 1000).toFixed(1)} s${now.endList ? ' (and ended)' : ''}` });
      } else {
        still.push(l);
      }
    }
    pending = still;
    if (pending.length === 0) return;
  }
  for (const l of pending) {
    add({
      status: 'fail',
      what: `${l.label}: live playlist did not advance in ${(waited / 1000).toFixed(1)} s (still #${newestSequence(l.playlist)}, ${l.playlist.segments.length} segments, no EXT-X-ENDLIST)`,
      fix: 'the encoder or the publisher has stopped: players will stall at the live edge',
    });
  }
}

function checkContentType(label: string, contentType: string | undefined, add: (f: Finding) => void): void {
  if (contentType === undefined) return; // files
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  if (!PLAYLIST_TYPES.includes(type)) {
    add({ status: 'warn', what: `${label}: served as ${type || 'no Content-Type'}`, fix: 'serve playlists as application/vnd.apple.mpegurl (some players and CDNs depend on it)' });
  }
}




function newestSequence(p: MediaPlaylist): number {
  return p.mediaSequence + p.segments.length - 1;
}


function extensionOf(uri: string): string {
  const m = /(\.[a-z0-9]{1,5})(?:[?#].*)?$/i.exec(uri);
  return m?.[1] ?? '.ts';
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  });
  await Promise.all(workers);
  return out;
}
