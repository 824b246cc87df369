import type { Cleanup } from './cleanup.js';

/** What every part of the benchmark gets. */
export interface BenchContext {
  cleanup: Cleanup;
  /** The benchmark's own temp folder (removed at the end); everything it writes goes under it. */
  root: string;
  /** Environment for children: TMPDIR points under root, so livepipe's own temp folders land there too. */
  childEnv: NodeJS.ProcessEnv;
  /** Repetitions of the (a)/(b) encode measurements. */
  reps: number;
  log(message: string): void;
  /** Waits (bounded) for the shared machine to be quiet before a measurement. */
  settle(): Promise<void>;
}
