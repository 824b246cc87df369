import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { metaForKey } from '../origins/object-meta.js';
import { OriginError, type ObjectMeta } from '../origins/origin.js';
import { safeJoin } from '../origins/safe-key.js';
import { storedObject, type ObjectStore, type PutResult, type StoredObject } from './object-store.js';
import { StoreChanges, type StoreChangeListener } from './store-changes.js';

const TEMP_SUFFIX = '.livepipe-tmp';

/**
 * `livepipe serve --dir <path>`: objects are files under `root` (so the tree survives a restart and
 * another web server can serve it too). Writes go to a temp file in the same folder and are renamed
 * into place, so a reader never sees half an object. Content type and Cache-Control are kept in
 * memory; files found on disk from an earlier run get them from metaForKey(). Keys that would escape
 * the root are refused (OriginError). Operations on one key are serialized, so the metadata in memory
 * always belongs to the bytes on disk.
 */
export class DiskObjectStore implements ObjectStore {
  readonly root: string;
  /** What we know of the files we wrote; `size` and `mtimeMs` detect files changed behind our back. */
  private readonly meta = new Map<string, KnownMeta>();
  private readonly tails = new Map<string, Promise<void>>();
  private readonly changes = new StoreChanges();

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  async get(key: string): Promise<StoredObject | undefined> {
    const file = this.fileFor(key);
    // Wait for pending writes of this key (not for other reads: a hot playlist has many readers).
    await this.tails.get(key);
    try {
      const info = await stat(file);
      if (!info.isFile()) return undefined;
      const body = await readFile(file);
      // The ETag is always computed from the bytes read; the stored metadata is used only while size and
      // mtime show the file is still the one we wrote.
      const known = this.meta.get(key);
      const mine = known !== undefined && known.size === body.length && known.mtimeMs === info.mtimeMs;
      return storedObject(body, mine ? known : metaForKey(key), info.mtime);
    } catch (e) {
      if (isMissing(e)) return undefined;
      throw e;
    }
  }

  async put(key: string, body: Buffer, meta: ObjectMeta): Promise<PutResult> {
    const file = this.fileFor(key);
    return this.serial(key, async () => {
      const created = !(await isFile(file));
      const temp = `${file}.${randomBytes(4).toString('hex')}${TEMP_SUFFIX}`;
      try {
        await mkdir(path.dirname(file), { recursive: true });
        await writeFile(temp, body);
        await rename(temp, file);
      } catch (e) {
        await rm(temp, { force: true }).catch(() => undefined);
        throw e;
      }
      const info = await stat(file);
      const object = storedObject(body, meta, info.mtime);
      this.meta.set(key, { contentType: meta.contentType, cacheControl: meta.cacheControl, size: body.length, mtimeMs: info.mtimeMs });
      this.changes.emit({ kind: 'put', key, object });
      return { created, object };
    });
  }

  async delete(key: string): Promise<boolean> {
    const file = this.fileFor(key);
    return this.serial(key, async () => {
      this.meta.delete(key);
      try {
        await unlink(file);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        // A folder is not an object (Linux says EISDIR, macOS EPERM).
        if (isMissing(e) || code === 'EPERM') return false;
        throw e;
      }
      this.changes.emit({ kind: 'delete', key });
      return true;
    });
  }

  async keys(prefix = ''): Promise<string[]> {
    const found: string[] = [];
    await this.walk(this.root, '', found);
    return found.filter((k) => k.startsWith(prefix)).sort();
  }

  waitFor(key: string, signal: AbortSignal): Promise<StoredObject> {
    return this.changes.waitFor(key, (k) => this.get(k), signal);
  }

  onChange(listener: StoreChangeListener): () => void {
    return this.changes.subscribe(listener);
  }

  private fileFor(key: string): string {
    if (key.endsWith(TEMP_SUFFIX)) throw new OriginError(`refusing unsafe object key "${key}"`, false);
    const file = safeJoin(this.root, key);
    const relative = path.relative(this.root, file);
    if (relative === '' || relative.startsWith('..') || path.isAbsolute(relative)) {
      throw new OriginError(`refusing unsafe object key "${key}"`, false);
    }
    return file;
  }

  private async walk(dir: string, prefix: string, out: string[]): Promise<void> {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (e) {
      if (isMissing(e)) return;
      throw e;
    }
    for (const entry of entries) {
      const key = prefix + entry.name;
      if (entry.isDirectory()) await this.walk(path.join(dir, entry.name), `${key}/`, out);
      else if (entry.isFile() && !entry.name.endsWith(TEMP_SUFFIX)) out.push(key);
    }
  }

  private serial<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const run = previous.then(task);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return run;
  }
}

type KnownMeta = ObjectMeta & { size: number; mtimeMs: number };

function isMissing(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR';
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}
