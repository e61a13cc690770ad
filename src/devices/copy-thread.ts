// A copy thread: small local files written, synced and renamed on a worker thread, so the placing thread can plan,
// keep the catalog and report progress while the device's syscalls run. Same batch semantics as copyBatchSync.
import { Worker } from 'node:worker_threads';
import { recordLines, type CatalogRecord, type CatalogTerms } from './catalog.js';
import { PER_FILE_CODES } from './copy.js';

/**
 * One file to put on the device. `tmp` is written from `source` (checked against `size`) and synced, then renamed
 * onto `target`; without `target` it stays staged under `tmp` (see stage.ts).
 */
export interface ThreadItem {
  source: string;
  tmp: string;
  size: number;
  target?: string;
}

/** A staged file to rename onto its target, and its catalog record (see {@link CopyThread.take}). */
export interface StagedRename {
  tmp: string;
  target: string;
  record: CatalogRecord;
}

/** How the copy thread builds catalog quads: the terms, the device's graph, a blank node prefix unique to the run. */
export interface CatalogShape {
  terms: CatalogTerms;
  g: string;
  label: string;
}

export type ThreadOutcome =
  | { ok: true; size: number }
  | { ok: false; notStaged: true }
  | { ok: false; error: Error & { code?: string }; retryAsync?: 'no-source' }
  | { ok: false; notTried: true };

/** The copy thread died (it failed to start or crashed): what it was given is reported failed with this. */
export class CopyThreadError extends Error {
  override readonly name = 'CopyThreadError';
}

