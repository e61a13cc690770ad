// A placement run: the state one execution of a plan on one device holds (the catalog being kept, the plan sorted
// into copies and removals, the pending list, counts, the first device error), and the routines its stages share.
import { promises as fsp, realpathSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomicSync } from '../../base/index.js';
import type { DeviceProfile, Operation } from '../../rules/index.js';
import { CATALOG_FILE, TEMP_PREFIX, type CatalogRecord } from '../catalog/record.js';
import { catalogBytes } from '../catalog/format.js';
import { readCatalogRecords, writeCatalog } from '../catalog/file.js';
import { deviceDir } from '../contain.js';
import { isPerFileError, unsafeTarget } from '../copy.js';
import { DeviceIoError } from '../errors.js';
import { LEGACY_PENDING_FILE, PENDING_FILE, type Pending } from '../pending.js';
import { PROFILE_DIR } from '../profile.js';
import type { TrashPlace } from '../trash.js';
import { dirOf, errCode, type CopyOp, type ExecuteOptions, type ExecuteProgress, type ExecuteResult } from './types.js';

/** The first error that concerns the device as a whole: the run stops and throws DeviceIoError naming `target`. */
export interface Fatal {
  target: string;
  error: unknown;
}

export class PlacementRun {
  readonly res: ExecuteResult = { copied: 0, removed: 0, skipped: 0, bytes: 0, errors: [], skips: [], recovered: 0, tempRemoved: 0, trashed: [] };
  readonly now: () => Date;
  readonly pendingPath: string;
  readonly legacyPendingPath: string;
  /** Why each op's target is refused (undefined: fine, or a skip op). */
  readonly unsafe: (string | undefined)[];
  /** Each op's target folder ('' for skip ops and refused targets). */
  readonly opDirs: string[];
  /** The folders this plan copies into. */
  readonly planDirs = new Set<string>();
  /** Those of them the device lacks (found by classification): see copy-tree.ts. */
  readonly missingDirs = new Set<string>();
  readonly fsync: boolean;
  readonly verify: boolean;
  /** The catalog as the run keeps it (written by {@link flush}); `dirty` once it differs from what is on the device. */
  dirty = false;
  /** What an interrupted run's pending list said (see recover.ts). */
  prev: Pending | undefined;
  // Classification (classify.ts): the copies to make (sorted by target), the catalog's records to remove.
  copies: CopyOp[] = [];
  removes: CatalogRecord[] = [];
  readonly removeReasons = new Map<string, string>();
  // The pending list (space.ts makes the records): each copy's catalog record, made before anything is placed.
  records: CatalogRecord[] = [];
  readonly recordByOp = new Map<CopyOp, CatalogRecord>();
  totalBytes = 0;
  trash: TrashPlace | false;
  done = 0;
  fatal: Fatal | undefined;
  private pendingState: { error: unknown } | undefined;
  private lastFlush = Date.now();
  private unflushed = 0;
  private flushing: Promise<void> | undefined;
  private rootReal = '';
  private readonly dirReady = new Map<string, Promise<void>>();
  /** Folders made and checked: no await needed. */
  readonly dirsDone = new Set<string>();
  /** Any name with the temp prefix is cleaned up after an interruption; unique within the run is enough. */
  readonly runTag = `${process.pid.toString(36)}${Math.floor(Math.random() * 36 ** 4).toString(36)}-`;
  private tmpSeq = 0;
  readonly rootSlash: string;

  private constructor(
    readonly root: string,
    readonly profile: DeviceProfile,
    readonly ops: Operation[],
    readonly opts: ExecuteOptions,
    readonly catalog: Map<string, CatalogRecord>,
  ) {
    this.now = opts.now ?? (() => new Date());
    this.pendingPath = path.join(root, PENDING_FILE);
    this.legacyPendingPath = path.join(root, LEGACY_PENDING_FILE);
    this.unsafe = ops.map((o) => (o.kind === 'skip' ? undefined : unsafeTarget(o.target)));
    this.opDirs = ops.map((o, i) => {
      if (o.kind === 'skip' || this.unsafe[i]) return '';
      const d = dirOf(o.target);
      if (o.kind === 'copy') this.planDirs.add(d);
      return d;
    });
    this.fsync = opts.fsync ?? true;
    this.verify = opts.verifyHash ?? true;
    this.trash = opts.trash ?? { kind: 'device' };
    this.rootSlash = root.endsWith('/') ? root : `${root}/`;
  }

  /** A run on the device at `root` (its preconditions checked: see preconditions.ts), with its catalog read. */
  static async open(root: string, profile: DeviceProfile, ops: Operation[], opts: ExecuteOptions): Promise<PlacementRun> {
    return new PlacementRun(root, profile, ops, opts, new Map((await readCatalogRecords(root)).map((r) => [r.path, r])));
  }

  skip(reason: string, target?: string, content?: string): void {
    this.res.skipped++;
    this.res.skips.push({ target, content, reason });
  }

  progress(phase: ExecuteProgress['phase'], target?: string): void {
    this.opts.onProgress?.({ phase, done: this.done, total: this.copies.length + this.removes.length, bytes: this.res.bytes, totalBytes: this.totalBytes, target });
  }

  stopped(): boolean {
    return this.fatal !== undefined || this.opts.signal?.aborted === true;
  }

