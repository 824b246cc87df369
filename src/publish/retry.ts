import { setTimeout as sleep } from 'node:timers/promises';
import { OriginError } from '../origins/origin.js';

export interface RetryPolicy {
  baseDelayMs: number;
  maxDelayMs: number;
  /** Attempts before giving up; Infinity for live objects that must eventually land. */
  maxAttempts: number;
  /** Longest Retry-After honoured, so a hostile header cannot park the stream. */
  maxRetryAfterMs: number;
}

export const LIVE_RETRY: RetryPolicy = { baseDelayMs: 200, maxDelayMs: 5_000, maxAttempts: Infinity, maxRetryAfterMs: 60_000 };
export const DELETE_RETRY: RetryPolicy = { baseDelayMs: 500, maxDelayMs: 10_000, maxAttempts: 6, maxRetryAfterMs: 60_000 };

export interface RetryHooks {
  signal?: AbortSignal | undefined;
  onFailure?: (error: OriginError, attempt: number, delayMs: number) => void;
  onSuccess?: () => void;
  /**
   * Resolves when waiting out the backoff is no longer useful (the origin answered another request
   * after an outage): the next attempt is made at once. Not used to cut short a Retry-After.
   */
  wake?: () => Promise<void>;
}

/** Exponential backoff with jitter; Retry-After wins when the origin sends one. Non-retryable errors stop at once. */
export async function withRetry<T>(policy: RetryPolicy, hooks: RetryHooks, attempt: (signal: AbortSignal | undefined) => Promise<T>): Promise<T> {
  for (let n = 1; ; n++) {
    hooks.signal?.throwIfAborted();
    try {
      const value = await attempt(hooks.signal);
      hooks.onSuccess?.();
      return value;
    } catch (e) {
      if (hooks.signal?.aborted) throw hooks.signal.reason;
      const error = e instanceof OriginError ? e : new OriginError((e as Error).message ?? String(e), true);
      if (!error.retryable || n >= policy.maxAttempts) throw error;
      const delay = backoffDelay(policy, n, error.retryAfterMs);
      hooks.onFailure?.(error, n, delay);
      await backoff(delay, hooks, error.retryAfterMs === undefined);
    }
  }
}

/** Sleeps `delayMs` (rejecting on abort), or less when `hooks.wake` resolves first and `wakeable`. */
async function backoff(delayMs: number, hooks: RetryHooks, wakeable: boolean): Promise<void> {
  if (!wakeable || !hooks.wake) {
    await sleep(delayMs, undefined, hooks.signal ? { signal: hooks.signal } : undefined);
    return;
  }
  const timer = new AbortController();
  const signal = hooks.signal ? AbortSignal.any([hooks.signal, timer.signal]) : timer.signal;
  try {
    await Promise.race([sleep(delayMs, undefined, { signal }), hooks.wake()]);
  } catch (e) {
    if (hooks.signal?.aborted) throw e;
  } finally {
    timer.abort();
  }
  hooks.signal?.throwIfAborted();
}

export function backoffDelay(policy: RetryPolicy, attempt: number, retryAfterMs?: number): number {
  if (retryAfterMs !== undefined) return Math.min(retryAfterMs, policy.maxRetryAfterMs);
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  // "Equal jitter": never less than half the step, so a crowd of retries spreads out without hammering.
  return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
}
