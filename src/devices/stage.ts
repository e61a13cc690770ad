// Staging: while a device's plan is still being made, the copy thread already writes (and syncs) the bytes of content
// the plan is placing under temp names in `.semsync/staging/`; the run then only renames each onto its target.
import { mkdirSync, promises as fsp, rmSync, statfsSync } from 'node:fs';
import path from 'node:path';
import { TEMP_PREFIX } from './catalog.js';
import { deviceDir } from './contain.js';
import type { ScannedSource } from './copy-protocol.js';
import { CopyThread } from './copy-thread.js';
import { PROFILE_DIR } from './profile.js';

export const STAGING_DIR = `${PROFILE_DIR}/staging`;
/** Files up to this size are staged (and copied in synchronous batches). */
export const STAGE_MAX_SIZE = 4 << 20;
/** Staging starts once a plan has named this many files to stage (below it, a thread costs more than it saves). */
export const STAGE_MIN_FILES = 256;
const BATCH_FILES = 64;
const HEX = /^[0-9a-f]+$/i; // 64 digits: checked by length
const BATCH_BYTES = 16 << 20;

/**
 * Remove what an interrupted run left in the staging folder (never renamed anywhere: it is not on the device yet).
 * Throws DeviceEscapeError, removing nothing, when `.semsync` is a symbolic link (its `staging` would be another
 * folder's); a `staging` that is itself a link is removed as a link (rm does not follow it).
 */
export async function clearStaging(root: string): Promise<void> {
  if (!deviceDir(root, PROFILE_DIR, false)) return;
  await fsp.rm(path.join(root, STAGING_DIR), { recursive: true, force: true });
}

/** One file handed to the copy thread to stage. */
export interface StagedItem {
  content: string;
  source: string;
  tmp: string;
  size: number;
  /** The source's mtime as the scan that hashed it recorded (NaN: unknown): unchanged since, it is not hashed again. */
  mtimeMs: number;
}

/** A batch handed to the copy thread: `done` resolves with, per item, whether it is staged (written and synced). */
export interface StagedBatch {
  items: StagedItem[];
  done: Promise<boolean[]>;
}

/**
 * Content being staged for one run on one device. Nothing here touches a final name: a crash leaves only files in
 * `.semsync/staging/`, which the next run deletes. Starts (a copy thread, the staging folder) only once a plan has
 * named {@link STAGE_MIN_FILES} files to stage, so small plans cost nothing; writes at most 90% of the free space.
 */
export class Stager {
  /** The copy thread, once staging started; the run's other small copies go through it too. */
  thread: CopyThread | undefined;
  private readonly staged = new Map<string, string>(); // content -> staged path
  private readonly waiting: StagedItem[] = [];
  private batch: StagedItem[] = [];
  private batchBytes = 0;
  private budget = 0;
  private block = 4096;
  private failed = false;
  private readonly batches: StagedBatch[] = [];

  private readonly dir: string; // the staging folder and the temp prefix

  constructor(readonly root: string, private readonly fsync: boolean) {
    this.dir = path.join(root, STAGING_DIR);
  }

  /**
   * Stage `content`'s bytes from the local file `source` (small files only; once per content). `scanned`: what the scan
   * that hashed the source recorded; a source still at that size and mtime is not hashed again while staged.
   */
  add(content: string, source: string, size: number, scanned?: ScannedSource): void {
    if (size > STAGE_MAX_SIZE || this.failed || this.thread?.stopped) return;
    const hex = content.length === 75 && content.startsWith('urn:sha256:') ? content.slice(11) : '';
    if (!HEX.test(hex)) return;
    const mtimeMs = scanned && scanned.size === size ? scanned.mtimeMs : NaN;
    const item = { source, tmp: hex.toLowerCase(), size, content, mtimeMs }; // its path once it has a batch
    if (!this.thread) {
      this.waiting.push(item);
      if (this.waiting.length < STAGE_MIN_FILES || !this.start()) return;
      for (const w of this.waiting.splice(0)) this.queue(w);
      return;
    }
    this.queue(item);
  }

  private start(): boolean {
    try {
      deviceDir(this.root, PROFILE_DIR, true);
      rmSync(path.join(this.root, STAGING_DIR), { recursive: true, force: true });
      mkdirSync(path.join(this.root, STAGING_DIR));
      const sfs = statfsSync(this.root);
      this.budget = Math.floor(sfs.bavail * sfs.bsize * 0.9);
      this.block = Math.max(512, sfs.bsize);
    } catch {
      this.failed = true; // the run copies as usual and reports the device's trouble
      return false;
    }
    this.thread = new CopyThread(this.fsync);
    return true;
  }

  private queue(item: StagedItem): void {
    if (this.staged.has(item.content)) return;
    const cost = Math.ceil(Math.max(1, item.size) / this.block) * this.block;
    if (cost > this.budget) return;
    this.budget -= cost;
    // A folder per batch: the copy thread creates files in one while the placing thread renames out of another
    // (one folder would be locked by both, for each create and each rename).
    item.tmp = `${this.dir}/${this.batches.length.toString(36)}/${TEMP_PREFIX}${item.tmp}`;
    this.staged.set(item.content, item.tmp);
    this.batch.push(item);
    this.batchBytes += item.size;
    if (this.batch.length >= BATCH_FILES || this.batchBytes >= BATCH_BYTES) this.send();
  }

  /** Send what is buffered to the copy thread. */
  send(): void {
    if (this.batch.length === 0 || !this.thread) return;
    const items = this.batch;
    const sources: string[] = [];
    const tmps: string[] = [];
    const sizes: number[] = [];
    const hashes: string[] = [];
    const mtimes: number[] = [];
    for (const it of items) {
      sources.push(it.source);
      tmps.push(it.tmp);
      sizes.push(it.size);
      hashes.push(it.content.slice(11).toLowerCase()); // staged only with a urn:sha256: content: checked on the way
      mtimes.push(it.mtimeMs);
    }
    this.batches.push({ items, done: this.thread.stage(`${this.dir}/${this.batches.length.toString(36)}`, sources, tmps, sizes, hashes, mtimes) });
    this.batch = [];
    this.batchBytes = 0;
  }

  /** The batches sent so far, in order: each resolves once the thread staged it (or failed to, item by item). */
  sent(): readonly StagedBatch[] {
    return this.batches;
  }

  /** Where `content` is (being) staged, if it was handed to the copy thread. */
  pathOf(content: string): string | undefined {
    return this.staged.get(content);
  }

  /** Stop the copy thread, then remove the staging folder (what no target took). */
  async close(): Promise<void> {
    if (!this.thread) return;
    this.thread.stop();
    await Promise.allSettled(this.batches.map((b) => b.done));
    // Every batch is answered (and the run awaited its renames): the thread is idle; its exit is not waited for.
    void this.thread.close().catch(() => undefined);
    await clearStaging(this.root).catch(() => undefined);
  }
}
