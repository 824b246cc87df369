import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { EventBus, PipelineEvent } from '../events.js';
import type { Origin } from '../origins/origin.js';
import { OriginWriter, type PublishStats } from './origin-writer.js';
import { RungPublisher } from './rung-publisher.js';
import type { OutputFile } from './output-file.js';

export interface PublisherOptions {
  keep: boolean;
  deleteGrace: number;
  maxInFlight: number;
  /** Rewrites the master before it is published (e.g. to add attributes ffmpeg leaves out). */
  transformMaster?: (text: string) => string;
}

/**
 * Routes complete files from the output folder to one RungPublisher per rung, and publishes the
 * master once every rung it lists has a published playlist.
 */
export class Publisher {
  readonly writer: OriginWriter;
  private readonly rungs = new Map<string, RungPublisher>();
  private pendingMaster: string | undefined;
  private publishedMaster: string | undefined;
  private masterWork: Promise<void> = Promise.resolve();
  private readonly handling = new Set<Promise<void>>();

  constructor(
    origin: Origin,
    private readonly outDir: string,
    private readonly events: EventBus,
    private readonly opts: PublisherOptions,
  ) {
    this.writer = new OriginWriter(origin, events, opts.maxInFlight);
  }

  get stats(): PublishStats {
    return this.writer.stats;
  }

  /** Takes a complete file; finish() waits for every file handed in before it. */
  handle(file: OutputFile): Promise<void> {
    const work = this.route(file).finally(() => this.handling.delete(work));
    this.handling.add(work);
    return work;
  }

  private async route(file: OutputFile): Promise<void> {
    switch (file.kind) {
      case 'segment':
        return this.rung(file.rung).addSegment(file.path);
      case 'init':
        return; // not renamed into place by ffmpeg: read when a playlist lists it
      case 'playlist':
        await this.rung(file.rung).addPlaylist(file.path);
        this.maybePublishMaster();
        return;
      case 'master':
        return this.addMaster(file.path);
    }
  }

  /** Waits until the newest playlist of every rung and the master are published, or the deadline passes. */
  async finish(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    const settled = (async () => {
      await Promise.all([...this.handling]);
      await Promise.all([...this.rungs.values()].map((r) => r.whenIdle()));
      this.maybePublishMaster();
      await this.masterWork;
      await Promise.all([...this.rungs.values()].map((r) => r.flushDeletes()));
      return true as const;
    })();
    const ok = await Promise.race([settled, deadline]);
    clearTimeout(timer);
    if (!ok) for (const r of this.rungs.values()) r.abortAll();
    return ok && this.masterPublished;
  }

  get masterPublished(): boolean {
    return this.publishedMaster !== undefined;
  }

  rungNames(): string[] {
    return [...this.rungs.keys()];
  }

  private rung(name: string): RungPublisher {
    let r = this.rungs.get(name);
    if (!r) {
      r = new RungPublisher(name, path.join(this.outDir, name), this.writer, this.events, {
        keep: this.opts.keep,
        deleteGrace: this.opts.deleteGrace,
      });
      this.rungs.set(name, r);
    }
    return r;
  }

  private async addMaster(file: string): Promise<void> {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      return;
    }
    this.pendingMaster = this.opts.transformMaster ? this.opts.transformMaster(text) : text;
    this.maybePublishMaster();
  }

  /** The master goes out once, after every rung it lists exists on the origin (and again only if it changes). */
  private maybePublishMaster(): void {
    const text = this.pendingMaster;
    if (text === undefined || text === this.publishedMaster) return;
    const uris = text.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#'));
    const ready = uris.every((uri) => this.rungs.get(uri.split('/')[0]!)?.published !== undefined);
    if (!ready) return;
    this.pendingMaster = undefined;
    this.masterWork = this.masterWork.then(async () => {
      try {
        await this.writer.put('master.m3u8', Buffer.from(text));
        this.publishedMaster = text;
        this.events.emit(PipelineEvent.MasterPublished, { key: 'master.m3u8', renditions: uris.map((u) => u.split('/')[0]!) });
      } catch (e) {
        this.pendingMaster ??= text;
        this.events.emit(PipelineEvent.Error, { message: `master playlist not published: ${(e as Error).message}` });
      }
    });
  }
}
