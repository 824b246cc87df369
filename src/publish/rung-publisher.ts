import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { EventBus, PipelineEvent } from '../events.js';
import { parseMediaPlaylist, type MediaPlaylistInfo } from '../hls/media-playlist.js';
import { DiscontinuityTracker } from './discontinuity-tracker.js';
import type { OriginWriter } from './origin-writer.js';
import { segmentNumber } from './output-file.js';

interface SegmentEntry {
  key: string;
  /** Content hash: a file that reappears under a known name with other content is a new file (see addSegment). */
  digest: string;
  /** Order in which segments were seen; decides what is older than a playlist's first segment. */
  arrival: number;
  bytes: number;
  arrivedAt: number;
  acked: boolean;
  /** Resolves true once acknowledged, false if abandoned (left the window, or failed for good). */
  done: Promise<boolean>;
  abort: AbortController;
  /** Publish count at which the entry stopped being referenced; deleted `grace` publishes later. */
  retiredAt?: number;
  /** Date.now() when it stopped being referenced. */
  retiredTime?: number;
}

interface PendingPlaylist {
  version: number;
  text: string;
  info: MediaPlaylistInfo;
  arrivedAt: number;
  /** Init sections as they were on disk when this playlist arrived (ffmpeg rewrites them in place on a restart). */
  inits: Map<string, Buffer>;
}

export interface RungPublisherOptions {
  keep: boolean;
  /** Published playlists to wait, after a segment leaves the window, before deleting it. */
  deleteGrace: number;
}

/**
 * Publishes one rung in a safe order: every segment a playlist references is acknowledged before
 * the playlist; only the newest playlist is sent; a segment is deleted only after no published
 * playlist references it (plus a grace for players and CDN edges holding an older playlist).
 */
export class RungPublisher {
  private readonly entries = new Map<string, SegmentEntry>();
  private arrivals = 0;
  private latest: PendingPlaylist | undefined;
  private versions = 0;
  private publishedVersion = 0;
  private publishedRefs = new Set<string>();
  private publishCount = 0;
  private draining: Promise<void> | undefined;
  published: MediaPlaylistInfo | undefined;
  private idleWaiters: Array<() => void> = [];
  /** --keep: segments go to the origin one at a time, in the order ffmpeg wrote them. */
  private uploadChain: Promise<unknown> = Promise.resolve();
  /** Segment files are read one at a time, in the order they were reported. */
  private intake: Promise<void> = Promise.resolve();
  private readonly discontinuities = new DiscontinuityTracker();

  constructor(
    readonly rung: string,
    private readonly dir: string,
    private readonly writer: OriginWriter,
    private readonly events: EventBus,
    private readonly opts: RungPublisherOptions,
  ) {}

  /**
   * A complete media segment on disk (renamed into place by ffmpeg). fMP4 init sections are not
   * written through a temp file, so they are read only once a playlist references them.
   *
   * A known name with other content is a new segment: ffmpeg killed between renaming a segment and
   * listing it in a playlist writes that name again after its restart (append_list continues from the
   * playlist). The new content replaces the old upload.
   */
  addSegment(file: string): Promise<void> {
    // Files are taken in the order they are reported (ffmpeg's order), whatever the reads' timing.
    const added = this.intake.then(async () => {
      const name = path.basename(file);
      if (this.isBehindWindow(name)) return;
      let body: Buffer;
      try {
        body = await readFile(file);
      } catch {
        return; // deleted by ffmpeg before we got to it: it has left the window
      }
      this.ensureUploaded(name, body);
    });
    this.intake = added.catch(() => undefined);
    return added;
  }

  /** Starts uploading `body` under `name` unless that very content is already uploaded or uploading. */
  private ensureUploaded(name: string, body: Buffer): void {
    const known = this.entries.get(name);
    const digest = digestOf(body);
    if (known && known.digest === digest) return;
    if (this.isBehindWindow(name)) return;
    if (known && !known.acked) known.abort.abort();
    this.startUpload(name, body, digest);
  }

  /**
   * Without --keep, a segment older than the first one the newest playlist lists has left the window
   * for good: it is never uploaded late (e.g. after an origin outage, or by the rescan at the end).
   */
  private isBehindWindow(name: string): boolean {
    if (this.opts.keep || !this.latest || !/\.(ts|m4s)$/.test(name)) return false;
    const info = this.latest.info;
    if (info.segments.includes(name)) return false;
    return segmentNumber(name) < segmentNumber(info.segments[0]!);
  }

