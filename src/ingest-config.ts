import type { SegmentFormat } from './ffmpeg/hls-argv.js';
import type { Preset } from './ladder/rendition.js';
import type { InputSpec } from './source/input-spec.js';

/** Everything `ingest` needs, validated once from flags (and config file) into typed values. */
export interface IngestConfig {
  input: InputSpec;
  preset: Preset;
  /** `--origin` URL; undefined means the built-in origin. */
  origin: string | undefined;
  /** Output folder given by the user; undefined means a temporary one removed at the end. */
  out: string | undefined;
  segmentSeconds: number;
  window: number;
  format: SegmentFormat;
  durationSeconds: number | undefined;
  loop: boolean;
  realtime: boolean;
  name: string;
  json: boolean;
  port: number;
  host: string;
  headers: string[];
  s3Endpoint: string | undefined;
  keep: boolean;
  verbose: boolean;
  momentoWriteBps: number;
  momentoWriteOps: number;
  metricsPort: number | undefined;
  /** Restarts allowed within `restartWindowMs` before giving up (issue: survive failures). */
  maxRestarts: number;
}
