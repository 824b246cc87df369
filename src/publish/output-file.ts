import path from 'node:path';

/** A complete file in ffmpeg's output folder, classified by where it sits. */
export type OutputFile =
  | { kind: 'master'; path: string }
  | { kind: 'playlist'; rung: string; path: string }
  | { kind: 'segment'; rung: string; path: string }
  | { kind: 'init'; rung: string; path: string };

/** Classifies `<out>/master.m3u8`, `<out>/<rung>/index.m3u8`, `<out>/<rung>/seg_N.ts|m4s`, `<out>/<rung>/init_N.mp4`. */
export function classifyOutputFile(outDir: string, file: string): OutputFile | undefined {
  const rel = path.relative(outDir, file);
  if (rel.startsWith('..') || path.isAbsolute(rel) || rel.endsWith('.tmp')) return undefined;
  const parts = rel.split(path.sep);
  if (parts.length === 1) return parts[0]!.endsWith('.m3u8') ? { kind: 'master', path: file } : undefined;
  if (parts.length !== 2) return undefined;
  const [rung, name] = parts as [string, string];
  if (name.endsWith('.m3u8')) return { kind: 'playlist', rung, path: file };
  if (name.endsWith('.ts') || name.endsWith('.m4s')) return { kind: 'segment', rung, path: file };
  if (name.endsWith('.mp4')) return { kind: 'init', rung, path: file };
  return undefined;
}

/** The number ffmpeg gives a segment file (`seg_12.ts` → 12), or -1. */
export function segmentNumber(name: string): number {
  const m = /(\d+)\.[a-z0-9]+$/i.exec(name);
  return m ? Number(m[1]) : -1;
}
