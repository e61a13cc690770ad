// Executing a placement plan on a device: free-space check, atomic copies, removing only our own files, the catalog.
import { promises as fsp, readdirSync, realpathSync, renameSync, rmSync, statfsSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Operation } from '../rules/types.js';
import { CATALOG_FILE, catalogBytes, TEMP_PREFIX, readCatalogRecords, writeCatalog, type CatalogRecord } from './catalog.js';
import { writeFileAtomicSync } from '../base/index.js';
import { claimState, currentUser } from './claims.js';
import { copyAtomic, copyBatchSync, hashFile, isPerFileError, removeTempFiles, unsafeTarget, type SourceLike } from './copy.js';
import { CopyThread, type ThreadOutcome } from './copy-thread.js';
import { clearStaging, STAGE_MAX_SIZE, type Stager } from './stage.js';
import { deviceDir, deviceFileDir } from './contain.js';
import { DeviceForeignError, DeviceFullError, DeviceIoError, DeviceNotClaimedError } from './errors.js';
import { LEGACY_PENDING_FILE, PENDING_FILE, readPending } from './pending.js';
import { PROFILE_DIR, PROFILE_FILE, readDeviceProfile } from './profile.js';
import { addToTrash, makeRoom, moveToTrash, TRASH_INDEX, type TrashEntry, type TrashPlace } from './trash.js';

type CopyOp = Extract<Operation, { kind: 'copy' }>;

export { PENDING_FILE, LEGACY_PENDING_FILE } from './pending.js';
/** Local files up to this size are copied in synchronous batches. */
const SYNC_MAX_SIZE = STAGE_MAX_SIZE;
/** From this many small files on, they are copied on a copy thread (it costs a thread start, ~20 ms). */
const THREAD_MIN_FILES = 256;
/** Batches handed to the copy thread and not yet answered (bounds what a stop leaves to finish). */
const THREAD_WINDOW = 64;

export interface ExecuteProgress {
  phase: 'remove' | 'copy' | 'done';
  done: number;
  total: number;
  bytes: number;
  totalBytes: number;
  target?: string;
}

export interface ExecuteOptions {
  /** Bytes for a content resource (urn:sha256:...) when the op has no usable local `source`: a path or a stream. */
  readSource?: (content: string, op: CopyOp) => SourceLike | undefined | Promise<SourceLike | undefined>;
  onProgress?: (p: ExecuteProgress) => void;
  /** The claims file: when given, the device must be claimed on this machine by `user`. */
  claims?: string;
  user?: string;
  /** Streams and large files copied at once (default 4). */
  concurrency?: number;
  /** Copy small local files in synchronous batches, like cp (default true; each batch blocks the event loop briefly). */
  syncBatches?: boolean;
  /** fdatasync each file before its rename (default true). */
  fsync?: boolean;
  /**
   * Hash local sources while copying them and refuse (a per-file VerifyError naming the source) one whose bytes are not
   * the content's SHA-256, so no file reaches the device under a content it does not hold (default true; streams are
   * always hashed on the way).
   */
  verifyHash?: boolean;
  /**
   * Write the catalog at least this often while copying (ms, default 10000) or every `flushEvery` files (default
   * 20000). Between writes, the pending list covers what was placed (adopted after a hash check on the next run).
   */
  flushMs?: number;
  flushEvery?: number;
  /** Stop between files; what was done is kept. */
  signal?: AbortSignal;
  /**
   * Content staged while the plan was made (see stage.ts): its copies are renames on the stager's copy thread.
   * The caller closes it. Without one, the run removes whatever an interrupted run left staged.
   */
  staging?: Stager;
  now?: () => Date;
  /**
   * Where removed files go (default: the device's own trash, `.semsync/trash/`; a host target passes the XDG trash).
   * `false` deletes them outright.
   */
  trash?: TrashPlace | false;
}

export interface ExecuteError {
  target?: string;
  content?: string;
  code?: string;
  message: string;
}

