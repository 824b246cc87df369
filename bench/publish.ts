/**
 * Part B — publish latency per origin kind, on a live (realtime) 360p stream of 1-s segments.
 * Per segment: from it appearing complete on disk (segment_published.time − latencyMs) to the
 * acknowledgement of the first playlist of its rung that lists it (see events.ts).
 */
import type { BenchContext } from './context.js';
import { percentile, publishLatencies } from './events.js';
import { runIngest } from './livepipe.js';
import { freePort } from './proc.js';
import { RenameWatcher } from './rename-watch.js';

export const PUBLISH_SECONDS = 62;

export interface OriginTarget {
  kind: 'built-in' | 'nginx' | 's3rver';
  goalP95Ms: number;
}

export const ORIGINS: OriginTarget[] = [
  { kind: 'built-in', goalP95Ms: 20 },
  { kind: 'nginx', goalP95Ms: 20 },
  { kind: 's3rver', goalP95Ms: 40 },
];

export interface PublishRow {
  kind: OriginTarget['kind'];
  goalP95Ms: number;
  origin?: string;
  segments: number;
  playlists: number;
  unlisted: number;
  p50Ms?: number;
  p95Ms?: number;
  maxMs?: number;
  /** p95 of segment_published.latencyMs alone (the segment's upload). */
  segmentUploadP95Ms?: number;
  /** From the rename into place seen by the bench's own inotify watcher (includes livepipe's detection and read). */
  fromRename?: { segments: number; p50Ms?: number; p95Ms?: number; maxMs?: number };
  retries: number;
  errorEvents: string[];
  failure?: string;
}

interface Server {
  args: string[];
  env: NodeJS.ProcessEnv;
  origin: string;
  stop(): Promise<void>;
}

async function startServer(ctx: BenchContext, kind: OriginTarget['kind']): Promise<Server> {
  switch (kind) {
    case 'built-in': {
      const port = await freePort();
      return { args: ['--port', String(port)], env: {}, origin: `built-in on 127.0.0.1:${port}`, stop: async () => undefined };
    }
    case 'nginx': {
      const { startNginx } = await import('../test/helpers/nginx.js');
      const nginx = await startNginx();
      const stop = ctx.cleanup.add('stop nginx', () => nginx.stop());
      const origin = `${nginx.url}live/`;
      return { args: ['--origin', origin], env: {}, origin, stop };
    }
    case 's3rver': {
      const { startS3rver } = await import('../test/helpers/s3rver.js');
      const s3 = await startS3rver({ buckets: ['live'] });
      const stop = ctx.cleanup.add('stop s3rver', () => s3.stop());
      return {
        args: ['--origin', 's3://live/stream', '--s3-endpoint', s3.endpoint],
        env: { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1' },
        origin: `s3://live/stream at ${s3.endpoint}`,
        stop,
      };
    }
  }
}

export async function runPublishBench(ctx: BenchContext, only?: ReadonlyArray<OriginTarget['kind']>): Promise<PublishRow[]> {
  const rows: PublishRow[] = [];
  for (const target of ORIGINS) {
    if (only && !only.includes(target.kind)) continue;
    rows.push(await benchOrigin(ctx, target));
  }
  return rows;
}

async function benchOrigin(ctx: BenchContext, target: OriginTarget): Promise<PublishRow> {
  const row: PublishRow = { kind: target.kind, goalP95Ms: target.goalP95Ms, segments: 0, playlists: 0, unlisted: 0, retries: 0, errorEvents: [] };
  let server: Server;
  try {
    server = await startServer(ctx, target.kind);
  } catch (e) {
    row.failure = `origin did not start: ${(e as Error).message.split('\n')[0]}`;
    return row;
  }
  row.origin = server.origin;
  try {
    await ctx.settle();
    ctx.log(`publish ${target.kind}: live 360p, 1-s segments, ${PUBLISH_SECONDS} s → ${server.origin}`);
    const renames = new RenameWatcher();
    const r = await runIngest(
      ['--input', 'testsrc:640x360', '--preset', '360p', '--segment', '1', '--duration', String(PUBLISH_SECONDS), ...server.args],
      ctx.cleanup, ctx.root,
      {
        env: { ...ctx.childEnv, ...server.env },
        timeoutMs: (PUBLISH_SECONDS + 90) * 1000,
        onEvent: (e) => {
          if (e.event === 'started' && typeof e.out === 'string') renames.start(e.out);
        },
      },
    ).finally(() => renames.stop());
    const { latencies, unlisted } = publishLatencies(r.events, renames.renamedAt);
    const fromRename = latencies.flatMap((l) => (l.fromRenameMs === undefined ? [] : [l.fromRenameMs]));
    if (fromRename.length) {
      row.fromRename = { segments: fromRename.length, p50Ms: percentile(fromRename, 50), p95Ms: percentile(fromRename, 95), maxMs: Math.max(...fromRename) };
    }
    const ms = latencies.map((l) => l.ms);
    const segs = r.events.filter((e) => e.event === 'segment_published');
    row.segments = latencies.length;
    row.playlists = r.events.filter((e) => e.event === 'playlist_published').length;
    row.unlisted = unlisted.length;
    row.retries = r.events.filter((e) => e.event === 'retry').length;
    row.errorEvents = r.events.filter((e) => e.event === 'error').map((e) => String(e.message)).slice(0, 5);
    if (ms.length) {
      row.p50Ms = percentile(ms, 50);
      row.p95Ms = percentile(ms, 95);
      row.maxMs = Math.max(...ms);
      row.segmentUploadP95Ms = percentile(segs.map((e) => Number(e.latencyMs)), 95);
    }
    if (r.failure) row.failure = r.failure;
    else if (ms.length < PUBLISH_SECONDS - 2) row.failure = `only ${ms.length} segments measured`;
  } finally {
    await server.stop().catch(() => undefined);
  }
  return row;
}
