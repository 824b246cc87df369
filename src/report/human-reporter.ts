import { PipelineEvent, type EventBus, type EventRecord } from '../events.js';

export interface HumanReporterOptions {
  verbose: boolean;
  write?: (line: string) => void;
}

/** Plain log lines on stderr for people; the per-segment chatter only with --verbose. */
export function attachHumanReporter(bus: EventBus, opts: HumanReporterOptions): () => void {
  const write = opts.write ?? ((l: string) => process.stderr.write(`${l}\n`));
  return bus.onEvent((e) => {
    const line = describe(e, opts.verbose);
    if (line) write(line);
  });
}

function describe(e: EventRecord, verbose: boolean): string | undefined {
  switch (e.event) {
    case PipelineEvent.Started:
      return [
        `livepipe: publishing "${e.stream}" (${e.renditions.join(', ')}) to ${e.origin}`,
        ...(e.playerUrl ? [`  player: ${e.playerUrl}`] : []),
        ...(e.streamUrl ? [`  stream: ${e.streamUrl}`] : []),
      ].join('\n');
    case PipelineEvent.FfmpegStarted:
      return verbose ? `ffmpeg command:\n${e.command}` : undefined;
    case PipelineEvent.SegmentPublished:
      return verbose ? `published ${e.key} (${e.bytes} bytes, ${e.latencyMs} ms)` : undefined;
    case PipelineEvent.PlaylistPublished:
      return verbose || e.final ? `published ${e.key} (sequence ${e.mediaSequence}${e.final ? ', final' : ''})` : undefined;
    case PipelineEvent.MasterPublished:
      return `published master.m3u8 (${e.renditions.join(', ')})`;
    case PipelineEvent.SegmentDeleted:
      return verbose ? `deleted ${e.key}` : undefined;
    case PipelineEvent.Retry:
      return verbose ? `retry ${e.attempt} for ${e.key} in ${e.delayMs} ms: ${e.reason}` : undefined;
    case PipelineEvent.OutageStart:
      return `warning: origin unavailable (${e.reason}); retrying, the encoder keeps running`;
    case PipelineEvent.OutageEnd:
      return `origin back after ${(e.durationMs / 1000).toFixed(1)} s; publishing the newest state`;
    case PipelineEvent.Restart:
      return `warning: ffmpeg stopped (${e.reason}); restart ${e.attempt} in ${(e.delayMs / 1000).toFixed(1)} s`;
    case PipelineEvent.Warning:
      return `warning: ${e.message}`;
    case PipelineEvent.Error:
      return `error: ${e.message}`;
    case PipelineEvent.Finished:
      return `finished: ${e.segments} segments, ${e.playlists} playlists, ${(e.bytes / 1e6).toFixed(1)} MB published, ${e.retries} retries, ${e.restarts} restarts in ${e.durationSeconds.toFixed(1)} s`;
    case PipelineEvent.Progress:
      return undefined;
  }
}
