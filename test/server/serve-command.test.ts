import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runServe } from '../../src/commands/serve.js';

const temps: string[] = [];
afterEach(async () => {
  await Promise.all(temps.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

describe('runServe', () => {
  it('serves a --dir with a token, logs the URLs and stops on abort', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'livepipe-serve-'));
    temps.push(dir);
    const lines: string[] = [];
    const controller = new AbortController();
    let resolveUrl: (url: string) => void = () => undefined;
    const urlReady = new Promise<string>((resolve) => (resolveUrl = resolve));
    const running = runServe({ port: 0, host: '127.0.0.1', dir, token: 't' }, (line) => {
      lines.push(line);
      const match = /listening on (http:\/\/[^/]+)\//.exec(line);
      if (match?.[1]) resolveUrl(match[1]);
    }, controller.signal);
    const url = await urlReady;

    const put = await fetch(`${url}/live/master.m3u8`, { method: 'PUT', body: '#EXTM3U\n', headers: { Authorization: 'Bearer t' } });
    expect(put.status).toBe(201);
    expect(await readFile(path.join(dir, 'live/master.m3u8'), 'utf8')).toBe('#EXTM3U\n');
    expect(lines.some((l) => l.startsWith(`player: ${url}/`))).toBe(true);

    controller.abort();
    await running;
    await expect(fetch(`${url}/`)).rejects.toThrow();
  });
});
