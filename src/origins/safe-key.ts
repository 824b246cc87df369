import path from 'node:path';
import { OriginError } from './origin.js';

/**
 * The "/"-separated parts of a relative object key, refusing (non-retryably) anything that could
 * escape an origin's prefix or folder: absolute or empty keys, empty, "." or ".." parts, backslashes, NUL.
 */
export function keySegments(key: string): string[] {
  const parts = key.split('/');
  if (key === '' || key.startsWith('/') || parts.some((p) => p === '' || p === '.' || p === '..' || p.includes('\\') || p.includes('\0'))) {
    throw new OriginError(`refusing unsafe object key "${key}"`, false);
  }
  return parts;
}

/** Joins a relative object key under a root, refusing anything that would escape it. */
export function safeJoin(root: string, key: string): string {
  return path.join(root, ...keySegments(key));
}