export interface ExecuteResult {
  copied: number;
  removed: number;
  /** Ops that needed nothing (already in place), skip ops from the plan, and refused removals. */
  skipped: number;
  /** Bytes copied. */
  bytes: number;
  errors: ExecuteError[];
  /** Why each op was skipped. */
  skips: { target?: string; content?: string; reason: string }[];
  /** Files an interrupted run had placed without cataloguing, found intact and catalogued now. */
  recovered: number;
  /** Leftover temp files removed. */
  tempRemoved: number;
  /** Removed files moved to the trash. */
  trashed: TrashEntry[];
}

const dirOf = (t: string) => {
  const i = t.lastIndexOf('/');
  return i < 0 ? '' : t.slice(0, i);
};
const hexOf = (content: string) => /^urn:sha256:([0-9a-f]{64})$/i.exec(content)?.[1]?.toLowerCase();
const errCode = (e: unknown) => (e as NodeJS.ErrnoException)?.code;
const statOf = (p: string) => fsp.stat(p).catch(() => undefined);
const deviceFileDirOk = (root: string, rel: string) => {
  try {
    return deviceFileDir(root, rel) !== undefined;
  } catch {
    return false;
  }
};
const isSorted = (ops: CopyOp[]) => {
  for (let i = 1; i < ops.length; i++) if (!(ops[i - 1].target < ops[i].target)) return false;
  return true;
};

/**
 * Carry out a plan on the device at `root`. Checks free space first (DeviceFullError), then removes the files
 * semsync placed that the plan removes, then copies each file atomically, recording each in the catalog.
 * Running the same plan again copies nothing. A device I/O error stops the run with DeviceIoError.
 */
