import { EventEmitter } from 'node:events';

/** Every event livepipe reports; `--json` prints each as one line with `event` set to this value. */
export enum PipelineEvent {
  Started = 'started',
  FfmpegStarted = 'ffmpeg_started',
  Progress = 'progress',
  SegmentPublished = 'segment_published',
  PlaylistPublished = 'playlist_published',
  MasterPublished = 'master_published',
  SegmentDeleted = 'segment_deleted',
  Retry = 'retry',
  OutageStart = 'outage_start',
  OutageEnd = 'outage_end',
  Restart = 'restart',
  Warning = 'warning',
  Error = 'error',
  Finished = 'finished',
}

export interface EventPayloads {
  [PipelineEvent.Started]: {
    stream: string; origin: string; playerUrl?: string; streamUrl?: string; out: string; renditions: string[];
    /** Seconds of media this run will encode when known (a file without --loop, or --duration); drives the progress bar. */
    durationSeconds?: number;
    /** `--metrics-port`: where Prometheus metrics are served. */
    metricsUrl?: string;
  };
  [PipelineEvent.FfmpegStarted]: { argv: string[]; command: string; pid: number | undefined };
  [PipelineEvent.Progress]: { speed: number; fps: number; outTimeSeconds: number; frame: number };
  [PipelineEvent.SegmentPublished]: {
    rung: string; key: string; sequence: number; bytes: number; latencyMs: number;
    /** EXTINF of the segment, when the publisher knows it (else the reporters read it from the playlist). */
    durationSeconds?: number;
    /** EXT-X-PROGRAM-DATE-TIME of the segment's start, ISO 8601, when the publisher knows it. */
    programDateTime?: string;
  };
  [PipelineEvent.PlaylistPublished]: { rung: string; key: string; mediaSequence: number; segments: number; final: boolean; latencyMs: number };
  [PipelineEvent.MasterPublished]: { key: string; renditions: string[] };
  [PipelineEvent.SegmentDeleted]: { rung: string; key: string };
  [PipelineEvent.Retry]: { key: string; attempt: number; delayMs: number; reason: string };
  [PipelineEvent.OutageStart]: { origin: string; reason: string };
  [PipelineEvent.OutageEnd]: { origin: string; durationMs: number };
  [PipelineEvent.Restart]: { attempt: number; delayMs: number; reason: string };
  [PipelineEvent.Warning]: {
    message: string;
    /** Machine-readable kind for warnings raised by the health checks: `falling_behind`, `slow_origin`. */
    code?: string;
  };
  [PipelineEvent.Error]: { message: string };
  [PipelineEvent.Finished]: { exitCode: number; segments: number; playlists: number; bytes: number; retries: number; restarts: number; durationSeconds: number };
}

export type EventRecord = { [K in PipelineEvent]: { event: K; time: string } & EventPayloads[K] }[PipelineEvent];

/** A typed event bus the stages report through; reporters (JSON, terminal, metrics) listen. */
export class EventBus {
  private readonly emitter = new EventEmitter();

  emit<K extends PipelineEvent>(event: K, payload: EventPayloads[K]): void {
    this.emitter.emit('event', { event, time: new Date().toISOString(), ...payload } as EventRecord);
  }

  onEvent(listener: (record: EventRecord) => void): () => void {
    this.emitter.on('event', listener);
    return () => this.emitter.off('event', listener);
  }
}