// Plain JavaScript (no imports of ours), so it runs the same from the sources (tests) and from dist/; the catalog's
// record serialiser is included by its source text.
const WORKER_SOURCE = `
const recordLines = ${recordLines.toString()};
const fs = require('node:fs');
const { parentPort, workerData } = require('node:worker_threads');
const PER_FILE = new Set(workerData.perFile);
const stop = new Int32Array(workerData.stop);
const buf = Buffer.allocUnsafe(1 << 20);
const stagedOk = new Set(); // temp paths written and synced, not yet renamed
const rmQuiet = (p) => { try { fs.rmSync(p, { force: true }); } catch {} };
const fail = (e, extra) => ({ ok: false, error: { name: e.name, code: e.code, message: e.message }, ...extra });
const isPerFile = (e) => e.name === 'VerifyError' || e.name === 'SourceError' || PER_FILE.has(e.code || '');
function write(it) {
  let src;
  try { src = fs.openSync(it.source, 'r'); } catch (e) { return { err: fail(e, { retryAsync: 'no-source' }), perFile: true }; }
  let fd = -1;
  try {
    fd = fs.openSync(it.tmp, 'w');
    let size = 0;
    for (let n; (n = fs.readSync(src, buf, 0, buf.length, null)) > 0; size += n) {
      for (let off = 0; off < n; ) off += fs.writeSync(fd, buf, off, n - off);
    }
    if (size !== it.size) {
      const e = new Error('size mismatch for ' + (it.target || it.tmp) + ': wrote ' + size + ' bytes, expected ' + it.size);
      e.name = 'VerifyError';
      throw e;
    }
    return { fd, size };
  } catch (e) {
    if (fd >= 0) fs.closeSync(fd);
    rmQuiet(it.tmp);
    return { err: fail(e), perFile: isPerFile(e) };
  } finally {
    fs.closeSync(src);
  }
}
function batch(items, fsync) {
  const out = items.map(() => ({ ok: false, notTried: true }));
  const open = [];
  const renames = [];
  for (let i = 0; i < items.length; i++) {
    if (Atomics.load(stop, 0)) break;
    const w = write(items[i]);
    if (w.err) {
      out[i] = w.err;
      if (!w.perFile) { Atomics.store(stop, 0, 1); break; }
      continue;
    }
    open.push({ i, fd: w.fd, size: w.size });
  }
  for (const o of open) {
    const it = items[o.i];
    try {
      try {
        if (fsync) fs.fdatasyncSync(o.fd);
      } catch (e) {
        if (e.code !== 'ENOSYS' && e.code !== 'EINVAL' && e.code !== 'ENOTSUP') throw e;
      } finally {
        fs.closeSync(o.fd);
      }
      if (it.target === undefined) {
        stagedOk.add(it.tmp);
        out[o.i] = { ok: true, size: o.size };
      }
      else renames.push({ i: o.i, from: it.tmp, size: o.size });
    } catch (e) {
      rmQuiet(it.tmp);
      out[o.i] = fail(e);
      if (!isPerFile(e)) Atomics.store(stop, 0, 1);
    }
  }
  renames.sort((a, b) => a.i - b.i);
  for (const r of renames) {
    try {
      fs.renameSync(r.from, items[r.i].target);
      out[r.i] = { ok: true, size: r.size };
    } catch (e) {
      rmQuiet(r.from);
      out[r.i] = fail(e);
      if (!isPerFile(e)) Atomics.store(stop, 0, 1);
    }
  }
  return out;
}
// Rename staged files onto their targets, taking batches from the last down while the other side takes them from
// the first up (each batch is claimed in the shared flags: 1 by the other side, 2 here).
function take(m) {
  const flags = new Int32Array(m.flags);
  const c = m.catalog;
  const col = (k) => m[k].split('\0'); // columns come as strings joined by NUL: cheap to pass between threads
  const [tmp, target, path, content, rule, values] = ['tmp', 'target', 'path', 'content', 'rule', 'values'].map(col);
  let n = 0;
  for (let b = m.ends.length - 1; b >= 0; b--) {
    if (Atomics.load(stop, 0) || Atomics.compareExchange(flags, b, 0, 2) !== 0) break;
    const items = [];
    for (let i = b ? m.ends[b - 1] : 0; i < m.ends[b]; i++) items.push(i);
    const out = items.map((i) => {
      if (Atomics.load(stop, 0)) return { ok: false, notTried: true };
      if (!stagedOk.has(tmp[i])) return { ok: false, notStaged: true };
      try {
        fs.renameSync(tmp[i], target[i]);
        stagedOk.delete(tmp[i]);
        return { ok: true, size: m.sizes[i] };
      } catch (e) {
        if (!isPerFile(e)) Atomics.store(stop, 0, 1);
        return fail(e);
      }
    });
    // The batch's catalog quads, built here too (the other side builds those of the batches it takes).
    const texts = items.map((i) => Buffer.from(recordLines(c.terms, c.g, '_:' + c.label + (n++).toString(36), path[i], content[i], m.sizes[i], rule[i], m.placedAt, values[i])));
    const bytes = Buffer.allocUnsafeSlow(texts.reduce((sum, t) => sum + t.length, 0));
    const ends = [];
    let off = 0;
    for (const t of texts) ends.push((off += t.copy(bytes, off)));
    parentPort.postMessage({ id: m.id, batch: b, out, bytes: bytes.buffer, ends }, [bytes.buffer]);
  }
  parentPort.postMessage({ id: m.id, out: [] });
}
parentPort.on('message', (m) => {
  if (m.take) take(m);
  else parentPort.postMessage({ id: m.id, out: batch(m.items, m.fsync) });
});
`;

/**
 * A worker thread that runs copy batches in the order they are sent. After a device error (or {@link stop}) it
 * tries nothing more: every later item comes back `notTried`. Close it when done.
 */
export class CopyThread {
  private readonly worker: Worker;
  private readonly stopFlag = new Int32Array(new SharedArrayBuffer(4));
  private readonly waiting = new Map<number, (out: ThreadOutcome[]) => void>();
  private readonly taken = new Map<number, (batch: number, out: ThreadOutcome[], texts: Buffer[]) => void>();
  private seq = 0;
  private exited: Error | undefined;

