import { setTimeout as sleep } from 'node:timers/promises';
import { EventBus, PipelineEvent } from '../events.js';
import { metaForKey } from '../origins/object-meta.js';
import type { Origin, OriginError } from '../origins/origin.js';
import { Limiter } from './limiter.js';
import { DELETE_RETRY, LIVE_RETRY, type RetryPolicy, withRetry } from './retry.js';

export interface PublishStats {
  segments: number;
  playlists: number;
  bytes: number;
  retries: number;
  deletes: number;
  failedDeletes: number;
}

/**
 * The origin as the publisher sees it: retried writes, a bounded number in flight, and an origin
 * state (up / in an outage) reported once per change rather than once per failed request.
 */
export class OriginWriter {
  readonly stats: PublishStats = { segments: 0, playlists: 0, bytes: 0, retries: 0, deletes: 0, failedDeletes: 0 };
  private readonly segmentSlots: Limiter;
  private outageSince: number | undefined;
  /** Keys the origin answered with Retry-After: no request for them before this time (Date.now()). */
  private readonly holdUntil = new Map<string, number>();
  private failuresSinceSuccess = 0;
  private firstFailureAt: number | undefined;
  /** Resolved (and replaced) when an outage ends, so that retries waiting out their backoff go at once. */
  private recovered = deferred();

  constructor(
    readonly origin: Origin,
    private readonly events: EventBus,
    maxInFlight: number,
    private readonly retry: RetryPolicy = LIVE_RETRY,
  ) {
    this.segmentSlots = new Limiter(maxInFlight);
  }

  get inOutage(): boolean {
    return this.outageSince !== undefined;
  }

  /** Segments share a bounded pool so that many rungs cannot flood the origin at once. */
  putSegment(key: string, body: Buffer, signal: AbortSignal): Promise<void> {
    return this.segmentSlots.run(() => this.put(key, body, signal));
  }

  /** Playlists skip the segment queue: they are small and what players wait on. */
  async put(key: string, body: Buffer, signal?: AbortSignal): Promise<void> {
    // A newer version of an object (a playlist) must not jump the Retry-After its key was just given.
    const holdMs = (this.holdUntil.get(key) ?? 0) - Date.now();
    if (holdMs > 0) await sleep(holdMs, undefined, signal ? { signal } : undefined);
    const meta = metaForKey(key);
    try {
      await withRetry(this.retry, this.hooks(key, signal), (s) => this.origin.put(key, body, meta, s));
    } finally {
      if ((this.holdUntil.get(key) ?? 0) <= Date.now()) this.holdUntil.delete(key);
    }
    this.stats.bytes += body.length;
  }

  async delete(key: string): Promise<boolean> {
    try {
      await withRetry(DELETE_RETRY, this.hooks(key, undefined), (s) => this.origin.delete(key, s));
      this.stats.deletes++;
      return true;
    } catch (e) {
      this.stats.failedDeletes++;
      this.events.emit(PipelineEvent.Warning, { message: `could not delete ${key}: ${(e as Error).message}` });
      return false;
    }
  }

  private hooks(key: string, signal: AbortSignal | undefined) {
    return {
      signal,
      wake: () => this.recovered.promise,
      onFailure: (error: OriginError, attempt: number, delayMs: number) => {
        this.stats.retries++;
        if (error.retryAfterMs !== undefined) this.holdUntil.set(key, Date.now() + delayMs);
        this.firstFailureAt ??= Date.now();
        // One failed request (a stale keep-alive socket right after recovery, one 429) is a retry, not an
        // outage: the origin is reported down from the second failure without a success in between.
        if (this.outageSince === undefined && ++this.failuresSinceSuccess >= 2) {
          this.outageSince = this.firstFailureAt;
          this.events.emit(PipelineEvent.OutageStart, { origin: this.origin.description, reason: error.message });
        }
        this.events.emit(PipelineEvent.Retry, { key, attempt, delayMs, reason: error.message });
      },
      onSuccess: () => {
        this.failuresSinceSuccess = 0;
        this.firstFailureAt = undefined;
        if (this.outageSince === undefined) return;
        const durationMs = Date.now() - this.outageSince;
        this.outageSince = undefined;
        this.events.emit(PipelineEvent.OutageEnd, { origin: this.origin.description, durationMs });
        // The origin answers again: what waits out a backoff of up to LIVE_RETRY.maxDelayMs goes now,
        // so the newest playlist is published about as soon as the origin is back.
        this.recovered.resolve();
        this.recovered = deferred();
      },
    };
  }
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}
