import path from 'node:path';
import { OriginError } from './origin.js';

/** Joins a relative object key under a root, refusing anything that would escape it. */
export function safeJoin(root: string, key: string): string {
  const parts = key.split('/');
  if (key.startsWith('/') || parts.some((p) => p === '' || p === '.' || p === '..' || p.includes('\\') || p.includes('\0'))) {
    throw new OriginError(`refusing unsafe object key "${key}"`, false);
  }
  return path.join(root, ...parts);
}
