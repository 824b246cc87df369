/**
 * Headless Chromium (Debian's /usr/bin/chromium) through playwright-core, with everything it writes
 * kept in one temporary folder that close() removes: the profile, Playwright's artifacts, and the
 * browser's own TMPDIR (a killed Chromium leaves /tmp/org.chromium.Chromium.* behind otherwise).
 *
 *   const browser = await launchChromium();
 *   const page = browser.page;            // a page of the persistent context
 *   await page.goto('http://127.0.0.1:8080/?stream=live');
 *   await browser.close();                // closes Chromium and removes the folder
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export interface LaunchedChromium {
  context: BrowserContext;
  page: Page;
  /** The folder holding profile, artifacts and TMPDIR; removed by close(). */
  dir: string;
  /** Console errors and uncaught page errors seen so far. */
  errors: string[];
  close(): Promise<void>;
}

/** $CHROMIUM_BIN, or Debian's /usr/bin/chromium. */
export function findChromium(): string {
  for (const candidate of [process.env['CHROMIUM_BIN'], '/usr/bin/chromium', '/usr/bin/chromium-browser']) {
    if (candidate && existsSync(candidate)) return candidate;
  }
  throw new Error('chromium is not installed (apt-get install -y chromium, or set CHROMIUM_BIN): the playback test needs it');
}

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  // The Debian wrapper does not add it, and /dev/shm is small in containers.
  '--disable-dev-shm-usage',
  '--disable-gpu',
  '--disable-background-networking',
  // Muted autoplay is allowed anyway; this keeps a policy change from stalling playback.
  '--autoplay-policy=no-user-gesture-required',
];

export async function launchChromium(): Promise<LaunchedChromium> {
  const executablePath = findChromium();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'livepipe-chromium-'));
  const tmp = path.join(dir, 'tmp');
  const artifacts = path.join(dir, 'artifacts');
  await mkdir(tmp);
  await mkdir(artifacts);
  let context: BrowserContext;
  try {
    // A persistent context: the profile goes where we say (Playwright refuses --user-data-dir in args).
    context = await chromium.launchPersistentContext(path.join(dir, 'profile'), {
      executablePath,
      headless: true,
      args: CHROMIUM_ARGS,
      env: { ...process.env, TMPDIR: tmp },
      artifactsDir: artifacts,
      timeout: 30_000,
    });
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
  const errors: string[] = [];
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`page: ${e.message}`));

  let closed = false;
  return {
    context,
    page,
    dir,
    errors,
    async close() {
      if (closed) return;
      closed = true;
      const browser = context.browser();
      await Promise.race([context.close().catch(() => undefined), new Promise((r) => setTimeout(r, 10_000))]);
      // If a close hangs, ending the browser process (ours, by its connection) is what is left.
      await browser?.close().catch(() => undefined);
      await rm(dir, { recursive: true, force: true, maxRetries: 3, retryDelay: 200 });
    },
  };
}