  /** A new version of this rung's media playlist. */
  async addPlaylist(file: string): Promise<void> {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      return;
    }
    if (text === this.latest?.text) return; // the same version seen twice (event and final rescan)
    const info = parseMediaPlaylist(text);
    if (info.segments.length === 0) return;
    // Read the init sections now: they are complete when a playlist that lists them is written, and a
    // restarted ffmpeg truncates and rewrites them in place.
    const inits = new Map<string, Buffer>();
    for (const name of info.initSegments) {
      const body = await readFile(path.join(this.dir, name)).catch(() => undefined);
      if (body && body.length > 0) inits.set(name, body);
    }
    this.discontinuities.note(text);
    this.latest = { version: ++this.versions, text, info, arrivedAt: Date.now(), inits };
    this.abandonUnreferenced(info);
    this.draining ??= this.drain().finally(() => {
      this.draining = undefined;
      if (this.isIdle()) this.idleWaiters.splice(0).forEach((w) => w());
    });
  }

  isIdle(): boolean {
    return this.latest === undefined || this.latest.version === this.publishedVersion;
  }

  /** Resolves once the newest playlist seen has been published. */
  whenIdle(): Promise<void> {
    if (this.isIdle() && !this.draining) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  get publishedFinal(): boolean {
    return this.published?.ended ?? false;
  }

  private startUpload(name: string, body: Buffer, digest: string): SegmentEntry {
    const key = `${this.rung}/${name}`;
    const abort = new AbortController();
    const entry: SegmentEntry = {
      key, digest, arrival: this.arrivals++, bytes: body.length, arrivedAt: Date.now(), acked: false, abort,
      done: Promise.resolve(false),
    };
    let upload: Promise<void>;
    if (this.opts.keep) {
      // Every segment is kept: upload them in order, so that the origin never holds a gap behind the
      // newest segment (after an outage the backlog drains oldest first).
      upload = this.uploadChain.then(() => this.writer.putSegment(key, body, abort.signal));
      this.uploadChain = upload.catch(() => undefined);
    } else {
      upload = this.writer.putSegment(key, body, abort.signal);
    }
    entry.done = upload.then(
      () => {
        entry.acked = true;
        this.writer.stats.segments++;
        this.events.emit(PipelineEvent.SegmentPublished, {
          rung: this.rung, key, sequence: segmentNumber(name), bytes: body.length, latencyMs: Date.now() - entry.arrivedAt,
        });
        return true;
      },
      (e: unknown) => {
        if (!abort.signal.aborted) this.events.emit(PipelineEvent.Error, { message: `giving up on ${key}: ${(e as Error).message}` });
        if (this.entries.get(name) === entry) this.entries.delete(name);
        return false;
      },
    );
    this.entries.set(name, entry);
    return entry;
  }

  private async drain(): Promise<void> {
    while (this.latest && this.latest.version !== this.publishedVersion) {
      const pending = this.latest;
      const ready = await this.segmentsReady(pending);
      if (pending !== this.latest) continue; // superseded while waiting: only the newest goes out
      if (!ready) {
        this.events.emit(PipelineEvent.Warning, { message: `${this.rung}: playlist skipped, a segment it lists is missing locally` });
        this.publishedVersion = pending.version;
        break;
      }
      const abort = new AbortController();
      const supersede = setInterval(() => pending !== this.latest && !pending.info.ended && abort.abort(), 50);
      try {
        await this.writer.put(`${this.rung}/index.m3u8`, Buffer.from(this.discontinuities.apply(pending.text, pending.info.mediaSequence)), abort.signal);
      } catch {
        if (abort.signal.aborted) continue;
        this.publishedVersion = pending.version;
        break;
      } finally {
        clearInterval(supersede);
      }
      this.markPublished(pending);
    }
  }

  /**
   * Makes sure every referenced file is uploading (reading it from disk if the watcher missed it), then
   * waits. An upload replaced by newer content under the same name meanwhile is waited for again.
   */
  private async segmentsReady(pending: PendingPlaylist): Promise<boolean> {
    const { info } = pending;
    for (;;) {
      const waits: Array<[string, SegmentEntry]> = [];
      for (const name of info.initSegments) {
        const body = pending.inits.get(name);
        if (body) this.ensureUploaded(name, body);
        else if (!this.entries.has(name)) await this.addSegment(path.join(this.dir, name));
        const entry = this.entries.get(name);
        if (!entry) return false;
        waits.push([name, entry]);
      }
      for (const name of info.segments) {
        if (!this.entries.has(name)) await this.addSegment(path.join(this.dir, name));
        const entry = this.entries.get(name);
        if (!entry) return false;
        waits.push([name, entry]);
      }
      const results = await Promise.all(waits.map(([, e]) => e.done));
      if (results.every(Boolean)) return true;
      if (pending !== this.latest) return false;
      const failed = waits.filter((_, i) => !results[i]);
      // Retry only when every failed upload has been replaced by another one under the same name.
      if (!failed.every(([name, e]) => this.entries.has(name) && this.entries.get(name) !== e)) return false;
    }
  }

  private markPublished(p: PendingPlaylist): void {
    this.publishedVersion = p.version;
    this.published = p.info;
    this.publishedRefs = new Set([...p.info.initSegments, ...p.info.segments]);
    this.publishCount++;
    this.writer.stats.playlists++;
    this.events.emit(PipelineEvent.PlaylistPublished, {
      rung: this.rung, key: `${this.rung}/index.m3u8`, mediaSequence: p.info.mediaSequence,
      segments: p.info.segments.length, final: p.info.ended, latencyMs: Date.now() - p.arrivedAt,
    });
    if (!this.opts.keep) this.retireOldSegments(p.info);
  }

  private retireOldSegments(info: MediaPlaylistInfo): void {
    const first = this.entries.get(info.segments[0]!);
    if (!first) return;
    for (const [name, entry] of this.entries) {
      if (!entry.acked || this.publishedRefs.has(name) || entry.arrival >= first.arrival) continue;
      entry.retiredAt ??= this.publishCount;
      entry.retiredTime ??= Date.now();
      if (this.publishCount - entry.retiredAt < this.opts.deleteGrace) continue;
      this.entries.delete(name);
      void this.writer.delete(entry.key).then((ok) => {
        if (ok) this.events.emit(PipelineEvent.SegmentDeleted, { rung: this.rung, key: entry.key });
      });
    }
  }

  /** Segments still uploading that the newest playlist no longer lists have left the window: do not upload them late. */
  private abandonUnreferenced(info: MediaPlaylistInfo): void {
    if (this.opts.keep) return;
    const wanted = new Set([...info.initSegments, ...info.segments]);
    const first = this.entries.get(info.segments[0]!);
    for (const [name, entry] of this.entries) {
      if (entry.acked || wanted.has(name) || this.publishedRefs.has(name)) continue;
      if (first && entry.arrival > first.arrival) continue; // newer than this playlist: still coming into it
      entry.abort.abort();
    }
  }

  /** Deletes every retired segment now (at the end of a stream), keeping what the final playlist lists. */
  async flushDeletes(): Promise<void> {
    if (this.opts.keep || !this.published) return;
    const jobs: Array<Promise<void>> = [];
    const first = this.entries.get(this.published.segments[0]!);
    // Players and CDN edges that read the playlist before the final one may still ask for what it
    // listed: as mid-stream, a segment goes only some time after it left the window.
    const graceMs = endOfStreamGraceMs(this.published.targetDuration);
    for (const [name, entry] of this.entries) {
      if (!entry.acked || this.publishedRefs.has(name) || (first && entry.arrival >= first.arrival)) continue;
      this.entries.delete(name);
      const waitMs = (entry.retiredTime ?? Date.now()) + graceMs - Date.now();
      jobs.push((async () => {
        if (waitMs > 0) await sleep(waitMs);
        if (await this.writer.delete(entry.key)) this.events.emit(PipelineEvent.SegmentDeleted, { rung: this.rung, key: entry.key });
      })());
    }
    await Promise.all(jobs);
  }

  /** Stops every upload still in progress (the stream is being abandoned). */
  abortAll(): void {
    for (const entry of this.entries.values()) entry.abort.abort();
  }
}

/**
 * At the end of a stream: 1.5 target durations (a player polls its playlist about once a target
 * duration) since a segment left the window, within 1–6 s, so that stopping stays quick.
 */
function endOfStreamGraceMs(targetDurationSeconds: number): number {
  return Math.min(6_000, Math.max(1_000, 1_500 * (targetDurationSeconds || 1)));
}

/**
 * A fingerprint that tells a rewritten file from the one uploaded under the same name: a restarted
 * ffmpeg's segment differs in its first packets (timestamps, continuity counters) and usually in length,
 * so hashing the length and both ends is enough, and costs a fraction of hashing megabytes per segment.
 */
function digestOf(body: Buffer): string {
  const edge = 64 * 1024;
  const hash = createHash('sha1').update(String(body.length));
  if (body.length <= 2 * edge) return hash.update(body).digest('hex');
  return hash.update(body.subarray(0, edge)).update(body.subarray(body.length - edge)).digest('hex');
}
