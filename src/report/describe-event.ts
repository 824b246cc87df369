import { PipelineEvent, type EventRecord } from '../events.js';
import { formatBitrate, formatBytes, type Style } from './status-format.js';
import type { StatusSnapshot } from './stream-stats.js';

export interface LogLine {
  text: string;
  style: Style;
}

/**
 * The human log line(s) for one event, or undefined when the event only feeds the status line.
 * Per-segment chatter only with --verbose. `final` adds the per-rung bitrates to the summary.
 */
export function describeEvent(e: EventRecord, verbose: boolean, final?: StatusSnapshot): LogLine[] | undefined {
  const info = (text: string): LogLine[] => [{ text, style: 'plain' }];
  const warn = (text: string): LogLine[] => [{ text, style: 'warn' }];
  switch (e.event) {
    case PipelineEvent.Started:
      return [
        { text: `livepipe: publishing "${e.stream}" (${e.renditions.join(', ')}) to ${e.origin}`, style: 'bold' },
        ...(e.playerUrl ? [{ text: `  player: ${e.playerUrl}`, style: 'accent' as const }] : []),
        ...(e.streamUrl ? [{ text: `  stream: ${e.streamUrl}`, style: 'accent' as const }] : []),
        ...(e.metricsUrl ? [{ text: `  metrics: ${e.metricsUrl}`, style: 'plain' as const }] : []),
      ];
    case PipelineEvent.FfmpegStarted:
      return verbose ? info(`ffmpeg command:\n${e.command}`) : undefined;
    case PipelineEvent.SegmentPublished:
      return verbose ? info(`published ${e.key} (${e.bytes} bytes, ${e.latencyMs} ms)`) : undefined;
    case PipelineEvent.PlaylistPublished:
      return verbose || e.final ? info(`published ${e.key} (sequence ${e.mediaSequence}${e.final ? ', final' : ''})`) : undefined;
    case PipelineEvent.MasterPublished:
      return info(`published master.m3u8 (${e.renditions.join(', ')})`);
    case PipelineEvent.SegmentDeleted:
      return verbose ? info(`deleted ${e.key}`) : undefined;
    case PipelineEvent.Retry:
      return verbose ? info(`retry ${e.attempt} for ${e.key} in ${e.delayMs} ms: ${e.reason}`) : undefined;
    case PipelineEvent.OutageStart:
      return [{ text: `warning: origin unavailable (${e.reason}); retrying, the encoder keeps running`, style: 'bad' }];
    case PipelineEvent.OutageEnd:
      return [{ text: `origin back after ${(e.durationMs / 1000).toFixed(1)} s; publishing the newest state`, style: 'ok' }];
    case PipelineEvent.Restart:
      return warn(`warning: ffmpeg stopped (${e.reason}); restart ${e.attempt} in ${(e.delayMs / 1000).toFixed(1)} s`);
    case PipelineEvent.Warning:
      return warn(`warning: ${e.message}`);
    case PipelineEvent.Error:
      return [{ text: `error: ${e.message}`, style: 'bad' }];
    case PipelineEvent.Finished: {
      const rates = (final?.rungs ?? [])
        .filter((r) => r.bitrateBps !== undefined)
        .map((r) => `${r.name} ${formatBitrate(r.bitrateBps!)}`);
      const text = `finished: ${e.segments} segments, ${e.playlists} playlists, ${formatBytes(e.bytes)} published, `
        + `${e.retries} retries, ${e.restarts} restarts in ${e.durationSeconds.toFixed(1)} s`
        + (rates.length ? ` (${rates.join(', ')})` : '');
      return [{ text, style: e.exitCode === 0 ? 'ok' : 'bad' }];
    }
    case PipelineEvent.Progress:
      return undefined;
  }
}
