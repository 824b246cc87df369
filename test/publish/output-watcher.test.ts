import { afterEach, describe, expect, it } from 'vitest';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { OutputWatcher } from '../../src/publish/output-watcher.js';
import type { OutputFile } from '../../src/publish/output-file.js';
import { tempDir } from '../helpers/cli.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function watched() {
  const { dir, cleanup } = await tempDir('livepipe-watch-');
  const seen: OutputFile[] = [];
  const watcher = new OutputWatcher(dir, (f) => seen.push(f));
  await watcher.start();
  cleanups.push(async () => {
    await watcher.stop();
    await cleanup();
  });
  return { dir, seen, watcher };
}

/** Writes like ffmpeg with hls_flags temp_file: a .tmp file, then a rename into place. */
async function writeLikeFfmpeg(file: string, body: string) {
  await writeFile(`${file}.tmp`, body);
  await rename(`${file}.tmp`, file);
}

async function until(check: () => boolean, ms = 3_000) {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out waiting for watcher events');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('OutputWatcher', () => {
  it('reports files renamed into place in a rung folder created after start, never the .tmp names', async () => {
    const { dir, seen } = await watched();
    await mkdir(path.join(dir, '720p'));
    await writeLikeFfmpeg(path.join(dir, '720p', 'seg_0.ts'), 'segment');
    await writeLikeFfmpeg(path.join(dir, '720p', 'index.m3u8'), '#EXTM3U');
    await writeLikeFfmpeg(path.join(dir, 'master.m3u8'), '#EXTM3U');
    await until(() => seen.some((f) => f.kind === 'master') && seen.some((f) => f.kind === 'playlist') && seen.some((f) => f.kind === 'segment'));
    expect(seen.every((f) => !f.path.endsWith('.tmp'))).toBe(true);
    expect(seen.find((f) => f.kind === 'segment')).toEqual({ kind: 'segment', rung: '720p', path: path.join(dir, '720p', 'seg_0.ts') });
    expect(seen.find((f) => f.kind === 'playlist')).toMatchObject({ rung: '720p' });
  });

  it('reports what landed in a rung folder before it was watched', async () => {
    const { dir, seen } = await watched();
    // Created and filled in one go: the folder's own watch may start after the file is there.
    await mkdir(path.join(dir, '360p'));
    await writeFile(path.join(dir, '360p', 'seg_7.ts'), 'x');
    await until(() => seen.some((f) => f.kind === 'segment' && f.path.endsWith('seg_7.ts')));
  });

  it('rescan reports segments before playlists before the master', async () => {
    const { dir, seen, watcher } = await watched();
    await mkdir(path.join(dir, 'a'));
    await writeFile(path.join(dir, 'master.m3u8'), '#EXTM3U');
    await writeFile(path.join(dir, 'a', 'index.m3u8'), '#EXTM3U');
    await writeFile(path.join(dir, 'a', 'seg_10.ts'), 'x');
    await writeFile(path.join(dir, 'a', 'seg_9.ts'), 'x');
    await new Promise((r) => setTimeout(r, 100));
    seen.length = 0;
    await watcher.rescan();
    expect(seen.map((f) => `${f.kind}:${path.basename(f.path)}`)).toEqual(['segment:seg_9.ts', 'segment:seg_10.ts', 'playlist:index.m3u8', 'master:master.m3u8']);
  });
});
