import { PipelineEvent, type EventRecord } from '../events.js';
import type { MediaPlaylist } from '../check/m3u8.js';
import { parseDateTime } from '../check/m3u8.js';

/**
 * The state of a running stream as the reporters see it, built only from events (and the text of
 * the media playlists livepipe published). Pure: time is passed in, nothing is read or written, so
 * every number on the status line and in /metrics can be unit-tested.
 */

export interface StreamStatsOptions {
  /** The input is read at its native rate (or is live): speed below 1 means falling behind. Default true. */
  realtime?: boolean;
  /** Segment length, for the slow-origin warning; else taken from the playlists' target duration. */
  segmentSeconds?: number;
  /** Speed below this, sustained for `behindForMs`, is "falling behind real time". */
  behindBelow?: number;
  behindForMs?: number;
  /** Publish latency p95 at or above this share of the segment length is "slow origin". */
  slowOriginShare?: number;
}

export interface RungStatus {
  name: string;
  segments: number;
  bytes: number;
  /** Bytes of published segments × 8 / their media seconds; undefined until a duration is known. */
  bitrateBps: number | undefined;
  /** now − PROGRAM-DATE-TIME end of the newest published segment. */
  liveEdgeSeconds: number | undefined;
}

export interface StatusSnapshot {
  started: boolean;
  finished: boolean;
  stream: string | undefined;
  elapsedSeconds: number;
  mediaSeconds: number;
  /** Encoder speed as a multiple of real time, measured over the last few seconds. */
  speed: number | undefined;
  fps: number | undefined;
  /** Known total of media seconds (file input without --loop, or --duration). */
  totalSeconds: number | undefined;
  /** 0..1 when totalSeconds is known. */
  fraction: number | undefined;
  etaSeconds: number | undefined;
  rungs: RungStatus[];
  segments: number;
  bytes: number;
  publishP95Ms: number | undefined;
  retries: number;
  errors: number;
  restarts: number;
  origin: 'ok' | 'outage';
  outageSeconds: number | undefined;
  /** The largest live-edge latency over the rungs. */
  liveEdgeSeconds: number | undefined;
  behind: boolean;
  slowOrigin: boolean;
  segmentSeconds: number | undefined;
}

interface ProgressSample {
  t: number;
  out: number;
  frame: number;
}

interface SegmentInfo {
  bytes?: number;
  duration?: number;
  startMs?: number;
  counted?: boolean;
}

interface RungState {
  segments: number;
  bytes: number;
  countedBytes: number;
  countedSeconds: number;
  /** By segment key (`<rung>/<uri>`). */
  byKey: Map<string, SegmentInfo>;
  /** Segment key by media sequence number, from playlists. */
  keyBySequence: Map<number, string>;
  newestPublishedSequence: number | undefined;
}

const SPEED_WINDOW_MS = 5_000;
const MIN_SPEED_SPAN_MS = 2_000;
const STALE_PROGRESS_MS = 3_000;
const LATENCY_SAMPLES = 30;
const MAX_TRACKED_SEGMENTS = 400;

export class StreamStats {
  private readonly opts: Required<Omit<StreamStatsOptions, 'segmentSeconds'>> & { segmentSeconds: number | undefined };
  private startedAt: number | undefined;
  private finishedAt: number | undefined;
  private stream: string | undefined;
  private totalSeconds: number | undefined;
  private mediaSeconds = 0;
  private reportedSpeed: number | undefined;
  private reportedFps: number | undefined;
  private samples: ProgressSample[] = [];
  private belowSince: number | undefined;
  private readonly rungs = new Map<string, RungState>();
  private readonly latencies: number[] = [];
  private retries = 0;
  private errors = 0;
  private restarts = 0;
  private outageSince: number | undefined;
  private targetDuration: number | undefined;

  constructor(opts: StreamStatsOptions = {}) {
    this.opts = {
      realtime: opts.realtime ?? true,
      segmentSeconds: opts.segmentSeconds,
      behindBelow: opts.behindBelow ?? 0.95,
      behindForMs: opts.behindForMs ?? 5_000,
      slowOriginShare: opts.slowOriginShare ?? 0.8,
    };
  }

