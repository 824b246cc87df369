import { afterEach, describe, expect, it } from 'vitest';
import { EventBus, PipelineEvent } from '../../src/events.js';
import { attachPipelineMetrics } from '../../src/metrics/pipeline-metrics.js';
import { registerProcessMetrics } from '../../src/metrics/process-metrics.js';
import { CONTENT_TYPE, Registry } from '../../src/metrics/registry.js';
import { startMetricsServer, type MetricsServer } from '../../src/metrics/server.js';
import { StreamStats } from '../../src/report/stream-stats.js';
import { parseExposition, value } from './prom-parse.js';

const servers: MetricsServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe('Registry', () => {
  it('renders counters, gauges and histograms in the text format', () => {
    const r = new Registry();
    const c = r.counter('x_total', 'A counter.');
    const g = r.gauge('y', 'A gauge\nwith a newline.');
    const h = r.histogram('z_seconds', 'A histogram.', [0.1, 1, 0.5]);
    c.inc({ rung: '720p' });
    c.inc({ rung: '720p' }, 2);
    c.inc({ rung: 'a"b\\c\nd' });
    g.set({}, 1.5);
    h.observe({ kind: 'segment' }, 0.05);
    h.observe({ kind: 'segment' }, 0.7);
    h.observe({ kind: 'segment' }, 3);
    const text = r.render();
    expect(text).toContain('# HELP y A gauge\\nwith a newline.\n# TYPE y gauge\ny 1.5\n');
    expect(text).toContain('x_total{rung="720p"} 3\n');
    expect(text).toContain('x_total{rung="a\\"b\\\\c\\nd"} 1\n');
    expect(text).toContain([
      'z_seconds_bucket{kind="segment",le="0.1"} 1',
      'z_seconds_bucket{kind="segment",le="0.5"} 1',
      'z_seconds_bucket{kind="segment",le="1"} 2',
      'z_seconds_bucket{kind="segment",le="+Inf"} 3',
      'z_seconds_sum{kind="segment"} 3.75',
      'z_seconds_count{kind="segment"} 3',
    ].join('\n'));
    const parsed = parseExposition(text);
    expect(value(parsed, 'x_total', { rung: 'a"b\\c\nd' })).toBe(1);
    expect(parsed.types.get('z_seconds')).toBe('histogram');
  });

  it('rejects bad names, duplicate metrics and counters going down', () => {
    const r = new Registry();
    expect(() => r.counter('bad-name', 'x')).toThrow(/invalid metric name/);
    r.gauge('dup', 'x');
    expect(() => r.gauge('dup', 'x')).toThrow(/twice/);
    const c = r.counter('c_total', 'x');
    expect(() => c.inc({}, -1)).toThrow();
    expect(() => c.inc({ 'bad-label': 'x' })).toThrow(/invalid label/);
  });

  it('runs collectors at render time and survives a failing one', () => {
    const r = new Registry();
    const g = r.gauge('now_value', 'x');
    let n = 0;
    r.onCollect(() => g.set({}, ++n));
    r.onCollect(() => {
      throw new Error('broken');
    });
    expect(r.render()).toContain('now_value 1\n');
    expect(r.render()).toContain('now_value 2\n');
  });
});

