/**
 * Everything the benchmark starts or creates is registered here and undone at the end, on an
 * error, and on SIGINT/SIGTERM: process groups are killed, servers stopped, temp folders removed.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

type Task = { name: string; fn: () => Promise<void> | void };

export class Cleanup {
  private tasks: Task[] = [];
  private readonly groups = new Set<number>();
  private running: Promise<void> | undefined;

  /** Registers an undo step; returns a function that runs it now (and unregisters it). */
  add(name: string, fn: () => Promise<void> | void): () => Promise<void> {
    const task: Task = { name, fn };
    this.tasks.push(task);
    return async () => {
      const i = this.tasks.indexOf(task);
      if (i < 0) return;
      this.tasks.splice(i, 1);
      await fn();
    };
  }

  /** A process group (a child spawned with detached: true) that must not outlive the benchmark. */
  trackGroup(pgid: number): () => void {
    this.groups.add(pgid);
    return () => this.groups.delete(pgid);
  }

  /** Kills every tracked group with SIGKILL (only groups this benchmark created). */
  killGroups(): void {
    for (const pgid of this.groups) {
      try {
        process.kill(-pgid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    this.groups.clear();
  }

  /** A fresh folder under os.tmpdir(), removed at the end. */
  async tempDir(prefix: string): Promise<string> {
    const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
    this.add(`remove ${dir}`, () => rm(dir, { recursive: true, force: true }));
    return dir;
  }

  run(): Promise<void> {
    this.running ??= (async () => {
      this.killGroups();
      for (const task of this.tasks.splice(0).reverse()) {
        try {
          await task.fn();
        } catch (e) {
          process.stderr.write(`bench: cleanup "${task.name}" failed: ${(e as Error).message}\n`);
        }
      }
    })();
    return this.running;
  }
}