  /** Feeds one event; `now` defaults to the event's own time. */
  apply(e: EventRecord, now = Date.parse(e.time)): void {
    switch (e.event) {
      case PipelineEvent.Started:
        this.startedAt = now;
        this.stream = e.stream;
        this.totalSeconds = e.durationSeconds;
        for (const r of e.renditions) this.rung(r);
        return;
      case PipelineEvent.Progress:
        return this.progress(e.outTimeSeconds, e.frame, e.speed, e.fps, now);
      case PipelineEvent.SegmentPublished: {
        const rung = this.rung(e.rung);
        rung.segments++;
        rung.bytes += e.bytes;
        const info = this.info(rung, e.key);
        info.bytes = e.bytes;
        if (e.durationSeconds !== undefined) info.duration = e.durationSeconds;
        if (e.programDateTime !== undefined) info.startMs = parseDateTime(e.programDateTime);
        if (e.durationSeconds !== undefined && e.sequence >= 0) rung.keyBySequence.set(e.sequence, e.key);
        this.count(rung, info);
        this.latencies.push(e.latencyMs);
        if (this.latencies.length > LATENCY_SAMPLES) this.latencies.shift();
        return;
      }
      case PipelineEvent.PlaylistPublished: {
        const rung = this.rung(e.rung);
        if (e.segments > 0) {
          const newest = e.mediaSequence + e.segments - 1;
          rung.newestPublishedSequence = Math.max(rung.newestPublishedSequence ?? newest, newest);
        }
        return;
      }
      case PipelineEvent.Retry:
        this.retries++;
        return;
      case PipelineEvent.Error:
        this.errors++;
        return;
      case PipelineEvent.Restart:
        this.restarts++;
        return;
      case PipelineEvent.OutageStart:
        this.outageSince ??= now;
        return;
      case PipelineEvent.OutageEnd:
        this.outageSince = undefined;
        return;
      case PipelineEvent.Finished:
        this.finishedAt = now;
        this.outageSince = undefined;
        return;
      default:
        return;
    }
  }

  /**
   * What a media playlist says about its segments (durations, PROGRAM-DATE-TIME), for the
   * actual bitrate and the live-edge latency. `rung` is the playlist's folder.
   */
  addPlaylist(rungName: string, playlist: MediaPlaylist): void {
    const rung = this.rung(rungName);
    if (playlist.targetDuration) this.targetDuration = playlist.targetDuration;
    for (const s of playlist.segments) {
      const key = `${rungName}/${s.uri}`;
      const info = this.info(rung, key);
      if (Number.isFinite(s.duration)) info.duration = s.duration;
      if (s.startMs !== undefined) info.startMs = s.startMs;
      rung.keyBySequence.set(s.sequence, key);
      this.count(rung, info);
    }
    this.prune(rung);
  }

  snapshot(now: number): StatusSnapshot {
    const finished = this.finishedAt !== undefined;
    const end = this.finishedAt ?? now;
    const { speed, fps } = this.speedAt(now);
    const rungs = [...this.rungs.entries()].map(([name, r]) => this.rungStatus(name, r, end));
    const edges = rungs.map((r) => r.liveEdgeSeconds).filter((v): v is number => v !== undefined);
    const total = this.totalSeconds;
    const fraction = total ? Math.min(1, this.mediaSeconds / total) : undefined;
    const eta = total && speed && speed > 0 ? Math.max(0, (total - this.mediaSeconds) / speed) : undefined;
    const segmentSeconds = this.opts.segmentSeconds ?? this.targetDuration;
    const p95 = percentile(this.latencies, 0.95);
    const behind = !finished && this.opts.realtime && this.belowSince !== undefined && now - this.belowSince >= this.opts.behindForMs;
    const stale = this.lastSample() !== undefined && now - this.lastSample()!.t > STALE_PROGRESS_MS;
    // No progress at all for a while (ffmpeg stuck or restarting) is falling behind too, unless it has simply reached the end.
    const reachedEnd = total !== undefined && this.mediaSeconds >= total - 1;
    const staleBehind = !finished && !reachedEnd && this.opts.realtime && stale && now - this.lastSample()!.t >= this.opts.behindForMs;
    const slowOrigin = !finished && segmentSeconds !== undefined && p95 !== undefined && this.latencies.length >= 3
      && p95 >= this.opts.slowOriginShare * segmentSeconds * 1000;
    return {
      started: this.startedAt !== undefined,
      finished,
      stream: this.stream,
      elapsedSeconds: this.startedAt === undefined ? 0 : Math.max(0, (end - this.startedAt) / 1000),
      mediaSeconds: this.mediaSeconds,
      speed,
      fps,
      totalSeconds: total,
      fraction,
      etaSeconds: finished ? 0 : eta,
      rungs,
      segments: rungs.reduce((n, r) => n + r.segments, 0),
      bytes: rungs.reduce((n, r) => n + r.bytes, 0),
      publishP95Ms: p95,
      retries: this.retries,
      errors: this.errors,
      restarts: this.restarts,
      origin: this.outageSince === undefined ? 'ok' : 'outage',
      outageSeconds: this.outageSince === undefined ? undefined : (now - this.outageSince) / 1000,
      liveEdgeSeconds: edges.length ? Math.max(...edges) : undefined,
      behind: behind || staleBehind,
      slowOrigin,
      segmentSeconds,
    };
  }

