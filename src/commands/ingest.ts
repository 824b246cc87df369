import { EventBus, PipelineEvent, type EventPayloads } from '../events.js';
import type { SegmentFormat } from '../ffmpeg/hls-argv.js';
import type { IngestConfig } from '../ingest-config.js';
import { loadPreset } from '../ladder/preset-file.js';
import { runPipeline } from '../pipeline.js';
import { attachHumanReporter } from '../report/human-reporter.js';
import { attachJsonReporter } from '../report/json-reporter.js';
import { attachHealthMonitor } from '../report/health-monitor.js';
import { attachStreamStats } from '../report/playlist-tap.js';
import { StreamStats } from '../report/stream-stats.js';
import { attachPipelineMetrics } from '../metrics/pipeline-metrics.js';
import { registerProcessMetrics } from '../metrics/process-metrics.js';
import { Registry } from '../metrics/registry.js';
import { startMetricsServer, type MetricsServer } from '../metrics/server.js';
import { environmentNotes } from '../config/env-notes.js';
import { parseInput } from '../source/input-spec.js';
import { UsageError } from '../errors.js';
import { parseHeaderFlag } from '../origins/create-origin.js';

/** The flags as commander hands them over (already value-checked by the option parsers). */
export interface IngestFlags {
  input?: string;
  preset: string;
  origin?: string;
  out?: string;
  segment: number;
  window: number;
  format: SegmentFormat;
  duration?: number;
  loop?: boolean;
  realtime: boolean;
  name: string;
  json?: boolean;
  port: number;
  header?: string[];
  s3Endpoint?: string;
  keep?: boolean;
  verbose?: boolean;
  momentoWriteBps: number;
  momentoWriteOps: number;
  metricsPort?: number;
  maxRestarts: number;
  /** `--config <file>` (read by the CLI before these flags are final). */
  config?: string;
}

/** Flags → typed config; every problem is a UsageError (exit 2) before anything starts. */
export async function resolveIngestConfig(flags: IngestFlags): Promise<IngestConfig> {
  if (!flags.input) throw new UsageError('--input is required (a camera such as /dev/video0, a file, a URL, testsrc or -)');
  const input = parseInput(flags.input);
  if (flags.loop && input.kind !== 'file') throw new UsageError('--loop applies only to file input');
  const headers = flags.header ?? [];
  headers.forEach(parseHeaderFlag);
  return {
    input,
    preset: await loadPreset(flags.preset),
    origin: flags.origin,
    out: flags.out,
    segmentSeconds: flags.segment,
    window: flags.window,
    format: flags.format,
    durationSeconds: flags.duration,
    loop: Boolean(flags.loop),
    realtime: flags.realtime,
    name: flags.name,
    json: Boolean(flags.json),
    port: flags.port,
    host: '127.0.0.1',
    headers,
    s3Endpoint: flags.s3Endpoint,
    keep: Boolean(flags.keep),
    verbose: Boolean(flags.verbose),
    momentoWriteBps: flags.momentoWriteBps,
    momentoWriteOps: flags.momentoWriteOps,
    metricsPort: flags.metricsPort,
    maxRestarts: flags.maxRestarts,
  };
}

/** Adds the metrics URL, which only ingest knows, to the Started event the pipeline emits. */
class IngestEventBus extends EventBus {
  startedExtras: Partial<EventPayloads[PipelineEvent.Started]> = {};

  override emit<K extends PipelineEvent>(event: K, payload: EventPayloads[K]): void {
    super.emit(event, event === PipelineEvent.Started ? ({ ...payload, ...this.startedExtras } as EventPayloads[K]) : payload);
  }
}

/** Runs ingest until the input ends, --duration passes, or a signal asks it to stop. Returns the exit code. */
export async function runIngest(flags: IngestFlags, fail: (line: string) => void): Promise<number> {
  const config = await resolveIngestConfig(flags);
  for (const note of environmentNotes(flags)) process.stderr.write(`livepipe: ${note}\n`);
  const bus = new IngestEventBus();

  // One model of the stream feeds the status line, the health warnings and /metrics.
  const stats = new StreamStats({ realtime: config.realtime, segmentSeconds: config.segmentSeconds });
  const detach: Array<() => void> = [attachStreamStats(bus, stats)];
  let metrics: MetricsServer | undefined;
  if (config.metricsPort !== undefined) {
    const registry = new Registry();
    registerProcessMetrics(registry);
    detach.push(attachPipelineMetrics(bus, registry, stats));
    metrics = await startMetricsServer(config.metricsPort, registry);
    bus.startedExtras.metricsUrl = metrics.url;
  }
  if (config.json) detach.push(attachJsonReporter(bus));
  // JSON lines on the same terminal would break the status line's redraws: plain lines then.
  const human = attachHumanReporter(bus, { verbose: config.verbose, stats, statusLine: !(config.json && process.stdout.isTTY) });
  detach.push(human);
  detach.push(attachHealthMonitor(bus, stats));

  const stop = new AbortController();
  const kill = new AbortController();
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    signals++;
    if (signals === 1) {
      human.log(`livepipe: ${sig}: finishing the current segment and publishing the final playlists (again to stop at once)`);
      stop.abort();
    } else {
      human.log('livepipe: stopping at once');
      kill.abort();
      process.exit(130);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const result = await runPipeline(config, bus, stop.signal, kill.signal);
    if (result.reason) fail(result.reason);
    return result.exitCode;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    for (const d of detach.reverse()) d();
    await metrics?.close();
  }
}
