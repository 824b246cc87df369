import { watch, type FSWatcher } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { classifyOutputFile, segmentNumber, type OutputFile } from './output-file.js';

/**
 * Watches ffmpeg's output folder and its rung folders. ffmpeg writes every segment and playlist as
 * `*.tmp` and renames it into place (hls_flags temp_file), so a final name appearing means the file is
 * complete; `*.tmp` names are ignored.
 *
 * Built on fs.watch (inotify) rather than chokidar: chokidar re-reads a directory (readdirp + lstat)
 * on every event, which was 42 % of livepipe's steady-state CPU in a live 720p run; here an event costs
 * a string check. Nothing is lost to the race of a rung folder appearing: it is listed once watched,
 * the publisher reads any file a playlist lists that it has not seen, and the end of a run rescans.
 */
export class OutputWatcher {
  private readonly watchers = new Map<string, FSWatcher>();
  private stopped = false;

  constructor(
    private readonly outDir: string,
    private readonly onFile: (file: OutputFile) => void,
  ) {}

  async start(): Promise<void> {
    this.watchDir(this.outDir);
    for (const entry of await readdir(this.outDir, { withFileTypes: true })) {
      if (entry.isDirectory()) await this.addRungDir(path.join(this.outDir, entry.name));
    }
  }

  private watchDir(dir: string): void {
    if (this.stopped || this.watchers.has(dir)) return;
    const watcher = watch(dir, { persistent: false }, (_type, name) => {
      if (name) this.onEvent(dir, name.toString());
    });
    // The folder went away (e.g. removed at the end): stop watching it.
    watcher.on('error', () => {
      watcher.close();
      this.watchers.delete(dir);
    });
    this.watchers.set(dir, watcher);
  }

  private onEvent(dir: string, name: string): void {
    if (name.endsWith('.tmp')) return;
    const full = path.join(dir, name);
    if (dir === this.outDir && !name.includes('.')) {
      void this.addRungDir(full);
      return;
    }
    const file = classifyOutputFile(this.outDir, full);
    if (file) this.onFile(file);
  }

  /** A rung folder: watch it, then report what landed in it before the watch began. */
  private async addRungDir(dir: string): Promise<void> {
    if (this.watchers.has(dir)) return;
    const isDir = await stat(dir).then((s) => s.isDirectory(), () => false);
    if (!isDir) return;
    try {
      this.watchDir(dir);
    } catch {
      return; // removed meanwhile
    }
    for (const name of (await readdir(dir).catch(() => [] as string[])).sort(bySegmentNumber)) this.onEvent(dir, name);
  }

  /** Reports every complete file present now, newest playlists last (used at the end of a run). */
  async rescan(): Promise<void> {
    const files: OutputFile[] = [];
    for (const entry of await readdir(this.outDir, { withFileTypes: true }).catch(() => [])) {
      const full = path.join(this.outDir, entry.name);
      if (entry.isDirectory()) {
        for (const name of (await readdir(full).catch(() => [] as string[])).sort(bySegmentNumber)) {
          const f = classifyOutputFile(this.outDir, path.join(full, name));
          if (f) files.push(f);
        }
      } else {
        const f = classifyOutputFile(this.outDir, full);
        if (f) files.push(f);
      }
    }
    const order = { init: 0, segment: 1, playlist: 2, master: 3 } as const;
    files.sort((a, b) => order[a.kind] - order[b.kind]);
    for (const f of files) this.onFile(f);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const watcher of this.watchers.values()) watcher.close();
    this.watchers.clear();
  }
}

function bySegmentNumber(a: string, b: string): number {
  return segmentNumber(a) - segmentNumber(b) || a.localeCompare(b);
}