  private progress(out: number, frame: number, speed: number, fps: number, now: number): void {
    if (out > this.mediaSeconds) this.mediaSeconds = out;
    this.reportedSpeed = speed;
    this.reportedFps = fps;
    // ffmpeg's own speed and fps are averages since it started; the status line wants "now".
    // The first sample of a process (out_time 0) is start-up time, not encoding speed: skip it.
    if (out <= 0) return;
    const last = this.lastSample();
    if (last && (frame < last.frame || out < last.out)) this.samples = []; // a restarted ffmpeg counts frames from 0
    this.samples.push({ t: now, out, frame });
    while (this.samples.length > 2 && this.samples[1]!.t <= now - SPEED_WINDOW_MS) this.samples.shift();
    const windowed = this.windowedSpeed();
    if (windowed === undefined) return;
    if (windowed < this.opts.behindBelow) this.belowSince ??= now;
    else this.belowSince = undefined;
  }

  private windowedSpeed(): number | undefined {
    const first = this.samples[0];
    const last = this.lastSample();
    if (!first || !last || last.t - first.t < MIN_SPEED_SPAN_MS) return undefined;
    return (last.out - first.out) / ((last.t - first.t) / 1000);
  }

  private speedAt(now: number): { speed: number | undefined; fps: number | undefined } {
    if (this.finishedAt !== undefined) return { speed: this.reportedSpeed, fps: this.reportedFps };
    const last = this.lastSample();
    if (last && now - last.t > STALE_PROGRESS_MS) return { speed: 0, fps: 0 };
    const first = this.samples[0];
    const speed = this.windowedSpeed();
    if (speed === undefined || !first || !last) return { speed: this.reportedSpeed, fps: this.reportedFps };
    return { speed, fps: (last.frame - first.frame) / ((last.t - first.t) / 1000) };
  }

  private lastSample(): ProgressSample | undefined {
    return this.samples[this.samples.length - 1];
  }

  private rung(name: string): RungState {
    let r = this.rungs.get(name);
    if (!r) {
      r = { segments: 0, bytes: 0, countedBytes: 0, countedSeconds: 0, byKey: new Map(), keyBySequence: new Map(), newestPublishedSequence: undefined };
      this.rungs.set(name, r);
    }
    return r;
  }

  private info(rung: RungState, key: string): SegmentInfo {
    let info = rung.byKey.get(key);
    if (!info) {
      info = {};
      rung.byKey.set(key, info);
    }
    return info;
  }

  /** A segment counts toward the bitrate once both its bytes and its duration are known. */
  private count(rung: RungState, info: SegmentInfo): void {
    if (info.counted || info.bytes === undefined || info.duration === undefined || !(info.duration > 0)) return;
    info.counted = true;
    rung.countedBytes += info.bytes;
    rung.countedSeconds += info.duration;
  }

  private prune(rung: RungState): void {
    if (rung.keyBySequence.size <= MAX_TRACKED_SEGMENTS) return;
    const sequences = [...rung.keyBySequence.keys()].sort((a, b) => a - b);
    for (const seq of sequences.slice(0, sequences.length - MAX_TRACKED_SEGMENTS)) {
      const key = rung.keyBySequence.get(seq)!;
      rung.keyBySequence.delete(seq);
      rung.byKey.delete(key);
    }
  }

  private rungStatus(name: string, r: RungState, now: number): RungStatus {
    let liveEdgeSeconds: number | undefined;
    if (r.newestPublishedSequence !== undefined) {
      const key = r.keyBySequence.get(r.newestPublishedSequence);
      const info = key === undefined ? undefined : r.byKey.get(key);
      if (info?.startMs !== undefined && info.duration !== undefined) {
        liveEdgeSeconds = Math.max(0, (now - (info.startMs + info.duration * 1000)) / 1000);
      }
    }
    return {
      name,
      segments: r.segments,
      bytes: r.bytes,
      bitrateBps: r.countedSeconds > 0 ? (r.countedBytes * 8) / r.countedSeconds : undefined,
      liveEdgeSeconds,
    };
  }
}

/** Nearest-rank percentile; undefined for no samples. */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil(p * sorted.length));
  return sorted[rank - 1];
}
