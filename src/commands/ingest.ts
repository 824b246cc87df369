import { EventBus } from '../events.js';
import type { SegmentFormat } from '../ffmpeg/hls-argv.js';
import type { IngestConfig } from '../ingest-config.js';
import { loadPreset } from '../ladder/preset-file.js';
import { runPipeline } from '../pipeline.js';
import { attachHumanReporter } from '../report/human-reporter.js';
import { attachJsonReporter } from '../report/json-reporter.js';
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

/** Runs ingest until the input ends, --duration passes, or a signal asks it to stop. Returns the exit code. */
export async function runIngest(flags: IngestFlags, fail: (line: string) => void): Promise<number> {
  const config = await resolveIngestConfig(flags);
  const bus = new EventBus();
  if (config.json) attachJsonReporter(bus);
  attachHumanReporter(bus, { verbose: config.verbose });

  const stop = new AbortController();
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    signals++;
    if (signals === 1) {
      process.stderr.write(`\nlivepipe: ${sig}: finishing the current segment and publishing the final playlists (again to stop at once)\n`);
      stop.abort();
    } else {
      process.stderr.write('livepipe: stopping at once\n');
      process.exit(130);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const result = await runPipeline(config, bus, stop.signal);
    if (result.reason) fail(result.reason);
    return result.exitCode;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