  constructor(private readonly fsync: boolean) {
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { perFile: [...PER_FILE_CODES], stop: this.stopFlag.buffer } });
    this.worker.unref();
    this.worker.on('message', (m: { id: number; batch?: number; out: RawOutcome[]; bytes?: ArrayBuffer; ends?: number[] }) => {
      if (m.batch !== undefined) {
        const ends = m.ends!;
        const texts = ends.map((end, i) => Buffer.from(m.bytes!, i ? ends[i - 1] : 0, end - (i ? ends[i - 1] : 0)));
        return this.taken.get(m.id)?.(m.batch, m.out.map(revive), texts);
      }
      this.taken.delete(m.id);
      const done = this.waiting.get(m.id);
      this.waiting.delete(m.id);
      done?.(m.out.map(revive));
    });
    const gone = (e: Error) => {
      this.exited ??= e;
      for (const [id, done] of this.waiting) {
        this.waiting.delete(id);
        done([]);
      }
    };
    this.worker.on('error', (e) => gone(new CopyThreadError(`the copy thread failed: ${e.message}`, { cause: e })));
    this.worker.on('exit', (code) => gone(new CopyThreadError(`the copy thread exited (code ${code})`)));
  }

  /**
   * Run a batch; resolves with one outcome per item (items the thread did not get to are `notTried`; if the thread
   * died, every item not done fails with a CopyThreadError, which stops a run like a device error).
   */
  run(items: ThreadItem[]): Promise<ThreadOutcome[]> {
    const died = (): ThreadOutcome[] => items.map(() => ({ ok: false, error: this.exited! }));
    if (this.exited) return Promise.resolve(died());
    const id = this.seq++;
    return new Promise((resolve) => {
      this.waiting.set(id, (out) => resolve(out.length === items.length ? out : died()));
      this.worker.postMessage({ id, items, fsync: this.fsync });
    });
  }

  /**
   * Once done with what was sent before, rename staged files onto their targets, batch by batch from the last,
   * claiming each in `claims` (0: free; the caller claims from the first up with 1, the thread takes 2) and stopping
   * at the first batch the caller holds. `onBatch` gets each taken batch's outcomes (`notStaged`: its staging had
   * failed, nothing was done) and its records' catalog quads (UTF-8). Resolves when the thread stops taking.
   */
  take(
    batches: StagedRename[][],
    claims: Int32Array,
    catalog: CatalogShape,
    onBatch: (batch: number, out: ThreadOutcome[], texts: Buffer[]) => void,
  ): Promise<void> {
    if (this.exited) return Promise.resolve();
    const id = this.seq++;
    // Columns joined by NUL (no path, IRI or JSON text holds one): strings cross threads as a copy, objects do not.
    const all = batches.flat();
    const ends = new Int32Array(batches.length);
    batches.reduce((n, b, i) => (ends[i] = n + b.length), 0);
    const col = (f: (r: StagedRename) => string) => all.map(f).join('\0');
    const placedAt = all[0]?.record.placedAt ?? '';
    if (all.some((r) => r.record.placedAt !== placedAt)) throw new CopyThreadError('records of one take share their placedAt');
    const msg = {
      id, take: true, flags: claims.buffer, catalog, ends, placedAt,
      tmp: col((r) => r.tmp), target: col((r) => r.target), path: col((r) => r.record.path), content: col((r) => r.record.content),
      rule: col((r) => r.record.rule), values: col((r) => JSON.stringify(r.record.values)), sizes: Float64Array.from(all, (r) => r.record.size),
    };
    return new Promise((resolve) => {
      this.taken.set(id, onBatch);
      this.waiting.set(id, () => resolve());
      this.worker.postMessage(msg);
    });
  }

  /** Batches not yet answered. */
  get inFlight(): number {
    return this.waiting.size;
  }

  /** Stop after the file in hand: queued items come back `notTried`. */
  stop(): void {
    Atomics.store(this.stopFlag, 0, 1);
  }

  get stopped(): boolean {
    return Atomics.load(this.stopFlag, 0) === 1;
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}

type RawOutcome =
  | { ok: true; size: number }
  | { ok: false; notStaged: true }
  | { ok: false; error: { name: string; code?: string; message: string }; retryAsync?: 'no-source' }
  | { ok: false; notTried: true };

function revive(o: RawOutcome): ThreadOutcome {
  if (o.ok || 'notTried' in o || 'notStaged' in o) return o;
  const e = Object.assign(new Error(o.error.message), o.error.code ? { code: o.error.code } : {}) as Error & { code?: string };
  e.name = o.error.name;
  return { ok: false, error: e, ...(o.retryAsync ? { retryAsync: o.retryAsync } : {}) };
}
