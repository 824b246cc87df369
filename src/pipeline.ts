import { mkdir, mkdtemp, readdir, readFile, rename, rm, access, writeFile } from 'node:fs/promises';
import { constants } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startEmbeddedOrigin, type EmbeddedOrigin } from './embedded-origin.js';
import { UsageError } from './errors.js';
import { PipelineEvent, type EventBus } from './events.js';
import { buildHlsArgv, MEDIA_PLAYLIST_NAME } from './ffmpeg/hls-argv.js';
import { locateFfmpeg } from './ffmpeg/locate.js';
import { completeMaster } from './hls/master-playlist.js';
import type { IngestConfig } from './ingest-config.js';
import { fitLadder } from './ladder/fit-ladder.js';
import { renditionBandwidth, totalBandwidth, type Ladder } from './ladder/rendition.js';
import { momentoBudgetWarnings } from './origins/momento-origin.js';
import { createOrigin } from './origins/create-origin.js';
import type { Origin } from './origins/origin.js';
import { probeOrigin } from './origins/probe-origin.js';
import { OutputWatcher } from './publish/output-watcher.js';
import { Publisher } from './publish/publisher.js';
import { buildInputArgs } from './source/input-args.js';
import { probeSource } from './source/probe.js';
import { EncoderSupervisor, type RunRequest } from './ffmpeg/encoder-supervisor.js';

export interface PipelineResult {
  exitCode: number;
  reason?: string;
}

/** How long the end of a stream may wait for the origin to take the final playlists. */
const FINISH_TIMEOUT_MS = 60_000;

/** Wires the stages for `ingest`: source → ladder → ffmpeg → watcher → publisher → origin. */
export async function runPipeline(
  config: IngestConfig,
  bus: EventBus,
  stopSignal: AbortSignal,
  /** Aborted to stop at once (a second Ctrl-C): ffmpeg is killed without finishing its segment. */
  killSignal?: AbortSignal,
): Promise<PipelineResult> {
  const started = Date.now();
  const outDir = await prepareOutDir(config.out);
  let embedded: EmbeddedOrigin | undefined;
  let origin: Origin | undefined;
  try {
    // The source first: a bad input is refused before anything touches the origin (invariant 7).
    const source = await probeSource(config.input);
    const ladder = fitLadder(config.preset, source);
    ({ origin, embedded } = await openOrigin(config));
    warnAboutBudget(config, ladder, bus);
    const input = buildInputArgs(config.input, source?.hasAudio ?? true, { realtime: config.realtime, loop: config.loop });
    const argvFor = (req: RunRequest) => buildHlsArgv(input, ladder, {
      outDir, segmentSeconds: config.segmentSeconds, window: config.window, format: config.format,
      keep: config.keep, durationSeconds: req.remainingSeconds, appendToExisting: req.resume,
    });

    const publisher = new Publisher(origin, outDir, bus, {
      keep: config.keep, deleteGrace: 3, maxInFlight: 6, transformMaster: (t) => completeMaster(t, variantsOf(ladder)),
    });
    const watcher = new OutputWatcher(outDir, (f) => void publisher.handle(f));
    await watcher.start();
    bus.emit(PipelineEvent.Started, {
      stream: config.name, origin: origin.description, out: outDir, renditions: ladder.renditions.map((r) => r.name),
      ...expectedLength(config, source?.duration),
      ...(embedded ? { playerUrl: embedded.playerUrl, streamUrl: embedded.streamUrl } : origin.playbackUrl ? { streamUrl: origin.playbackUrl } : {}),
    });

    const encoder = new EncoderSupervisor(locateFfmpeg().ffmpeg, argvFor, bus, {
      maxRestarts: config.maxRestarts,
      stallMs: envMs('LIVEPIPE_STALL_MS') ?? Math.max(15_000, config.segmentSeconds * 4_000),
      stdin: input.readsStdin ? process.stdin : undefined,
      restartable: config.input.kind !== 'stdin',
      durationSeconds: config.durationSeconds,
      inputEnds: (config.input.kind === 'file' && !config.loop) || config.input.kind === 'stdin',
    });
    // Not only setpriv's pdeathsig: kill ffmpeg ourselves too, which also works off Linux.
    killSignal?.addEventListener('abort', () => encoder.kill(), { once: true });
    const outcome = await encoder.run(stopSignal);
    if (outcome.ok) await endOpenPlaylists(outDir);

    // Let the watcher deliver the last renames, then make sure nothing was missed.
    await new Promise((r) => setTimeout(r, 200));
    await watcher.rescan();
    const published = await publisher.finish(FINISH_TIMEOUT_MS);
    await watcher.stop();

    const stats = publisher.stats;
    let exitCode = outcome.ok ? 0 : 1;
    let reason = outcome.reason;
    // (Stopped before ffmpeg wrote anything: there is nothing to publish.)
    if (outcome.ok && !published && publisher.rungNames().length > 0) {
      exitCode = 1;
      reason = `the origin did not take the final playlists within ${FINISH_TIMEOUT_MS / 1000} s`;
    }
    bus.emit(PipelineEvent.Finished, {
      exitCode, segments: stats.segments, playlists: stats.playlists, bytes: stats.bytes, retries: stats.retries,
      restarts: outcome.restarts, durationSeconds: (Date.now() - started) / 1000,
    });
    return reason ? { exitCode, reason } : { exitCode };
  } finally {
    await origin?.close().catch(() => undefined);
    await embedded?.stop().catch(() => undefined);
    if (!config.out) await rm(outDir, { recursive: true, force: true }).catch(() => undefined);
  }
}

