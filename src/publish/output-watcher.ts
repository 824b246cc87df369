import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import { classifyOutputFile, type OutputFile } from './output-file.js';

/**
 * Watches ffmpeg's output folder. ffmpeg writes every file as `*.tmp` and renames it into place
 * (hls_flags temp_file), so a final name appearing or changing means the file is complete.
 */
export class OutputWatcher {
  private watcher: FSWatcher | undefined;

  constructor(
    private readonly outDir: string,
    private readonly onFile: (file: OutputFile) => void,
  ) {}

  async start(): Promise<void> {
    const watcher = watch(this.outDir, {
      ignoreInitial: true,
      depth: 1,
      // Renames are what matter; chokidar's atomic-save merging would only delay them.
      atomic: false,
      ignored: (p: string) => p.endsWith('.tmp'),
    });
    this.watcher = watcher;
    const handle = (p: string) => {
      const file = classifyOutputFile(this.outDir, p);
      if (file) this.onFile(file);
    };
    watcher.on('add', handle).on('change', handle);
    await new Promise<void>((resolve, reject) => {
      watcher.once('ready', resolve);
      watcher.once('error', reject);
    });
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
    await this.watcher?.close();
    this.watcher = undefined;
  }
}

function bySegmentNumber(a: string, b: string): number {
  const n = (s: string) => Number(/(\d+)\.\w+$/.exec(s)?.[1] ?? -1);
  return n(a) - n(b) || a.localeCompare(b);
}
