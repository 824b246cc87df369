import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { EventBus, PipelineEvent } from '../events.js';
import { parseMediaPlaylist, type MediaPlaylistInfo } from '../hls/media-playlist.js';
import type { OriginWriter } from './origin-writer.js';

interface SegmentEntry {
  key: string;
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
}

interface PendingPlaylist {
  version: number;
  text: string;
  info: MediaPlaylistInfo;
  arrivedAt: number;
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
   */
  async addSegment(file: string): Promise<void> {
    const name = path.basename(file);
    if (this.entries.has(name)) return;
    let body: Buffer;
    try {
      body = await readFile(file);
    } catch {
      return; // deleted by ffmpeg before we got to it: it has left the window
    }
    if (this.entries.has(name)) return;
    this.startUpload(name, body);
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
    this.latest = { version: ++this.versions, text, info, arrivedAt: Date.now() };
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

  private startUpload(name: string, body: Buffer): SegmentEntry {
    const key = `${this.rung}/${name}`;
    const abort = new AbortController();
    const entry: SegmentEntry = {
      key, arrival: this.arrivals++, bytes: body.length, arrivedAt: Date.now(), acked: false, abort,
      done: Promise.resolve(false),
    };
    entry.done = this.writer.putSegment(key, body, abort.signal).then(
      () => {
        entry.acked = true;
        this.writer.stats.segments++;
        this.events.emit(PipelineEvent.SegmentPublished, {
          rung: this.rung, key, sequence: sequenceOf(name), bytes: body.length, latencyMs: Date.now() - entry.arrivedAt,
        });
        return true;
      },
      (e: unknown) => {
        if (!abort.signal.aborted) this.events.emit(PipelineEvent.Error, { message: `giving up on ${key}: ${(e as Error).message}` });
        this.entries.delete(name);
        return false;
      },
    );
    this.entries.set(name, entry);
    return entry;
  }

  private async drain(): Promise<void> {
    while (this.latest && this.latest.version !== this.publishedVersion) {
      const pending = this.latest;
      const ready = await this.segmentsReady(pending.info);
      if (pending !== this.latest) continue; // superseded while waiting: only the newest goes out
      if (!ready) {
        this.events.emit(PipelineEvent.Warning, { message: `${this.rung}: playlist skipped, a segment it lists is missing locally` });
        this.publishedVersion = pending.version;
        break;
      }
      const abort = new AbortController();
      const supersede = setInterval(() => pending !== this.latest && !pending.info.ended && abort.abort(), 50);
      try {
        await this.writer.put(`${this.rung}/index.m3u8`, Buffer.from(pending.text), abort.signal);
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

  /** Makes sure every referenced file is uploading (reading it from disk if the watcher missed it), then waits. */
  private async segmentsReady(info: MediaPlaylistInfo): Promise<boolean> {
    const names = [...info.initSegments, ...info.segments];
    const waits: Array<Promise<boolean>> = [];
    for (const name of names) {
      let entry = this.entries.get(name);
      if (!entry) {
        await this.addSegment(path.join(this.dir, name));
        entry = this.entries.get(name);
      }
      if (!entry) return false;
      waits.push(entry.done);
    }
    return (await Promise.all(waits)).every(Boolean);
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
    const jobs: Array<Promise<boolean>> = [];
    const first = this.entries.get(this.published.segments[0]!);
    for (const [name, entry] of this.entries) {
      if (!entry.acked || this.publishedRefs.has(name) || (first && entry.arrival >= first.arrival)) continue;
      this.entries.delete(name);
      jobs.push(this.writer.delete(entry.key));
    }
    await Promise.all(jobs);
  }

  /** Stops every upload still in progress (the stream is being abandoned). */
  abortAll(): void {
    for (const entry of this.entries.values()) entry.abort.abort();
  }
}

function sequenceOf(name: string): number {
  const m = /(\d+)\.[a-z0-9]+$/i.exec(name);
  return m ? Number(m[1]) : -1;
}
