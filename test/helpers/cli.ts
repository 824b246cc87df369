import { execa, type ResultPromise } from 'execa';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CLI = path.join(ROOT, 'bin', 'livepipe.js');
export const FIXTURES = path.join(ROOT, 'fixtures');

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI (npm test builds first) and never throws on a non-zero exit. */
export async function runCli(args: string[], opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<CliResult> {
  const r = await execa('node', [CLI, ...args], {
    reject: false,
    timeout: opts.timeoutMs ?? 90_000,
    env: { ...opts.env },
    cwd: opts.cwd ?? ROOT,
    stdin: 'ignore',
  });
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

/** Starts the CLI in the background (for signal and live tests). */
export function startCli(args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): ResultPromise {
  return execa('node', [CLI, ...args], { reject: false, env: { ...opts.env }, cwd: opts.cwd ?? ROOT, stdin: 'ignore', buffer: true });
}

/** A temporary folder under os.tmpdir(), removed by the returned cleanup. */
export async function tempDir(prefix = 'livepipe-test-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}
