import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * Reads a stream the way a player would, from http(s):// URLs or from files (a path or file://).
 * Every reference is an absolute URL; relative playlist URIs are resolved against their playlist.
 */

export interface Fetched {
  ok: boolean;
  /** HTTP status, or undefined for files and network errors. */
  status?: number | undefined;
  body?: Buffer;
  contentType?: string | undefined;
  /** One-line reason when not ok: "404 Not Found", "ENOENT", "timeout after 10 s". */
  reason?: string;
}

/** A path or a URL → an absolute URL string. */
export function toUrl(ref: string, cwd = process.cwd()): string {
  if (/^(https?|file):\/\//i.test(ref)) return new URL(ref).href;
  return pathToFileURL(path.resolve(cwd, ref)).href;
}

export function resolveUri(base: string, uri: string): string {
  return new URL(uri, base).href;
}

/** How a reference is shown in findings: relative to the master's folder when under it. */
export function displayName(url: string, root: string): string {
  const rootDir = root.slice(0, root.lastIndexOf('/') + 1);
  if (url.startsWith(rootDir)) return decodeURIComponent(url.slice(rootDir.length));
  return url.startsWith('file:') ? fileURLToPath(url) : url;
}

export class Resources {
  constructor(private readonly timeoutMs = 10_000) {}

  async get(url: string): Promise<Fetched> {
    if (url.startsWith('file:')) {
      try {
        return { ok: true, body: await readFile(fileURLToPath(url)) };
      } catch (e) {
        return { ok: false, reason: fileReason(e) };
      }
    }
    return this.http(url, 'GET');
  }

  /** Whether the object exists, without downloading it where possible (HEAD; GET if HEAD is refused). */
  async reachable(url: string): Promise<Fetched> {
    if (url.startsWith('file:')) {
      try {
        const s = await stat(fileURLToPath(url));
        return s.isFile() ? { ok: true } : { ok: false, reason: 'not a file' };
      } catch (e) {
        return { ok: false, reason: fileReason(e) };
      }
    }
    const head = await this.http(url, 'HEAD');
    if (head.status === 405 || head.status === 501) return this.http(url, 'GET');
    return head;
  }

  private async http(url: string, method: 'GET' | 'HEAD'): Promise<Fetched> {
    try {
      const res = await fetch(url, { method, signal: AbortSignal.timeout(this.timeoutMs), redirect: 'follow' });
      const contentType = res.headers.get('content-type') ?? undefined;
      if (!res.ok) {
        await res.body?.cancel().catch(() => undefined);
        return { ok: false, status: res.status, contentType, reason: `${res.status} ${res.statusText}`.trim() };
      }
      const body = method === 'GET' ? Buffer.from(await res.arrayBuffer()) : undefined;
      return { ok: true, status: res.status, contentType, ...(body ? { body } : {}) };
    } catch (e) {
      const err = e as Error & { cause?: { code?: string; message?: string } };
      if (err.name === 'TimeoutError' || err.name === 'AbortError') return { ok: false, reason: `no answer within ${this.timeoutMs / 1000} s` };
      return { ok: false, reason: err.cause?.code ?? err.cause?.message ?? err.message };
    }
  }
}

function fileReason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'ENOENT' ? 'no such file' : (code ?? (e as Error).message);
}
