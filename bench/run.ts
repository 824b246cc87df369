/**
 * `npm run bench [-- --only encode|publish|cpu[,…]] [--reps N (default 3)] [--origins built-in,nginx,s3rver]`
 *
 *   encode   Part A: realtime factor and CPU of livepipe vs the same ffmpeg argv bare vs one ffmpeg per rung
 *   publish  Part B: segment-on-disk → listing-playlist-acknowledged latency per origin kind
 *   cpu      Part C: CPU of the livepipe process relative to its ffmpeg during a live 720p run
 *
 * Measurements run one at a time. Prints markdown tables, writes the full results as JSON under
 * os.tmpdir() (path printed), and removes every process, server and temp folder it made.
 */
import { writeFile, mkdir } from 'node:fs/promises';
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Cleanup } from './cleanup.js';
import { waitForQuiet } from './proc.js';
import type { BenchContext } from './context.js';
import { runCpuBench, type CpuResult } from './cpu.js';
import { runEncodeBench, type EncodeResult } from './encode.js';
import { ORIGINS, runPublishBench, type OriginTarget, type PublishRow } from './publish.js';
import { cpuTable, encodeTables, publishTable } from './report.js';

const PARTS = ['encode', 'publish', 'cpu'] as const;
type Part = (typeof PARTS)[number];

interface Options {
  parts: Part[];
  reps: number;
  origins: Array<OriginTarget['kind']> | undefined;
}

function usage(message: string): never {
  process.stderr.write(`bench: ${message}\nusage: npm run bench -- [--only encode|publish|cpu[,…]] [--reps N] [--origins built-in,nginx,s3rver]\n`);
  process.exit(2);
}

function parseOptions(argv: string[]): Options {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { only: { type: 'string' }, reps: { type: 'string' }, origins: { type: 'string' }, help: { type: 'boolean' } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    usage((e as Error).message);
  }
  if (values.help) usage('help');
  const parts = values.only ? values.only.split(',').map((s) => s.trim()) : [...PARTS];
  for (const p of parts) if (!(PARTS as readonly string[]).includes(p)) usage(`unknown part "${p}" (expected ${PARTS.join(', ')})`);
  const reps = values.reps === undefined ? 3 : Number(values.reps);
  if (!Number.isInteger(reps) || reps < 1 || reps > 10) usage('--reps must be a whole number from 1 to 10');
  const kinds = ORIGINS.map((o) => o.kind) as string[];
  const origins = values.origins?.split(',').map((s) => s.trim());
  for (const o of origins ?? []) if (!kinds.includes(o)) usage(`unknown origin "${o}" (expected ${kinds.join(', ')})`);
  return { parts: parts as Part[], reps, origins: origins as Options['origins'] };
}

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2));
  const resultsPath = path.join(os.tmpdir(), `livepipe-bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  const cleanup = new Cleanup();
  const log = (m: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${m}\n`);

  let stopping = false;
  const onSignal = (sig: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log(`${sig}: stopping every process and removing temp folders`);
    void cleanup.run().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('exit', () => cleanup.killGroups());

  const started = Date.now();
  const results: {
    startedAt: string;
    machine: Record<string, unknown>;
    encode?: EncodeResult;
    publish?: PublishRow[];
    cpu?: CpuResult;
    totalSeconds?: number;
  } = {
    startedAt: new Date(started).toISOString(),
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model,
      loadavgAtStart: os.loadavg(),
      node: process.version,
      ffmpeg: spawnSync('ffmpeg', ['-version'], { encoding: 'utf8' }).stdout?.split('\n')[0],
    },
  };
  const printed: string[] = [];
  try {
    const root = await cleanup.tempDir('livepipe-bench-');
    const childTmp = path.join(root, 'tmp');
    await mkdir(childTmp);
    const settle = async () => {
      const { waitedMs, load } = await waitForQuiet();
      if (load >= 0.3) log(`other processes still use ${load.toFixed(2)} cores after waiting ${Math.round(waitedMs / 1000)} s: measuring anyway`);
      else if (waitedMs > 1500) log(`waited ${Math.round(waitedMs / 1000)} s for other processes to quiet down`);
    };
    const ctx: BenchContext = { cleanup, root, childEnv: { ...process.env, TMPDIR: childTmp }, reps: opts.reps, log, settle };
    log(`parts: ${opts.parts.join(', ')}; load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} on ${os.cpus().length} cores`);

    if (opts.parts.includes('encode')) {
      results.encode = await runEncodeBench(ctx);
      printed.push(`## A. Encoding (no -re); (a) and (b) ${opts.reps} run(s) each, interleaved: wall = best run, CPU = median\n\n${encodeTables(results.encode)}`);
    }
    if (opts.parts.includes('publish')) {
      results.publish = await runPublishBench(ctx, opts.origins);
      printed.push(`## B. Publish latency: segment complete on disk → first playlist listing it acknowledged (live 360p, 1-s segments)\n\n${publishTable(results.publish)}`);
    }
    if (opts.parts.includes('cpu')) {
      results.cpu = await runCpuBench(ctx);
      printed.push(`## C. CPU of livepipe relative to ffmpeg (live 720p, built-in origin)\n\n${cpuTable(results.cpu)}`);
    }
  } finally {
    await cleanup.run();
  }
  results.totalSeconds = (Date.now() - started) / 1000;
  await writeFile(resultsPath, `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(`${printed.join('\n\n')}\n\nTotal ${results.totalSeconds.toFixed(0)} s. Full results: ${resultsPath}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`bench: ${(e as Error).stack ?? String(e)}\n`);
  process.exitCode = 1;
});
