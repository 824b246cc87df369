import { afterEach, describe, expect, it } from 'vitest';
import type { ResultPromise } from 'execa';
import { pathToFileURL } from 'node:url';
import { startCli, tempDir } from '../helpers/cli.js';
import { parseExposition, value, type Exposition } from './prom-parse.js';

const running: ResultPromise[] = [];
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const p of running.splice(0)) {
    p.kill('SIGKILL');
    await p.catch(() => undefined);
  }
  await Promise.all(cleanups.splice(0).map((c) => c()));
});

/** Resolves with the first line of `stream` that matches. */
function waitForLine(stream: NodeJS.ReadableStream, re: RegExp, timeoutMs = 30_000): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(() => reject(new Error(`no line matching ${re} within ${timeoutMs} ms; got:\n${buffer}`)), timeoutMs);
    stream.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const m = re.exec(buffer);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    });
  });
}

async function scrape(url: string): Promise<Exposition> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseExposition(await res.text());
}

describe('/metrics during a real run', () => {
  it('ingest --metrics-port serves the pipeline metrics while it streams', async () => {
    const tmp = await tempDir('livepipe-metrics-');
    cleanups.push(tmp.cleanup);
    const origin = pathToFileURL(`${tmp.dir}/origin`).href;
    const cli = startCli(['ingest', '--input', 'testsrc:640x360', '--preset', '360p', '--duration', '9', '--origin', origin, '--metrics-port', '0', '--json']);
    running.push(cli);
    const started = await waitForLine(cli.stdout!, /"event":"started".*"metricsUrl":"(http:\/\/127\.0\.0\.1:\d+\/metrics)"/);
    const url = started[1]!;

    // Scrape until two segments are out and the live edge is known.
    let m = await scrape(url);
    const deadline = Date.now() + 30_000;
    while ((value(m, 'livepipe_segments_published_total', { rung: '360p' }) ?? 0) < 2 || value(m, 'livepipe_live_edge_latency_seconds', { rung: '360p' }) === undefined) {
      if (Date.now() > deadline) throw new Error('metrics never showed two published segments');
      await new Promise((r) => setTimeout(r, 300));
      m = await scrape(url);
    }
    expect(m.types.get('livepipe_publish_latency_seconds')).toBe('histogram');
    expect(value(m, 'livepipe_stream_info', { stream: 'live', origin })).toBe(1);
    expect(value(m, 'livepipe_encoder_speed_ratio')).toBeGreaterThan(0.8);
    expect(value(m, 'livepipe_encoder_speed_ratio')).toBeLessThan(1.2);
    expect(value(m, 'livepipe_encoder_fps')).toBeGreaterThan(20);
    expect(value(m, 'livepipe_segment_bytes_published_total', { rung: '360p' })).toBeGreaterThan(100_000);
    expect(value(m, 'livepipe_publish_latency_seconds_count', { kind: 'segment' })).toBeGreaterThanOrEqual(2);
    expect(value(m, 'livepipe_publish_latency_seconds_bucket', { kind: 'segment', le: '+Inf' })).toBeGreaterThanOrEqual(2);
    const bitrate = value(m, 'livepipe_rung_bitrate_bits_per_second', { rung: '360p' })!;
    expect(bitrate).toBeGreaterThan(300_000); // the 360p rung asks for 800k video + 96k audio
    expect(bitrate).toBeLessThan(2_000_000);
    const edge = value(m, 'livepipe_live_edge_latency_seconds', { rung: '360p' })!;
    expect(edge).toBeGreaterThanOrEqual(0);
    expect(edge).toBeLessThan(6);
    expect(value(m, 'livepipe_origin_retries_total', { origin })).toBe(0);
    expect(value(m, 'livepipe_origin_errors_total', { origin })).toBe(0);
    expect(value(m, 'livepipe_origin_up', { origin })).toBe(1);
    expect(value(m, 'livepipe_ffmpeg_restarts_total')).toBe(0);

    const result = await cli;
    expect(result.exitCode).toBe(0);
    // The server goes away with the stream.
    await expect(fetch(url)).rejects.toThrow();
  });

  it('serve --metrics-port serves process metrics until it stops', async () => {
    const cli = startCli(['serve', '--port', '0', '--metrics-port', '0']);
    running.push(cli);
    const line = await waitForLine(cli.stderr!, /metrics: (http:\/\/127\.0\.0\.1:\d+\/metrics)\n[\s\S]*listening on/);
    const m = await scrape(line[1]!);
    expect(value(m, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(value(m, 'process_start_time_seconds')).toBeGreaterThan(1_600_000_000);
    cli.kill('SIGTERM');
    const result = await cli;
    expect(result.exitCode).toBe(0);
    await expect(fetch(line[1]!)).rejects.toThrow();
  });
});
