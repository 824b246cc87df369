import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import type { ResultPromise } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { startCli } from '../helpers/cli.js';
import { launchChromium, type LaunchedChromium } from '../helpers/browser.js';
import { parsePlaylist } from '../helpers/recording-origin.js';
import { freePort, ingestArgs, stopChild, type JsonEvent } from '../publish/live.js';

// A live ingest to the built-in origin, played by hls.js in headless Chromium from the player page
// the origin serves: playback advances, the live playlist grows, every level can be chosen, and a
// SIGINT ends it all cleanly.

declare global {
  interface Window {
    hls?: {
      levels: Array<{ height: number; width: number; bitrate: number }>;
      currentLevel: number;
      on(event: string, listener: (event: string, data: { level: number; fatal?: boolean; details?: string; type?: string }) => void): void;
      off(event: string, listener: (event: string, data: { level: number }) => void): void;
    };
    Hls?: { Events: Record<string, string> };
    __fatal?: string[];
  }
}

let ingest: ResultPromise | undefined;
let browser: LaunchedChromium | undefined;
afterAll(async () => {
  await browser?.close();
  if (ingest) await stopChild(ingest);
});

/** Child processes of a pid, from /proc (pgrep -P without the dependency). */
async function childrenOf(pid: number): Promise<Array<{ pid: number; comm: string }>> {
  const out: Array<{ pid: number; comm: string }> = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = await readFile(`/proc/${name}/stat`, 'utf8').catch(() => '');
    // "pid (comm) state ppid …": comm may hold spaces and parentheses, so split after the last ')'.
    const close = stat.lastIndexOf(')');
    const ppid = Number(stat.slice(close + 2).split(' ')[1]);
    if (ppid === pid) out.push({ pid: Number(name), comm: stat.slice(stat.indexOf('(') + 1, close) });
  }
  return out;
}

async function waitUntil<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('browser playback from the built-in origin', () => {
  it('plays live in Chromium with hls.js, switches levels, and stops cleanly on SIGINT', async () => {
    const port = await freePort();
    const child = startCli(ingestArgs('--port', String(port)));
    ingest = child;
    const events: JsonEvent[] = [];
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString();
      const lines = stdout.split('\n');
      stdout = lines.pop()!;
      for (const l of lines) if (l.startsWith('{')) events.push(JSON.parse(l) as JsonEvent);
    });
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));

    const base = `http://127.0.0.1:${port}`;
    await waitUntil('the master playlist on the built-in origin', async () => {
      if (child.exitCode !== null) throw new Error(`ingest exited early: ${stderr}`);
      const res = await fetch(`${base}/live/master.m3u8`);
      return res.status === 200 ? true : undefined;
    }, 30_000);
    const started = events.find((e) => e.event === 'started');
    const playerUrl = String(started?.['playerUrl'] ?? `${base}/?stream=live`);
    expect(playerUrl).toBe(`${base}/?stream=live`);
    expect(stderr).toContain(playerUrl);

    browser = await launchChromium();
    const page = browser.page;
    await page.goto(playerUrl);
    await page.waitForFunction(() => window.hls !== undefined && window.Hls !== undefined, null, { timeout: 15_000 });
    await page.evaluate(() => {
      window.__fatal = [];
      window.hls!.on(window.Hls!.Events['ERROR']!, (_e, data) => {
        if (data.fatal) window.__fatal!.push(`${data.type} ${data.details}`);
      });
    });
    await page.waitForFunction(() => (document.querySelector('video')?.currentTime ?? 0) > 3, null, { timeout: 30_000, polling: 250 });

    // The stream is live: the media playlist grows between two reads.
    const read = async (rung: string) => parsePlaylist(await (await fetch(`${base}/live/${rung}/index.m3u8`)).text());
    const before = await read('360p');
    await new Promise((r) => setTimeout(r, 2_200));
    const after = await read('360p');
    const last = (p: ReturnType<typeof parsePlaylist>) => p.mediaSequence + p.uris.length - 1;
    expect(last(after)).toBeGreaterThan(last(before));
    expect(after.mediaSequence).toBeGreaterThanOrEqual(before.mediaSequence);

    // Every level can be chosen: LEVEL_SWITCHED with that level, the picture changes size, and playback goes on.
    const levels = await page.evaluate(() => window.hls!.levels.map((l) => l.height));
    expect([...levels].sort()).toEqual([240, 360]); // hls.js orders levels by bitrate
    const current = await page.evaluate(() => window.hls!.currentLevel);
    const order = [...levels.keys()].sort((a, b) => Number(a === current) - Number(b === current));
    for (const n of order) {
      const switched = await page.evaluate((level) => new Promise<number>((resolve, reject) => {
        const hls = window.hls!;
        const event = window.Hls!.Events['LEVEL_SWITCHED']!;
        const timer = setTimeout(() => reject(new Error(`no LEVEL_SWITCHED to ${level} within 15 s`)), 15_000);
        const listener = (_e: string, data: { level: number }) => {
          if (data.level !== level) return;
          clearTimeout(timer);
          hls.off(event, listener);
          resolve(data.level);
        };
        hls.on(event, listener);
        hls.currentLevel = level;
      }), n);
      expect(switched).toBe(n);
      await page.waitForFunction((h) => document.querySelector('video')!.videoHeight === h, levels[n]!, { timeout: 10_000 });
      const t1 = await page.evaluate(() => document.querySelector('video')!.currentTime);
      await page.waitForFunction((t) => document.querySelector('video')!.currentTime > t + 1, t1, { timeout: 10_000, polling: 200 });
    }
    expect(await page.evaluate(() => window.__fatal)).toEqual([]);
    expect(await page.evaluate(() => document.getElementById('status')?.textContent ?? '')).toBe('');
    await browser.close();

    // SIGINT: exit 0 and no ffmpeg left behind.
    const ffmpeg = events.find((e) => e.event === 'ffmpeg_started');
    const ffmpegPid = Number(ffmpeg?.['pid']);
    expect(ffmpegPid).toBeGreaterThan(0);
    const kids = await childrenOf(child.pid!);
    expect(kids).toContainEqual({ pid: ffmpegPid, comm: 'ffmpeg' });
    child.kill('SIGINT');
    const result = await child;
    expect({ exitCode: result.exitCode, stderr: result.exitCode === 0 ? '' : stderr }).toEqual({ exitCode: 0, stderr: '' });
    for (const kid of kids) expect(existsSync(`/proc/${kid.pid}`), `child ${kid.comm} (${kid.pid}) still running`).toBe(false);
    const finished = events.find((e) => e.event === 'finished');
    expect(finished).toMatchObject({ exitCode: 0 });
  });
});