  /**
   * Make the pending list durable (once, synchronously; the records' bytes are built here once, the catalog writes
   * then only concatenate them). Runs right before the first removal or rename into place; throws what writing it
   * threw, every time it is called after a failure.
   */
  writePending(): void {
    if (!this.pendingState) {
      this.pendingState = { error: undefined };
      if (this.copies.length || this.removes.length) {
        try {
          deviceDir(this.root, PROFILE_DIR, true);
          writeFileAtomicSync(this.pendingPath, catalogBytes(this.profile.id, this.records), { mode: 0o666 });
        } catch (e) {
          this.pendingState.error = e;
        }
      }
    }
    if (this.pendingState.error) throw this.pendingState.error;
  }

  /**
   * {@link writePending}, its failure the run's device error (the list is on the device: a pulled card fails it):
   * false then, and nothing may be removed or renamed into place.
   */
  pendingReady(): boolean {
    try {
      this.writePending();
      return true;
    } catch (e) {
      this.fatal ??= { target: PENDING_FILE, error: e };
      return false;
    }
  }

  /** A catalog change made by the run (a removal, a copy). */
  changed(): void {
    this.dirty = true;
    this.unflushed++;
  }

  /** Write the catalog (at most one write at a time). */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    if (!this.dirty) return;
    this.dirty = false;
    this.unflushed = 0;
    this.lastFlush = Date.now();
    // By path. When the catalog holds only this run's records (a device filled for the first time), they are in
    // target order already.
    const ours = this.catalog.size <= this.records.length ? this.records.filter((r) => this.catalog.get(r.path) === r) : [];
    const sorted = ours.length === this.catalog.size ? ours : [...this.catalog.values()].sort((a, b) => (a.path < b.path ? -1 : 1));
    this.flushing = writeCatalog(this.root, this.profile.id, sorted).finally(() => (this.flushing = undefined));
    await this.flushing;
  }

  /** Write the catalog in the background every flushMs or flushEvery files. */
  private maybeFlush(): void {
    if (this.flushing || !this.dirty) return;
    if (this.unflushed >= (this.opts.flushEvery ?? 20_000) || Date.now() - this.lastFlush >= (this.opts.flushMs ?? 10_000)) void this.flush().catch(() => undefined);
  }

  /** The folder `d` made on the device, each level checked (lstat: not a link), and found inside the device. */
  ensureDir(d: string): Promise<void> {
    let p = this.dirReady.get(d);
    if (!p) {
      // Synchronous (a mkdir and a realpath, once per folder): a thread-pool round trip each cost more.
      p = (async () => {
        const abs = deviceDir(this.root, d, true)!;
        const real = realpathSync(abs);
        if (real !== this.rootReal && !real.startsWith(this.rootReal + '/')) throw Object.assign(new Error(`${d} leads outside the device`), { code: 'EUNSAFE' });
        this.dirsDone.add(d);
      })();
      this.dirReady.set(d, p);
    }
    return p;
  }

  /** Resolve the device root's real path, before the first folder is made (ensureDir checks folders against it). */
  resolveRoot(): void {
    this.rootReal = realpathSync(this.root);
  }

  /** A temp name in the op's target folder, unique within the run. */
  tmpOf(op: CopyOp): string {
    const d = dirOf(op.target);
    return `${this.rootSlash}${d ? `${d}/` : ''}${TEMP_PREFIX}${this.runTag}${(this.tmpSeq++).toString(36)}`;
  }

  /** The pending list's record for a copy, if it was placed with the planned size. */
  recordOf(op: CopyOp, n: number): CatalogRecord | undefined {
    return n === op.size ? this.recordByOp.get(op) : undefined;
  }

  /** A copy is in place (`n` bytes): catalogued (with its pending record, or a new one placed now). */
  placed(op: CopyOp, n: number, record?: CatalogRecord): void {
    const rec = record ?? { path: op.target, content: op.content, size: n, rule: op.rule, values: op.values, placedAt: this.now().toISOString() };
    this.catalog.set(op.target, rec);
    this.changed();
    this.res.copied++;
    this.res.bytes += n;
    this.done++;
    this.progress('copy', op.target);
    this.maybeFlush();
  }

  /** A copy failed: reported if the error concerns that file only, else the run stops (the first such error). */
  failed(op: CopyOp, e: unknown): void {
    if (isPerFileError(e) || errCode(e) === 'EUNSAFE') {
      this.res.errors.push({ target: op.target, content: op.content, code: errCode(e) ?? (e as Error).name, message: (e as Error).message });
    } else this.fatal ??= { target: op.target, error: e };
  }

  /**
   * Last stage: the catalog written, then the run's outcome: DeviceIoError after a device error, the signal's reason
   * after a stop, else the pending list removed and the result.
   */
  async finish(): Promise<ExecuteResult> {
    try {
      this.dirty ||= this.unflushed > 0;
      await this.flush();
    } catch (e) {
      this.fatal ??= { target: CATALOG_FILE, error: e };
    }
    if (this.fatal) throw new DeviceIoError(this.root, this.fatal.target, errCode(this.fatal.error), this.res, this.fatal.error);
    if (this.opts.signal?.aborted) throw this.opts.signal.reason ?? new Error('aborted');
    await fsp.rm(this.pendingPath, { force: true }).catch(() => undefined);
    if (this.prev) await fsp.rm(this.legacyPendingPath, { force: true }).catch(() => undefined);
    this.progress('done');
    return this.res;
  }
}
