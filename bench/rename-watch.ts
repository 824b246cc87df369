/**
 * An independent observer of ffmpeg's output folder (inotify through fs.watch, in the benchmark's
 * own process): the time each segment was renamed into place (seg_N.ts.tmp → seg_N.ts), to see
 * how much of the end-to-end latency the events' own clock (which starts after livepipe's watcher
 * noticed the file and read it) leaves out.
 */
import { existsSync, readdirSync, watch, type FSWatcher } from 'node:fs';
import path from 'node:path';

const SEGMENT = /^seg_(\d+)\.(ts|m4s)$/;

export class RenameWatcher {
  private readonly watchers = new Map<string, FSWatcher>();
  /** `${rung}/${sequence}` → epoch ms of the first event naming the final file (its rename into place). */
  readonly renamedAt = new Map<string, number>();

  start(outDir: string): void {
    this.watchDir(outDir, (name) => {
      const dir = path.join(outDir, name);
      if (!name.includes('.') && existsSync(dir)) this.watchRung(dir, name);
    });
    try {
      for (const e of readdirSync(outDir, { withFileTypes: true })) if (e.isDirectory()) this.watchRung(path.join(outDir, e.name), e.name);
    } catch {
      /* removed already */
    }
  }

  private watchRung(dir: string, rung: string): void {
    this.watchDir(dir, (name) => {
      const m = SEGMENT.exec(name);
      if (!m) return;
      const key = `${rung}/${Number(m[1])}`;
      // The first event for the final name is its rename into place; later ones are deletes.
      if (!this.renamedAt.has(key)) this.renamedAt.set(key, Date.now());
    });
  }

  private watchDir(dir: string, onName: (name: string) => void): void {
    if (this.watchers.has(dir)) return;
    try {
      const w = watch(dir, (_type, name) => {
        if (name) onName(name.toString());
      });
      w.on('error', () => undefined);
      this.watchers.set(dir, w);
    } catch {
      /* the folder went away */
    }
  }

  stop(): void {
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
  }
}