async function openOrigin(config: IngestConfig): Promise<{ origin: Origin; embedded?: EmbeddedOrigin }> {
  if (!config.origin) {
    const embedded = await startEmbeddedOrigin(config.host, config.port, config.name);
    return { origin: embedded.origin, embedded };
  }
  const timeoutMs = envMs('LIVEPIPE_ORIGIN_TIMEOUT_MS');
  const origin = createOrigin(config.origin, {
    headers: config.headers, ...(config.s3Endpoint ? { s3Endpoint: config.s3Endpoint } : {}), ...(timeoutMs ? { timeoutMs } : {}),
  });
  // Fail before any encoding if the origin refuses writes or credentials.
  await probeOrigin(origin);
  return { origin };
}

/** Seconds of media this run will encode, when known (a file without --loop, and/or --duration): for progress and ETA. */
function expectedLength(config: IngestConfig, fileSeconds: number | undefined): { durationSeconds?: number } {
  const candidates = [config.loop ? undefined : fileSeconds, config.durationSeconds].filter((v): v is number => v !== undefined && v > 0);
  return candidates.length ? { durationSeconds: Math.min(...candidates) } : {};
}

/** Momento rate-limits writes per store: say so before going live rather than after the 429s. */
function warnAboutBudget(config: IngestConfig, ladder: Ladder, bus: EventBus): void {
  if (!config.origin?.startsWith('momento:')) return;
  const bitsPerSecond = totalBandwidth(ladder.renditions);
  // Per segment: one segment and one playlist write per rung.
  const writesPerSecond = (ladder.renditions.length * 2) / config.segmentSeconds;
  const budget = { writeBps: config.momentoWriteBps, writeOps: config.momentoWriteOps };
  for (const message of momentoBudgetWarnings(bitsPerSecond / 8, writesPerSecond, budget)) bus.emit(PipelineEvent.Warning, { message });
}

/**
 * Tuning knobs read from the environment, for fault tests and soak runs (not flags: users should not need them):
 *   LIVEPIPE_STALL_MS           no ffmpeg progress for this long restarts it (default max(15 s, 4 segments))
 *   LIVEPIPE_ORIGIN_TIMEOUT_MS  per-request timeout of http(s)/momento/s3 origins (default 10 s)
 */
function envMs(name: string): number | undefined {
  const value = Number(process.env[name]);
  return Number.isFinite(value) && value > 0 ? value : undefined;
}

function variantsOf(ladder: Ladder) {
  return ladder.renditions.map((r) => ({
    name: r.name,
    peakBandwidth: renditionBandwidth(r).peak,
    averageBandwidth: renditionBandwidth(r).average,
    frameRate: ladder.fps,
  }));
}

/**
 * ffmpeg writes #EXT-X-ENDLIST when it stops gracefully; a stop during a restart's backoff, or an ffmpeg
 * killed after the stop grace, leaves live playlists behind: end them (invariant 6). Written through a
 * temp file and renamed, as ffmpeg does, so the watcher publishes them.
 */
async function endOpenPlaylists(outDir: string): Promise<void> {
  for (const entry of await readdir(outDir, { withFileTypes: true }).catch(() => [])) {
    if (!entry.isDirectory()) continue;
    const file = path.join(outDir, entry.name, MEDIA_PLAYLIST_NAME);
    const text = await readFile(file, 'utf8').catch(() => undefined);
    if (text === undefined || !text.includes('#EXTINF') || /^#EXT-X-ENDLIST\s*$/m.test(text)) continue;
    await writeFile(`${file}.tmp`, `${text.endsWith('\n') ? text : `${text}\n`}#EXT-X-ENDLIST\n`);
    await rename(`${file}.tmp`, file);
  }
}

/** A user-given folder must be writable; files of an earlier run in it are cleared so they are not republished. */
async function prepareOutDir(out: string | undefined): Promise<string> {
  if (!out) return mkdtemp(path.join(os.tmpdir(), 'livepipe-'));
  const dir = path.resolve(out);
  try {
    await mkdir(dir, { recursive: true });
    await access(dir, constants.W_OK);
  } catch (e) {
    throw new UsageError(`output folder ${out} is not writable: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  await clearStaleOutput(dir);
  return dir;
}

async function clearStaleOutput(dir: string): Promise<void> {
  const stale = /\.(m3u8|ts|m4s|mp4|tmp)$/;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isFile() && stale.test(entry.name)) await rm(full, { force: true });
    if (entry.isDirectory()) {
      for (const name of await readdir(full)) if (stale.test(name)) await rm(path.join(full, name), { force: true });
    }
  }
}

