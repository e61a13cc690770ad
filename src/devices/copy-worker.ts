// Copy thread entry (see copy-thread.ts): small files written, synced and renamed in batches; staged files renamed
// onto their targets from the last batch down while the placing thread takes them from the first up.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { PER_FILE_CODES, unchangedSince, type CopyReply, type CopyRequest, type RawOutcome, type ThreadItem, type TakeRequest } from './copy-protocol.js';

const port = parentPort!;
/** Set (to 1) by either thread: after a device error or a stop, nothing more is tried. */
const stop = new Int32Array((workerData as { stop: SharedArrayBuffer }).stop);
const buf = Buffer.allocUnsafe(1 << 20);
const stagedOk = new Set<string>(); // temp paths written and synced, not yet renamed
const stopped = () => Atomics.load(stop, 0) === 1;

type Err = Error & { code?: string };
const rmQuiet = (p: string) => {
  try {
    fs.rmSync(p, { force: true });
  } catch {
    // the device may be gone
  }
};
/** A close on a path that failed already (a pulled card fails it too): the first error is the one reported. */
const closeQuiet = (fd: number) => {
  try {
    fs.closeSync(fd);
  } catch {
    // the first error is the one reported
  }
};
const fail = (e: unknown, retryAsync?: 'no-source'): RawOutcome => {
  const { name, code, message } = e as Err;
  return { ok: false, error: { name, ...(code ? { code } : {}), message }, ...(retryAsync ? { retryAsync } : {}) };
};
const isPerFile = (e: unknown) => {
  const { name, code } = e as Err;
  return name === 'VerifyError' || name === 'SourceError' || PER_FILE_CODES.has(code ?? '');
};

/** Write `it.source` to `it.tmp` (not synced yet): the open file, or the failure. */
function write(it: ThreadItem): { fd: number; size: number } | { err: RawOutcome; perFile: boolean } {
  let src: number;
  try {
    src = fs.openSync(it.source, 'r');
  } catch (e) {
    return { err: fail(e, 'no-source'), perFile: true };
  }
  let fd = -1;
  try {
    fd = fs.openSync(it.tmp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_TRUNC | fs.constants.O_NOFOLLOW);
    let size = 0;
    const h = it.sha256 && !unchangedSince(src, it.scanned) ? createHash('sha256') : undefined;
    for (let n; (n = fs.readSync(src, buf, 0, buf.length, null)) > 0; size += n) {
      h?.update(buf.subarray(0, n));
      for (let off = 0; off < n; ) off += fs.writeSync(fd, buf, off, n - off);
    }
    if (size !== it.size) {
      const e = new Error(`size mismatch for ${it.target ?? it.tmp}: wrote ${size} bytes, expected ${it.size}`);
      e.name = 'VerifyError';
      throw e;
    }
    const got = h?.digest('hex');
    if (got !== undefined && got !== it.sha256) {
      const e = new Error(`content mismatch: ${it.source} has sha256 ${got}, not the content urn:sha256:${it.sha256} it was described with; not placed`);
      e.name = 'VerifyError';
      throw e;
    }
    return { fd, size };
  } catch (e) {
    if (fd >= 0) closeQuiet(fd);
    rmQuiet(it.tmp);
    return { err: fail(e), perFile: isPerFile(e) };
  } finally {
    closeQuiet(src);
  }
}

/** Every item written, then each synced, then each renamed (or kept as staged): copyBatchSync's order. */
function batch(items: ThreadItem[], fsync: boolean): RawOutcome[] {
  const out: RawOutcome[] = items.map(() => ({ ok: false, notTried: true }));
  const open: { i: number; fd: number; size: number }[] = [];
  const renames: { i: number; from: string; size: number }[] = [];
  for (let i = 0; i < items.length && !stopped(); i++) {
    const w = write(items[i]);
    if ('err' in w) {
      out[i] = w.err;
      if (w.perFile) continue;
      Atomics.store(stop, 0, 1);
      break;
    }
    open.push({ i, fd: w.fd, size: w.size });
  }
  for (const o of open) {
    const it = items[o.i];
    try {
      let err: unknown;
      try {
        if (fsync) fs.fdatasyncSync(o.fd);
      } catch (e) {
        const c = (e as Err).code;
        if (c !== 'ENOSYS' && c !== 'EINVAL' && c !== 'ENOTSUP') err = e;
      }
      try {
        fs.closeSync(o.fd); // a failed close may mean the bytes never reached the device: not renamed then
      } catch (e) {
        err ??= e;
      }
      if (err !== undefined) throw err;
      if (it.target === undefined) {
        stagedOk.add(it.tmp);
        out[o.i] = { ok: true, size: o.size };
      } else renames.push({ i: o.i, from: it.tmp, size: o.size });
    } catch (e) {
      rmQuiet(it.tmp);
      out[o.i] = fail(e);
      if (!isPerFile(e)) Atomics.store(stop, 0, 1);
    }
  }
  for (const r of renames) {
    try {
      fs.renameSync(r.from, items[r.i].target!);
      out[r.i] = { ok: true, size: r.size };
    } catch (e) {
      rmQuiet(r.from);
      out[r.i] = fail(e);
      if (!isPerFile(e)) Atomics.store(stop, 0, 1);
    }
  }
  return out;
}

/**
 * Rename staged files onto their targets, from the last batch down, claiming each batch in the shared flags (1: the
 * placing thread's, 2: ours) and stopping at the first the placing thread holds; each batch's outcomes are sent.
 */
function take(m: TakeRequest): void {
  const flags = new Int32Array(m.flags);
  const tmp = m.tmp.split('\0');
  const target = m.target.split('\0');
  for (let b = m.ends.length - 1; b >= 0; b--) {
    if (stopped() || Atomics.compareExchange(flags, b, 0, 2) !== 0) break;
    const items: number[] = [];
    for (let i = b ? m.ends[b - 1] : 0; i < m.ends[b]; i++) items.push(i);
    const out = items.map((i): RawOutcome => {
      if (stopped()) return { ok: false, notTried: true };
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
    port.postMessage({ id: m.id, batch: b, out } satisfies CopyReply);
  }
  port.postMessage({ id: m.id, out: [] } satisfies CopyReply);
}

port.on('message', (m: CopyRequest) => {
  if (m.t === 'take') take(m);
  else if (m.t === 'stage') {
    try {
      fs.mkdirSync(m.dir, { recursive: true });
    } catch {
      // each file's write fails and says why: not staged, copied as usual
    }
    const sources = m.sources.split('\0');
    const tmps = m.tmps.split('\0');
    const hashes = m.hashes.split('\0');
    const scanned = (i: number) => (Number.isNaN(m.mtimes[i]) ? {} : { scanned: { size: m.sizes[i], mtimeMs: m.mtimes[i] } });
    const out = batch(sources.map((source, i) => ({ source, tmp: tmps[i], size: m.sizes[i], ...(hashes[i] ? { sha256: hashes[i], ...scanned(i) } : {}) })), m.fsync);
    const staged = Uint8Array.from(out, (o) => (o.ok ? 1 : 0));
    port.postMessage({ id: m.id, staged } satisfies CopyReply, [staged.buffer]);
  }
  else port.postMessage({ id: m.id, out: batch(m.items, m.fsync) } satisfies CopyReply);
});
