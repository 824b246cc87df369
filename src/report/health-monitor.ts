import { PipelineEvent, type EventBus } from '../events.js';
import type { StatusSnapshot, StreamStats } from './stream-stats.js';
import { formatClock } from './status-format.js';

export type HealthCode = 'falling_behind' | 'slow_origin';

/** A warning to raise when a condition starts, or undefined. Pure: the monitor below owns the timer. */
export function healthWarnings(s: StatusSnapshot): Array<{ code: HealthCode; message: string }> {
  const out: Array<{ code: HealthCode; message: string }> = [];
  if (s.behind) {
    const speed = s.speed !== undefined ? `${s.speed.toFixed(2)}× real time` : 'no progress';
    out.push({ code: 'falling_behind', message: `falling behind real time: the encoder runs at ${speed} (at ${formatClock(s.elapsedSeconds)}); use a lighter preset or fewer rungs` });
  }
  if (s.slowOrigin && s.publishP95Ms !== undefined && s.segmentSeconds !== undefined) {
    out.push({
      code: 'slow_origin',
      message: `slow origin: publish latency p95 ${Math.round(s.publishP95Ms)} ms is close to the ${s.segmentSeconds} s segment length; viewers will stall`,
    });
  }
  return out;
}

export interface HealthMonitorOptions {
  intervalMs?: number;
  /** The same warning is not repeated more often than this. */
  repeatAfterMs?: number;
  now?: () => number;
}

/**
 * Checks the stream once a second and emits a Warning event (with a `code`) when it starts falling
 * behind real time or the origin gets slow, so that --json, /metrics and the terminal all see it.
 */
export function attachHealthMonitor(bus: EventBus, stats: StreamStats, opts: HealthMonitorOptions = {}): () => void {
  const now = opts.now ?? Date.now;
  const active = new Set<HealthCode>();
  const lastRaised = new Map<HealthCode, number>();
  const check = () => {
    const snap = stats.snapshot(now());
    if (!snap.started || snap.finished) return;
    const current = healthWarnings(snap);
    for (const code of [...active]) if (!current.some((w) => w.code === code)) active.delete(code);
    for (const w of current) {
      if (active.has(w.code)) continue;
      active.add(w.code);
      const last = lastRaised.get(w.code);
      if (last !== undefined && now() - last < (opts.repeatAfterMs ?? 30_000)) continue;
      lastRaised.set(w.code, now());
      bus.emit(PipelineEvent.Warning, { message: w.message, code: w.code });
    }
  };
  const timer = setInterval(check, opts.intervalMs ?? 1_000);
  timer.unref();
  const off = bus.onEvent((e) => {
    if (e.event === PipelineEvent.Finished) clearInterval(timer);
  });
  return () => {
    clearInterval(timer);
    off();
  };
}
