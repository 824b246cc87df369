import type { Finding } from './finding.js';
import { exceedsTargetDuration, type MediaPlaylist, type Variant } from './m3u8.js';

/** The rules a single playlist must satisfy on its own; pure, so each is unit-testable. */

const VIDEO_CODEC = /^(avc[13]|hvc1|hev1|av01|vp0?9|vp08|dvh[1e]|dva[1v])/i;

/** BANDWIDTH, RESOLUTION and CODECS must be there; AVERAGE-BANDWIDTH and FRAME-RATE should. */
export function checkVariantAttributes(label: string, v: Variant): Finding[] {
  const out: Finding[] = [];
  const a = v.attributes;
  const video = isVideoVariant(v);
  const bandwidth = a.get('BANDWIDTH');
  if (bandwidth === undefined) {
    out.push({ status: 'fail', what: `${label}: EXT-X-STREAM-INF has no BANDWIDTH`, fix: 'RFC 8216 requires the peak bitrate; players pick variants by it' });
  } else if (!/^\d+$/.test(bandwidth) || Number(bandwidth) === 0) {
    out.push({ status: 'fail', what: `${label}: BANDWIDTH=${bandwidth} is not a positive whole number of bits per second` });
  }
  const codecs = a.get('CODECS');
  if (codecs === undefined || codecs.trim() === '') {
    out.push({ status: 'fail', what: `${label}: EXT-X-STREAM-INF has no CODECS`, fix: 'list every codec (e.g. CODECS="avc1.4d401f,mp4a.40.2") so players can tell whether they can decode it' });
  }
  const resolution = a.get('RESOLUTION');
  if (resolution === undefined) {
    if (video) out.push({ status: 'fail', what: `${label}: EXT-X-STREAM-INF has no RESOLUTION`, fix: 'add RESOLUTION=<width>x<height> to video variants; players cap the size by it' });
  } else if (!/^\d+x\d+$/.test(resolution)) {
    out.push({ status: 'fail', what: `${label}: RESOLUTION=${resolution} is not of the form 1280x720` });
  }
  const average = a.get('AVERAGE-BANDWIDTH');
  if (average === undefined) {
    out.push({ status: 'warn', what: `${label}: no AVERAGE-BANDWIDTH`, fix: 'add the average bitrate so players start on the right variant' });
  } else if (!/^\d+$/.test(average)) {
    out.push({ status: 'fail', what: `${label}: AVERAGE-BANDWIDTH=${average} is not a whole number` });
  }
  const frameRate = a.get('FRAME-RATE');
  if (frameRate === undefined) {
    if (video) out.push({ status: 'warn', what: `${label}: no FRAME-RATE`, fix: 'add FRAME-RATE so players can skip variants they cannot render smoothly' });
  } else if (!(Number(frameRate) > 0)) {
    out.push({ status: 'fail', what: `${label}: FRAME-RATE=${frameRate} is not a positive number` });
  }
  if (out.length === 0) {
    const shown = ['BANDWIDTH', 'AVERAGE-BANDWIDTH', 'RESOLUTION', 'FRAME-RATE', 'CODECS']
      .filter((k) => a.has(k))
      .map((k) => (k === 'CODECS' ? `${k}="${a.get(k)}"` : `${k}=${a.get(k)}`));
    out.push({ status: 'ok', what: `${label}: ${shown.join(' ')}` });
  }
  return out;
}

/** Target duration against every EXTINF (RFC 8216 4.3.3.1), PROGRAM-DATE-TIME, segments present. */
export function checkMediaPlaylist(label: string, p: MediaPlaylist): Finding[] {
  const out: Finding[] = [];
  const live = isLive(p);
  const kind = live ? (p.playlistType === 'EVENT' ? 'live EVENT' : 'live') : p.playlistType === 'VOD' ? 'VOD' : 'ended';
  if (p.segments.length === 0) {
    out.push({ status: live ? 'warn' : 'fail', what: `${label}: ${kind} playlist lists no segments` });
    return out;
  }
  const td = p.targetDuration;
  const bad = p.segments.filter((s) => !Number.isFinite(s.duration) || s.duration < 0);
  if (bad.length) out.push({ status: 'fail', what: `${label}: ${bad.length} segment(s) with a missing or malformed EXTINF (first: ${bad[0]!.uri})` });
  if (td === undefined) {
    out.push({ status: 'fail', what: `${label}: no EXT-X-TARGETDURATION`, fix: 'RFC 8216 requires it; players time their playlist reloads by it' });
  } else {
    const over = p.segments.filter((s) => Number.isFinite(s.duration) && exceedsTargetDuration(s.duration, td));
    const longest = Math.max(...p.segments.map((s) => (Number.isFinite(s.duration) ? s.duration : 0)));
    if (over.length) {
      const first = over[0]!;
      out.push({
        status: 'fail',
        what: `${label}: EXTINF ${first.duration} of ${first.uri} rounds to ${Math.round(first.duration)}, above EXT-X-TARGETDURATION ${td}${over.length > 1 ? ` (${over.length} segments)` : ''}`,
        fix: 'the target duration must be at least every EXTINF rounded to the nearest integer (RFC 8216 4.3.3.1)',
      });
    } else {
      out.push({ status: 'ok', what: `${label}: ${kind}, ${p.segments.length} segments from #${p.segments[0]!.sequence}, EXT-X-TARGETDURATION ${td} ≥ every EXTINF (longest ${longest.toFixed(3)})` });
    }
  }
  const withPdt = p.segments.filter((s) => s.programDateTime !== undefined);
  if (withPdt.length === 0) {
    out.push({
      status: live ? 'fail' : 'warn',
      what: `${label}: no EXT-X-PROGRAM-DATE-TIME`,
      fix: 'add it (ffmpeg: -hls_flags program_date_time) so players can sync renditions and measure latency',
    });
  } else if (p.segments[0]!.programDateTime === undefined) {
    out.push({ status: 'warn', what: `${label}: EXT-X-PROGRAM-DATE-TIME does not start at the first segment (${withPdt.length} of ${p.segments.length} have one)` });
  } else if (withPdt.some((s) => s.startMs === undefined)) {
    out.push({ status: 'fail', what: `${label}: unreadable EXT-X-PROGRAM-DATE-TIME "${withPdt.find((s) => s.startMs === undefined)!.programDateTime}"` });
  } else {
    out.push({ status: 'ok', what: `${label}: EXT-X-PROGRAM-DATE-TIME present (newest segment ends ${newestEnd(p)})` });
  }
  return out;
}

export function isLive(p: MediaPlaylist): boolean {
  return !p.endList && p.playlistType !== 'VOD';
}

/** Video unless CODECS says otherwise. */
export function isVideoVariant(v: Variant): boolean {
  return !v.attributes.get('CODECS') || hasVideoCodec(v);
}

export function hasVideoCodec(v: Variant): boolean {
  return (v.attributes.get('CODECS') ?? '').split(',').some((c) => VIDEO_CODEC.test(c.trim()));
}

function newestEnd(p: MediaPlaylist): string {
  const last = p.segments[p.segments.length - 1]!;
  if (last.startMs === undefined) return 'unknown';
  return new Date(last.startMs + last.duration * 1000).toISOString();
}