export async function executePlan(rootIn: string, ops: Operation[], opts: ExecuteOptions = {}): Promise<ExecuteResult> {
  const root = path.resolve(rootIn);
  const res: ExecuteResult = { copied: 0, removed: 0, skipped: 0, bytes: 0, errors: [], skips: [], recovered: 0, tempRemoved: 0, trashed: [] };
  // A `.semsync` that is a symbolic link (to a host folder) is refused before anything is read or written there.
  deviceDir(root, PROFILE_DIR, false);
  if (!(await statOf(path.join(root, PROFILE_FILE)))) throw new DeviceNotClaimedError(root, `no ${PROFILE_FILE}`);
  const profile = await readDeviceProfile(root);
  if (!profile) throw new DeviceNotClaimedError(root, 'no profile');
  const user = opts.user ?? currentUser();
  if (opts.claims || opts.user) {
    if (profile.owner && profile.owner !== user) throw new DeviceForeignError(root, profile.owner, user);
  }
  if (opts.claims) {
    // Checked before anything is written: claimed here, and this very volume (its claim secret, its filesystem).
    const check = await claimState(opts.claims, root, profile, { user });
    if (check.state !== 'claimed') throw new DeviceNotClaimedError(root, check.note ?? `device ${profile.id} is not claimed on this machine`);
  }
  const now = opts.now ?? (() => new Date());
  const catalog = new Map((await readCatalogRecords(root)).map((r) => [r.path, r]));
  let dirty = false;

  // Finish what an interrupted run left: drop its temp files, catalogue the files it renamed into place.
  const pendingPath = path.join(root, PENDING_FILE);
  const legacyPendingPath = path.join(root, LEGACY_PENDING_FILE);
  const prev = await readPending(pendingPath, legacyPendingPath);
  const unsafe = ops.map((o) => (o.kind === 'skip' ? undefined : unsafeTarget(o.target)));
  const planDirs = new Set<string>();
  const opDirs = ops.map((o, i) => {
    if (o.kind === 'skip' || unsafe[i]) return '';
    const d = dirOf(o.target);
    if (o.kind === 'copy') planDirs.add(d);
    return d;
  });
  res.tempRemoved = await removeTempFiles(root, (prev?.dirs ?? []).filter((d) => !planDirs.has(d)));
  if (!opts.staging?.thread) await clearStaging(root);
  for (const c of prev?.copies ?? []) {
    if (catalog.get(c.target)?.content === c.content || unsafeTarget(c.target)) continue;
    if (!deviceFileDirOk(root, c.target)) continue;
    const st = await statOf(path.join(root, c.target));
    if (!st?.isFile() || st.size !== c.size) continue;
    if ((await hashFile(path.join(root, c.target)).catch(() => '')) !== hexOf(c.content)) continue;
    catalog.set(c.target, { path: c.target, content: c.content, size: c.size, rule: c.rule, values: c.values, placedAt: now().toISOString() });
    res.recovered++;
    dirty = true;
  }

  // Sort the plan: what is already in place, what to copy, what to remove.
  const copies: CopyOp[] = [];
  const removes: CatalogRecord[] = [];
  const removeReasons = new Map<string, string>();
  const seen = new Set<string>();
  const skip = (reason: string, target?: string, content?: string) => {
    res.skipped++;
    res.skips.push({ target, content, reason });
  };
  // What exists: one listing per target folder, then a stat only for names that are there (a new device: no stats).
  // Names are compared case- and normalisation-folded (FAT finds `A.jpg` as `a.jpg`); a near match is stat'ed.
  const fold = (n: string) => n.normalize('NFC').toLowerCase();
  // A planned folder's leftover temp files (an interrupted run's) are removed when it is listed.
  const present = new Map<string, Set<string> | undefined>();
  const names = (d: string) => {
    if (!present.has(d)) {
      let list: Set<string> | undefined;
      const temps: string[] = [];
      const abs = path.join(root, d);
      try {
        deviceDir(root, d, false); // a folder reached through a link is not listed, nor cleaned
        list = new Set();
        for (const n of readdirSync(abs)) {
          if (planDirs.has(d) && n.startsWith(TEMP_PREFIX)) temps.push(n);
          else list.add(fold(n));
        }
      } catch (e) {
        list = errCode(e) === 'ENOENT' ? new Set() : undefined; // undefined: stat each name
        temps.length = 0;
      }
      for (const n of temps) rmSync(path.join(abs, n), { force: true });
      res.tempRemoved += temps.length;
      present.set(d, list);
    }
    return present.get(d);
  };
  for (const d of planDirs) names(d);
  const stats = ops.map((op, i) => {
    if (op.kind === 'skip' || unsafe[i]) return undefined;
    const dir = names(opDirs[i]);
    if (dir && (dir.size === 0 || !dir.has(fold(op.target.slice(op.target.lastIndexOf('/') + 1))))) return undefined;
    return statSync(path.join(root, op.target), { throwIfNoEntry: false });
  });
  ops.forEach((op, i) => {
    if (op.kind === 'skip') return skip(op.reason, undefined, op.content);
    const bad = unsafe[i];
    if (bad) return void res.errors.push({ target: op.target, code: 'EUNSAFE', message: `refused: ${bad}` });
    const st = stats[i];
    const found = catalog.get(op.target);
    const rec = found?.removedAt ? undefined : found; // removed by the person: no file of ours there
    if (op.kind === 'remove') {
      if (!rec) return skip(`not placed by semsync, left alone (${op.reason})`, op.target);
      if (!st) {
        catalog.delete(op.target);
        dirty = true;
        return;
      }
      if (st.size !== rec.size) return skip('changed on the device since semsync placed it, left alone', op.target);
      removeReasons.set(rec.path, op.reason);
      return void removes.push(rec);
    }
    if (seen.has(op.target)) return void res.errors.push({ target: op.target, content: op.content, code: 'EDUP', message: 'two copies to the same target' });
    seen.add(op.target);
    if (st && rec && rec.size === st.size && rec.content === op.content) return skip('already in place', op.target, op.content);
    if (st && (!rec || rec.size !== st.size)) {
      return void res.errors.push({ target: op.target, content: op.content, code: 'EEXIST', message: 'a file semsync did not place is already there; left alone' });
    }
    copies.push(op);
  });
  if (!isSorted(copies)) copies.sort((a, b) => (a.target < b.target ? -1 : 1)); // a plan gives them sorted

  // Free space, before anything is written.
  const sfs = statfsSync(root);
  const block = Math.max(512, sfs.bsize);
  const round = (n: number) => Math.ceil(n / block) * block;
  const free = sfs.bavail * sfs.bsize;
  // Each copy's catalog record is made here, before anything is placed: the pending list holds them. A small file
  // placed in this run's batches keeps it (placed at the run's time); a large or fetched one gets its own when placed.
  const runAt = now().toISOString();
  const records: CatalogRecord[] = [];
  const recordByOp = new Map<CopyOp, CatalogRecord>();
  const newDirs = new Set<string>();
  let need = 0;
  let totalBytes = 0;
  for (const c of copies) {
    newDirs.add(dirOf(c.target));
    if (c.source === undefined || opts.staging?.pathOf(c.content) === undefined) need += round(c.size); // staged: counted
    totalBytes += c.size;
    const r: CatalogRecord = { path: c.target, content: c.content, size: c.size, rule: c.rule, values: c.values, placedAt: runAt };
    records.push(r);
    recordByOp.set(c, r);
  }
  const recordOf = (op: CopyOp, n: number) => (n === op.size ? recordByOp.get(op) : undefined);
  if (copies.length) need += (newDirs.size + 2) * block + round(copies.length * 1200);
  // A device's own trash keeps what is removed on the device: its oldest entries give way when space is short.
  let trash = opts.trash ?? ({ kind: 'device' } as const);
  const removedBytes = removes.reduce((n, r) => n + round(r.size), 0);
  let freed = trash && trash.kind === 'device' ? 0 : removedBytes;
  if (need > free + freed && trash && trash.kind === 'device') {
    freed += await makeRoom(root, need - free - freed);
    // No room to keep this run's removed files as well: they are deleted outright, as before there was a trash.
    if (need > free + freed && removedBytes > 0) {
      trash = false;
      freed += removedBytes;
    }
  }
  if (need > free + freed) throw new DeviceFullError(root, need, free + freed);

  const total = copies.length + removes.length;
  let done = 0;
  const progress = (phase: ExecuteProgress['phase'], target?: string) =>
    opts.onProgress?.({ phase, done, total, bytes: res.bytes, totalBytes, target });

  // The pending list is durable before anything is removed or renamed into place: `writePending()` runs right
  // before each of those (written once, synchronously; the staged renames are prepared first).
  let pendingState: { error: unknown } | undefined = copies.length || removes.length ? undefined : { error: undefined };
  const writePending = () => {
    if (!pendingState) {
      pendingState = { error: undefined };
      try {
        deviceDir(root, PROFILE_DIR, true);
        // The records' bytes are built here once: the catalog writes then only concatenate them.
        writeFileAtomicSync(pendingPath, catalogBytes(profile.id, records));
      } catch (e) {
        pendingState.error = e;
      }
    }
    if (pendingState.error) throw pendingState.error;
  };

  // Catalog writes: at most one at a time, every flushMs or flushEvery files.
  let lastFlush = Date.now();
  let unflushed = 0;
  let flushing: Promise<void> | undefined;
  const flush = async (): Promise<void> => {
    while (flushing) await flushing;
    if (!dirty) return;
    dirty = false;
    unflushed = 0;
    lastFlush = Date.now();
    // By path. When the catalog holds only this run's records (a device filled for the first time), they are in
    // target order already.
    const ours = catalog.size <= records.length ? records.filter((r) => catalog.get(r.path) === r) : [];
    const sorted = ours.length === catalog.size ? ours : [...catalog.values()].sort((a, b) => (a.path < b.path ? -1 : 1));
    flushing = writeCatalog(root, profile.id, sorted).finally(() => (flushing = undefined));
    await flushing;
  };
  const maybeFlush = () => {
    if (!flushing && dirty && (unflushed >= (opts.flushEvery ?? 20_000) || Date.now() - lastFlush >= (opts.flushMs ?? 10_000))) void flush().catch(() => undefined);
  };

  let fatal: { target: string; error: unknown } | undefined;
  const stopped = () => fatal !== undefined || opts.signal?.aborted === true;
  const rootReal = realpathSync(root);
  const dirReady = new Map<string, Promise<void>>();
  const dirsDone = new Set<string>(); // made and checked: no await needed
  const ensureDir = (d: string) => {
    let p = dirReady.get(d);
    if (!p) {
      // Synchronous (a mkdir and a realpath, once per folder): a thread-pool round trip each cost more.
      p = (async () => {
        // Each level made and checked (lstat: not a link) before the next: never a folder made through a link.
        const abs = deviceDir(root, d, true)!;
        const real = realpathSync(abs);
        if (real !== rootReal && !real.startsWith(rootReal + '/')) throw Object.assign(new Error(`${d} leads outside the device`), { code: 'EUNSAFE' });
        dirsDone.add(d);
      })();
      dirReady.set(d, p);
    }
    return p;
  };

  // Removes first: they free space. Only files the catalog says we placed, and unchanged since.
  if (removes.length) writePending();
  for (const r of removes) {
    if (stopped()) break;
    try {
      if (!deviceFileDir(root, r.path)) throw Object.assign(new Error(`${r.path}: its folder is gone`), { code: 'ENOENT' });
      if (trash) res.trashed.push(moveToTrash(root, r, trash, removeReasons.get(r.path) ?? 'removed by semsync', now()));
      else await fsp.unlink(path.join(root, r.path));
      catalog.delete(r.path);
      dirty = true;
      unflushed++;
      res.removed++;
      done++;
      progress('remove', r.path);
      for (let d = dirOf(r.path); d.includes('/'); d = dirOf(d)) if (!(await fsp.rmdir(path.join(root, d)).then(() => true, () => false))) break;
    } catch (e) {
      if (errCode(e) === 'ENOENT') {
        catalog.delete(r.path);
        dirty = true;
      } else if (errCode(e) === 'EUNSAFE') {
        res.errors.push({ target: r.path, code: 'EUNSAFE', message: (e as Error).message });
      } else fatal = { target: r.path, error: e };
    }
  }

  if (res.trashed.length) {
    try {
      await addToTrash(root, res.trashed);
    } catch (e) {
      fatal ??= { target: TRASH_INDEX, error: e };
    }
  }

  const fsync = opts.fsync ?? true;
  const placed = (op: CopyOp, n: number, record?: CatalogRecord) => {
    const rec = record ?? { path: op.target, content: op.content, size: n, rule: op.rule, values: op.values, placedAt: now().toISOString() };
    catalog.set(op.target, rec);
    dirty = true;
    unflushed++;
    res.copied++;
    res.bytes += n;
    done++;
    progress('copy', op.target);
    maybeFlush();
  };
  const failed = (op: CopyOp, e: unknown) => {
    if (isPerFileError(e) || errCode(e) === 'EUNSAFE') {
      res.errors.push({ target: op.target, content: op.content, code: errCode(e) ?? (e as Error).name, message: (e as Error).message });
    } else fatal ??= { target: op.target, error: e };
  };
  // Any name with the temp prefix is cleaned up after an interruption; unique within the run is enough.
  const runTag = `${process.pid.toString(36)}${Math.floor(Math.random() * 36 ** 4).toString(36)}-`;
  let tmpSeq = 0;
  const rootSlash = root.endsWith('/') ? root : `${root}/`;
  const tmpOf = (op: CopyOp) => {
    const d = dirOf(op.target);
    return `${rootSlash}${d ? `${d}/` : ''}${TEMP_PREFIX}${runTag}${(tmpSeq++).toString(36)}`;
  };

  // Small local files: synchronous batches, as cp does (no thread-pool round trips), yielding between batches.
  const useSync = opts.syncBatches !== false;
  const asyncOps: CopyOp[] = [];
  const small: CopyOp[] = [];
  for (const op of copies) (useSync && op.source && op.size <= SYNC_MAX_SIZE ? small : asyncOps).push(op);
  // Many small files (or staged ones): on a copy thread, unless each is to be re-hashed (done here, in copyBatchSync).
  const verify = opts.verifyHash ?? true;
  const thread = opts.staging?.thread ?? (small.length >= THREAD_MIN_FILES ? new CopyThread(fsync) : undefined);
  const outcome = (ready: CopyOp[]) => (o: ThreadOutcome | ReturnType<typeof copyBatchSync>[number], j: number) => {
    if (o.ok) return placed(ready[j], o.size, recordOf(ready[j], o.size));
    if ('notTried' in o) return;
    if ('notStaged' in o) return; // not asked for outside staging
    if (o.retryAsync) asyncOps.push(ready[j]);
    else failed(ready[j], o.error);
  };
  const onAbort = () => thread?.stop();
  opts.signal?.addEventListener('abort', onAbort);
  const inFlight = new Set<Promise<void>>();
  // Staged content: renamed onto the targets batch by batch, here from the first batch up (each once the thread has
  // staged it, while it stages the next) and by the copy thread from the last down once it is done staging; each
  // batch is claimed by one side. What was not staged (or failed to) is copied below like the rest.
  const placeStaged = async (stager: Stager, copier: CopyThread): Promise<CopyOp[]> => {
    const byContent = new Map<string, CopyOp>();
    const rest: CopyOp[] = [];
    for (const op of small) {
      if (stager.pathOf(op.content) !== undefined && !byContent.has(op.content)) byContent.set(op.content, op);
      else rest.push(op);
    }
    stager.send();
    // Per staged batch, the items this run places (`j`: the item's place in the staged batch).
    type Item = { op: CopyOp; tmp: string; j: number; record: CatalogRecord };
    const batches: { done: Promise<boolean[]>; items: Item[] }[] = [];
    for (const b of stager.sent()) {
      const items: Item[] = [];
      for (let j = 0; j < b.items.length; j++) {
        const op = byContent.get(b.items[j].content);
        if (op) items.push({ op, tmp: b.items[j].tmp, j, record: recordByOp.get(op)! });
      }
      batches.push({ done: b.done, items });
    }
    for (const d of new Set([...byContent.values()].map((op) => dirOf(op.target)))) {
      await ensureDir(d).catch((e: unknown) => {
        for (const b of batches) b.items = b.items.filter((it) => (dirOf(it.op.target) === d ? void failed(it.op, e) : true));
      });
    }
    const handled = new Set<CopyOp>();
    const outcome = (op: CopyOp, o: ThreadOutcome, record: CatalogRecord) => {
      if ('notTried' in o) return;
      handled.add(op);
      if (o.ok) placed(op, o.size, record);
      else if ('notStaged' in o) rest.push(op);
      else failed(op, o.error);
    };
    const claims = new Int32Array(new SharedArrayBuffer(4 * Math.max(1, batches.length)));
    const tmps: string[] = [];
    const targets: string[] = [];
    const sizes: number[] = [];
    const ends = new Int32Array(batches.length);
    batches.forEach((b, i) => {
      for (const it of b.items) {
        tmps.push(it.tmp);
        targets.push(rootSlash + it.op.target);
        sizes.push(it.op.size);
      }
      ends[i] = tmps.length;
    });
    // The thread is sent its renames once the pending list is durable (not if writing it failed).
    const take = copier.take(tmps, targets, Float64Array.from(sizes), ends, claims, (b, out) => {
      out.forEach((o, j) => {
        const { op, record } = batches[b].items[j];
        outcome(op, o, record);
      });
    });
    writePending();
    const theirs = take.send();
    for (let b = 0; b < batches.length && !stopped(); b++) {
      const staged = await batches[b].done;
      if (Atomics.compareExchange(claims, b, 0, 1) !== 0) break;
      for (const it of batches[b].items) {
        if (stopped()) break;
        if (!staged[it.j]) {
          outcome(it.op, { ok: false, notStaged: true }, it.record);
          continue;
        }
        try {
          renameSync(it.tmp, rootSlash + it.op.target);
          outcome(it.op, { ok: true, size: it.op.size }, it.record);
        } catch (e) {
          outcome(it.op, { ok: false, error: e as Error }, it.record);
        }
      }
      if (stopped()) copier.stop();
    }
    await theirs;
    if (!stopped()) for (const op of byContent.values()) if (!handled.has(op)) rest.push(op);
    return rest.sort((a, b) => (a.target < b.target ? -1 : 1));
  };
  try {
    const unstaged = opts.staging && thread && thread === opts.staging.thread ? await placeStaged(opts.staging, thread) : small;
    writePending();
    for (let i = 0; i < unstaged.length && !stopped(); ) {
      const batch: CopyOp[] = [];
      for (let bytes = 0; i < unstaged.length && batch.length < 64 && bytes < 16 << 20; i++) {
        batch.push(unstaged[i]);
        bytes += unstaged[i].size;
      }
      const ready: CopyOp[] = [];
      for (const op of batch) {
        if (dirsDone.has(dirOf(op.target))) ready.push(op);
        else await ensureDir(dirOf(op.target)).then(() => ready.push(op), (e: unknown) => failed(op, e));
      }
      if (stopped()) break;
      const items = ready.map((op) => ({ source: op.source!, tmp: tmpOf(op), target: rootSlash + op.target, size: op.size, ...(verify ? { sha256: hexOf(op.content) } : {}) }));
      if (!thread) {
        copyBatchSync(items, fsync, verify, (j) => hexOf(ready[j].content)).forEach(outcome(ready));
        await new Promise((r) => setImmediate(r));
        continue;
      }
      const sent: Promise<void> = thread.run(items).then((out) => {
        out.forEach(outcome(ready));
        if (stopped()) thread.stop();
        inFlight.delete(sent);
      });
      inFlight.add(sent);
      while (inFlight.size >= THREAD_WINDOW) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    if (thread && thread !== opts.staging?.thread) await thread.close();
  }

  // The rest (streams, large files, sources to fetch), a few at a time.
  let next = 0;
  const worker = async () => {
    while (!stopped() && next < asyncOps.length) {
      const op = asyncOps[next++];
      try {
        await ensureDir(dirOf(op.target));
        let source: SourceLike | undefined;
        if (op.source && (await statOf(op.source))?.isFile()) source = op.source;
        else source = await opts.readSource?.(op.content, op);
        if (source === undefined) {
          res.errors.push({ target: op.target, content: op.content, code: 'ENOSOURCE', message: `no source for ${op.content}` });
          continue;
        }
        const n = await copyAtomic({
          source,
          tmp: tmpOf(op),
          target: path.join(root, op.target),
          size: op.size,
          sha256: hexOf(op.content),
          fsync,
          verifyHash: verify,
        });
        placed(op, n);
      } catch (e) {
        failed(op, e);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.concurrency ?? 4, asyncOps.length)) }, worker));

  try {
    dirty ||= unflushed > 0;
    await flush();
  } catch (e) {
    fatal ??= { target: CATALOG_FILE, error: e };
  }
  if (fatal) throw new DeviceIoError(root, fatal.target, errCode(fatal.error), res, fatal.error);
  if (opts.signal?.aborted) throw opts.signal.reason ?? new Error('aborted');
  await fsp.rm(pendingPath, { force: true }).catch(() => undefined);
  if (prev) await fsp.rm(legacyPendingPath, { force: true }).catch(() => undefined);
  progress('done');
  return res;
}
