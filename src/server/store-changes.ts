import type { StoredObject } from './object-store.js';

/** What happened to one key of an ObjectStore. */
export type StoreChange =
  | { kind: 'put'; key: string; object: StoredObject }
  | { kind: 'delete'; key: string };

export type StoreChangeListener = (change: StoreChange) => void;

/**
 * Change notification shared by the object stores: general listeners (e.g. a future LL-HLS
 * blocking playlist reload watching a playlist grow) and per-key waiters (hold a GET until an
 * object exists). Everything is callback based, so a waiting request costs no thread and no poll.
 */
export class StoreChanges {
  private readonly listeners = new Set<StoreChangeListener>();
  private readonly waiters = new Map<string, Set<(object: StoredObject) => void>>();

  /** Calls `listener` after every put and delete; returns the unsubscribe function. */
  subscribe(listener: StoreChangeListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  emit(change: StoreChange): void {
    if (change.kind === 'put') {
      const waiting = this.waiters.get(change.key);
      if (waiting) {
        this.waiters.delete(change.key);
        for (const wake of waiting) wake(change.object);
      }
    }
    for (const listener of [...this.listeners]) {
      try {
        listener(change);
      } catch {
        // A faulty listener must not break the store or the other listeners.
      }
    }
  }

  /**
   * Resolves with the object once `key` exists: at once if `lookup` finds it, else on the next put.
   * Rejects with `signal.reason` when the signal aborts (client gone, timeout, server stopping).
   * The waiter is registered before the lookup, so a put racing with the lookup is never missed.
   */
  waitFor(key: string, lookup: (key: string) => Promise<StoredObject | undefined>, signal: AbortSignal): Promise<StoredObject> {
    return new Promise<StoredObject>((resolve, reject) => {
      if (signal.aborted) {
        reject(signal.reason);
        return;
      }
      let settled = false;
      const cleanup = (): void => {
        settled = true;
        signal.removeEventListener('abort', onAbort);
        const waiting = this.waiters.get(key);
        waiting?.delete(wake);
        if (waiting?.size === 0) this.waiters.delete(key);
      };
      const wake = (object: StoredObject): void => {
        if (settled) return;
        cleanup();
        resolve(object);
      };
      const onAbort = (): void => {
        if (settled) return;
        cleanup();
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      let waiting = this.waiters.get(key);
      if (!waiting) this.waiters.set(key, (waiting = new Set()));
      waiting.add(wake);
      lookup(key).then(
        (found) => {
          if (found) wake(found);
        },
        (error: unknown) => {
          if (settled) return;
          cleanup();
          reject(error);
        },
      );
    });
  }

  /** Number of pending waiters (for tests and diagnostics). */
  get waiting(): number {
    let n = 0;
    for (const set of this.waiters.values()) n += set.size;
    return n;
  }
}
