import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from './hls-probe.js';

/** Every file under a folder, as relative paths. */
export async function listFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(root, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) out.push(path.relative(root, path.join(entry.parentPath, entry.name)));
  }
  return out.sort();
}

/** What a folder origin must hold: the master, each rung's playlist, and exactly what those reference. */
export async function referencedFiles(root: string): Promise<string[]> {
  const master = parse(await readFile(path.join(root, 'master.m3u8'), 'utf8'));
  const files = ['master.m3u8'];
  for (const variant of master.playlists ?? []) {
    files.push(variant.uri);
    const dir = path.dirname(variant.uri);
    const media = parse(await readFile(path.join(root, variant.uri), 'utf8'));
    for (const s of media.segments) {
      files.push(path.join(dir, s.uri));
      if (s.map?.uri) files.push(path.join(dir, s.map.uri));
    }
  }
  return [...new Set(files)].sort();
}
