import { PipelineEvent, type EventBus } from '../events.js';
import type { StreamStats } from '../report/stream-stats.js';
import type { Registry } from './registry.js';

/** Publish latency buckets, in seconds: from a local folder (ms) to a struggling remote origin (s). */
export const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16];

/**
 * Registers the ingest metrics on `registry` and keeps them up to date from the EventBus.
 * Values that depend on the time of the scrape (live-edge latency, actual bitrate, speed) are read
 * from `stats` when /metrics is requested.
 */
export function attachPipelineMetrics(bus: EventBus, registry: Registry, stats: StreamStats, now: () => number = Date.now): () => void {
  const info = registry.gauge('livepipe_stream_info', 'The stream being published (always 1), labelled with its name and origin.');
  const speed = registry.gauge('livepipe_encoder_speed_ratio', 'Encoder speed as a multiple of real time, over the last few seconds.');
  const fps = registry.gauge('livepipe_encoder_fps', 'Frames encoded per second, over the last few seconds.');
  const media = registry.gauge('livepipe_encoded_media_seconds', 'Seconds of media encoded so far.');
  const segments = registry.counter('livepipe_segments_published_total', 'Segments acknowledged by the origin.');
  const bytes = registry.counter('livepipe_segment_bytes_published_total', 'Bytes of segments acknowledged by the origin.');
  const playlists = registry.counter('livepipe_playlists_published_total', 'Media playlists published.');
  const deleted = registry.counter('livepipe_segments_deleted_total', 'Segments deleted from the origin after leaving the window.');
  const latency = registry.histogram('livepipe_publish_latency_seconds', 'Time from a file being complete on disk to the origin acknowledging it.', LATENCY_BUCKETS);
  const bitrate = registry.gauge('livepipe_rung_bitrate_bits_per_second', 'Actual bitrate of a rung: bytes of published segments × 8 / their media seconds.');
  const edge = registry.gauge('livepipe_live_edge_latency_seconds', 'Now minus the PROGRAM-DATE-TIME end of the newest published segment.');
  const retries = registry.counter('livepipe_origin_retries_total', 'Origin requests retried.');
  const errors = registry.counter('livepipe_origin_errors_total', 'Errors: uploads given up on, playlists not published.');
  const outages = registry.counter('livepipe_origin_outages_total', 'Times the origin became unavailable.');
  const up = registry.gauge('livepipe_origin_up', '1 while the origin accepts writes, 0 during an outage.');
  const restarts = registry.counter('livepipe_ffmpeg_restarts_total', 'ffmpeg restarts after a crash or a stall.');
  const warnings = registry.counter('livepipe_warnings_total', 'Warnings, by code (falling_behind, slow_origin, other).');
  restarts.touch();

  let origin = 'unknown';
  const o = () => ({ origin });

  registry.onCollect(() => {
    const snap = stats.snapshot(now());
    if (snap.speed !== undefined) speed.set({}, snap.speed);
    if (snap.fps !== undefined) fps.set({}, snap.fps);
    media.set({}, snap.mediaSeconds);
    for (const r of snap.rungs) {
      if (r.bitrateBps !== undefined) bitrate.set({ rung: r.name }, r.bitrateBps);
      if (r.liveEdgeSeconds !== undefined) edge.set({ rung: r.name }, r.liveEdgeSeconds);
    }
  });

  return bus.onEvent((e) => {
    switch (e.event) {
      case PipelineEvent.Started:
        origin = e.origin;
        info.set({ stream: e.stream, origin }, 1);
        up.set(o(), 1);
        retries.touch(o());
        errors.touch(o());
        outages.touch(o());
        for (const rung of e.renditions) {
          segments.touch({ rung });
          bytes.touch({ rung });
          playlists.touch({ rung });
        }
        return;
      case PipelineEvent.SegmentPublished:
        segments.inc({ rung: e.rung });
        bytes.inc({ rung: e.rung }, e.bytes);
        latency.observe({ kind: 'segment' }, e.latencyMs / 1000);
        return;
      case PipelineEvent.PlaylistPublished:
        playlists.inc({ rung: e.rung });
        latency.observe({ kind: 'playlist' }, e.latencyMs / 1000);
        return;
      case PipelineEvent.SegmentDeleted:
        deleted.inc({ rung: e.rung });
        return;
      case PipelineEvent.Retry:
        retries.inc(o());
        return;
      case PipelineEvent.Error:
        errors.inc(o());
        return;
      case PipelineEvent.OutageStart:
        outages.inc({ origin: e.origin });
        up.set({ origin: e.origin }, 0);
        return;
      case PipelineEvent.OutageEnd:
        up.set({ origin: e.origin }, 1);
        return;
      case PipelineEvent.Restart:
        restarts.inc();
        return;
      case PipelineEvent.Warning:
        warnings.inc({ code: e.code ?? 'other' });
        return;
      default:
        return;
    }
  });
}
