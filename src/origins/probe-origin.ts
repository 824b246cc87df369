import { randomBytes } from 'node:crypto';
import { RuntimeFailure } from '../errors.js';
import { OriginError, type Origin } from './origin.js';

/**
 * Checks that an origin accepts a write and a delete before a stream starts, by putting and then
 * deleting a small object `.livepipe-probe-<random>`. Throws RuntimeFailure with one line:
 *   "origin http://h/live/ refused the probe write: 403 Forbidden"
 *   "cannot reach origin http://h/live/: ECONNREFUSED"
 * An abort of `signal` rejects with the signal's reason instead.
 */
export async function probeOrigin(origin: Origin, signal?: AbortSignal): Promise<void> {
  const key = `.livepipe-probe-${randomBytes(6).toString('hex')}`;
  const body = Buffer.from(`livepipe origin probe ${new Date().toISOString()}\n`);
  try {
    await origin.put(key, body, { contentType: 'text/plain; charset=utf-8', cacheControl: 'no-store' }, signal);
  } catch (e) {
    throw probeFailure(origin, 'write', e, signal);
  }
  try {
    await origin.delete(key, signal);
  } catch (e) {
    throw probeFailure(origin, 'delete', e, signal);
  }
}

function probeFailure(origin: Origin, step: 'write' | 'delete', e: unknown, signal: AbortSignal | undefined): Error {
  if (signal?.aborted) return e instanceof Error ? e : new Error(String(e));
  const where = origin.description;
  if (e instanceof OriginError) {
    const detail = stripOperation(e.message);
    if (e.status !== undefined) return new RuntimeFailure(`origin ${where} refused the probe ${step}: ${detail}`);
    if (e.retryable) return new RuntimeFailure(`cannot reach origin ${where}: ${detail}`);
    return new RuntimeFailure(`origin ${where} failed the probe ${step}: ${detail}`);
  }
  const message = e instanceof Error ? e.message : String(e);
  return new RuntimeFailure(`origin ${where} failed the probe ${step}: ${message.split('\n')[0]}`);
}

/** Adapters word their errors "<METHOD> <key>: <detail>"; the probe key says nothing to a user. */
function stripOperation(message: string): string {
  return message.replace(/^(PUT|DELETE) \S+: /, '').split('\n')[0] ?? message;
}