describe('pipeline metrics', () => {
  it('follows the EventBus and serves /metrics on 127.0.0.1', async () => {
    const bus = new EventBus();
    const stats = new StreamStats();
    bus.onEvent((e) => stats.apply(e));
    const registry = new Registry();
    registerProcessMetrics(registry);
    attachPipelineMetrics(bus, registry, stats);
    const server = await startMetricsServer(0, registry);
    servers.push(server);
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);

    bus.emit(PipelineEvent.Started, { stream: 'live', origin: 'http://o/live/', out: '/none', renditions: ['720p', '360p'] });
    bus.emit(PipelineEvent.Progress, { speed: 1.5, fps: 45, outTimeSeconds: 3, frame: 90 });
    bus.emit(PipelineEvent.SegmentPublished, { rung: '720p', key: '720p/seg_0.ts', sequence: 0, bytes: 1000, latencyMs: 30 });
    bus.emit(PipelineEvent.SegmentPublished, { rung: '720p', key: '720p/seg_1.ts', sequence: 1, bytes: 3000, latencyMs: 700, durationSeconds: 2, programDateTime: new Date(Date.now() - 5000).toISOString() });
    bus.emit(PipelineEvent.PlaylistPublished, { rung: '720p', key: '720p/index.m3u8', mediaSequence: 0, segments: 2, final: false, latencyMs: 4 });
    bus.emit(PipelineEvent.Retry, { key: '720p/seg_2.ts', attempt: 1, delayMs: 100, reason: '503' });
    bus.emit(PipelineEvent.OutageStart, { origin: 'http://o/live/', reason: '503' });
    bus.emit(PipelineEvent.Error, { message: 'giving up' });
    bus.emit(PipelineEvent.Restart, { attempt: 1, delayMs: 500, reason: 'crash' });
    bus.emit(PipelineEvent.Warning, { message: 'slow', code: 'slow_origin' });
    bus.emit(PipelineEvent.Warning, { message: 'x' });
    bus.emit(PipelineEvent.SegmentDeleted, { rung: '720p', key: '720p/seg_0.ts' });

    const res = await fetch(server.url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(CONTENT_TYPE);
    const m = parseExposition(await res.text());
    const origin = { origin: 'http://o/live/' };
    expect(value(m, 'livepipe_stream_info', { stream: 'live', ...origin })).toBe(1);
    expect(value(m, 'livepipe_encoder_speed_ratio')).toBe(1.5);
    expect(value(m, 'livepipe_encoder_fps')).toBe(45);
    expect(value(m, 'livepipe_segments_published_total', { rung: '720p' })).toBe(2);
    expect(value(m, 'livepipe_segments_published_total', { rung: '360p' })).toBe(0);
    expect(value(m, 'livepipe_segment_bytes_published_total', { rung: '720p' })).toBe(4000);
    expect(value(m, 'livepipe_playlists_published_total', { rung: '720p' })).toBe(1);
    expect(value(m, 'livepipe_segments_deleted_total', { rung: '720p' })).toBe(1);
    expect(value(m, 'livepipe_publish_latency_seconds_bucket', { kind: 'segment', le: '0.05' })).toBe(1);
    expect(value(m, 'livepipe_publish_latency_seconds_bucket', { kind: 'segment', le: '1' })).toBe(2);
    expect(value(m, 'livepipe_publish_latency_seconds_count', { kind: 'segment' })).toBe(2);
    expect(value(m, 'livepipe_publish_latency_seconds_sum', { kind: 'segment' })).toBeCloseTo(0.73, 6);
    expect(value(m, 'livepipe_origin_retries_total', origin)).toBe(1);
    expect(value(m, 'livepipe_origin_errors_total', origin)).toBe(1);
    expect(value(m, 'livepipe_origin_outages_total', origin)).toBe(1);
    expect(value(m, 'livepipe_origin_up', origin)).toBe(0);
    expect(value(m, 'livepipe_ffmpeg_restarts_total')).toBe(1);
    expect(value(m, 'livepipe_warnings_total', { code: 'slow_origin' })).toBe(1);
    expect(value(m, 'livepipe_warnings_total', { code: 'other' })).toBe(1);
    expect(value(m, 'livepipe_rung_bitrate_bits_per_second', { rung: '720p' })).toBe(12000);
    expect(value(m, 'livepipe_live_edge_latency_seconds', { rung: '720p' })).toBeGreaterThan(2.9);
    expect(value(m, 'livepipe_live_edge_latency_seconds', { rung: '720p' })).toBeLessThan(10);
    expect(value(m, 'process_resident_memory_bytes')).toBeGreaterThan(0);

    bus.emit(PipelineEvent.OutageEnd, { origin: 'http://o/live/', durationMs: 10 });
    expect(value(parseExposition(await (await fetch(server.url)).text()), 'livepipe_origin_up', origin)).toBe(1);
    expect((await fetch(server.url.replace('/metrics', '/'))).status).toBe(404);
    expect((await fetch(server.url, { method: 'POST' })).status).toBe(405);
  });

  it('reports a port in use as one line', async () => {
    const first = await startMetricsServer(0, new Registry());
    servers.push(first);
    await expect(startMetricsServer(first.port, new Registry())).rejects.toThrow(`--metrics-port ${first.port} is already in use on 127.0.0.1`);
  });
});
