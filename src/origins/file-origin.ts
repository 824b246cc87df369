import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { OriginError, type ObjectMeta, type Origin } from './origin.js';
import { safeJoin } from './safe-key.js';

/** A folder (e.g. one nginx serves). Objects are written to a temp name and renamed: readers never see half a file. */
export class FileOrigin implements Origin {
  readonly description: string;
  readonly playbackUrl: string;

  constructor(private readonly root: string) {
    this.description = `file://${root}`;
    this.playbackUrl = path.join(root, 'master.m3u8');
  }

  async put(key: string, body: Buffer, _meta: ObjectMeta): Promise<void> {
    const target = safeJoin(this.root, key);
    const temp = `${target}.${randomBytes(4).toString('hex')}.part`;
    try {
      await mkdir(path.dirname(target), { recursive: true });
      await writeFile(temp, body);
      await rename(temp, target);
    } catch (e) {
      await rm(temp, { force: true }).catch(() => undefined);
      throw new OriginError(`cannot write ${target}: ${(e as Error).message}`, isTransient(e));
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await rm(safeJoin(this.root, key), { force: true });
    } catch (e) {
      throw new OriginError(`cannot delete ${key}: ${(e as Error).message}`, isTransient(e));
    }
  }

  async close(): Promise<void> {}
}

function isTransient(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'ENOSPC' || code === 'EBUSY' || code === 'EMFILE' || code === 'EAGAIN';
}
