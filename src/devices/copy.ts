// Copying one file onto a device atomically (temp name in the target folder, fsync, rename) and target-path safety.
import { createHash } from 'node:crypto';
import {
  closeSync, constants, createReadStream, fdatasyncSync, openSync, promises as fsp, readSync, renameSync, rmSync, writeSync,
} from 'node:fs';
import path from 'node:path';
import { isAtomicTemp } from '../base/index.js';
import { TEMP_PREFIX } from './catalog/record.js';
import { deviceDir, unsafeRelative, WRITE_NOFOLLOW } from './contain.js';
import { PER_FILE_CODES, unchangedSince, type ScannedSource } from './copy-protocol.js';
import { PROFILE_DIR } from './profile.js';
import { FailureError } from '../base/index.js';

/** Bytes to put on the device: a local file path, a stream, any async iterable of chunks, or the bytes themselves. */
export type SourceLike = string | Uint8Array | NodeJS.ReadableStream | AsyncIterable<Uint8Array | string>;

/** An error that came from reading the source, not from writing the device. */
export class SourceError extends FailureError {
  override readonly name = 'SourceError';
  constructor(message: string, readonly code?: string, cause?: unknown) {
    super(message, { cause });
  }
}

/** Whether an error concerns one file (its source, its name, its content), not the device as a whole: the run goes on. */
export function isPerFileError(e: unknown): boolean {
  if (e instanceof SourceError || e instanceof VerifyError) return true;
  // Errors from the copy thread come back as plain errors that keep their name.
  const name = (e as Error)?.name;
  return name === 'SourceError' || name === 'VerifyError' || PER_FILE_CODES.has((e as NodeJS.ErrnoException)?.code ?? '');
}

export class VerifyError extends FailureError {
  override readonly name = 'VerifyError';
}

/** Why a target path is refused (it could leave the device or touch semsync's own files), or undefined if fine. */
export function unsafeTarget(target: string): string | undefined {
  if (typeof target !== 'string' || !target) return 'empty target';
  // Most targets pass: one regex settles them (no NUL, not absolute, no empty, "." or ".." segment, not under
  // .semsync, not a temp name); anything it does not pass gets the checks below, which say why.
  if (PLAIN_TARGET.test(target)) return undefined;
  if (target.includes('\0')) return 'NUL in target';
  if (target.startsWith('/') || /^[A-Za-z]:/.test(target)) return 'absolute target';
  const parts = target.split('/');
  if (parts.some((p) => p === '' || p === '.' || p === '..')) return 'target has empty, "." or ".." segments';
  if (parts[0].toLowerCase() === PROFILE_DIR) return 'target inside .semsync';
  if (parts[parts.length - 1].startsWith(TEMP_PREFIX)) return 'target looks like a temp file';
  return undefined;
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const PLAIN_TARGET = new RegExp(
  `^(?![A-Za-z]:)(?!${escapeRe(PROFILE_DIR)}(?:/|$))(?:(?!\\.{1,2}/)[^/\\0]+/)*(?!\\.{1,2}$)(?!${escapeRe(TEMP_PREFIX)})[^/\\0]+$`,
  'i',
);

/**
 * Remove leftover temp files of an interrupted run in these folders (relative to the root). The folder names come
 * from the device (its pending list): a name that is not a plain relative path, or a folder reached through a
 * symbolic link, is skipped, never read or cleaned.
 */
export async function removeTempFiles(root: string, dirs: Iterable<unknown>): Promise<number> {
  let n = 0;
  const safe = (d: unknown): string | undefined => {
    if (unsafeRelative(d)) return undefined;
    try {
      return deviceDir(root, d as string, false);
    } catch {
      return undefined;
    }
  };
  await Promise.all(
    [...new Set(dirs)].map(async (d) => {
      const abs = safe(d);
      if (abs === undefined) return;
      const names = await fsp.readdir(abs).catch(() => [] as string[]);
      for (const name of names) {
        if (name.startsWith(TEMP_PREFIX)) {
          await fsp.rm(path.join(abs, name), { force: true });
          n++;
        }
      }
    }),
  );
  const sdir = safe(PROFILE_DIR);
  for (const name of sdir === undefined ? [] : await fsp.readdir(sdir).catch(() => [] as string[])) {
    if (/\.tmp-\d+$/.test(name) || isAtomicTemp(name)) await fsp.rm(path.join(sdir!, name), { force: true });
  }
  return n;
}

/** SHA-256 hex of a file. */
export async function hashFile(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) h.update(chunk as Buffer);
  return h.digest('hex');
}

async function syncFile(file: string): Promise<void> {
  const fh = await fsp.open(file, 'r+');
  try {
    await datasync(fh);
  } catch (e) {
    await fh.close().catch(() => undefined);
    throw e;
  }
  await fh.close();
}

export interface CopyParams {
  source: SourceLike;
  tmp: string;
  target: string;
  size: number;
  /** Expected SHA-256 hex; checked for streamed sources (hashed on the way) and, with verifyHash, for files. */
  sha256?: string;
  fsync: boolean;
  verifyHash: boolean;
  /** What the scan that hashed a local source recorded: a source still at that size and mtime is not hashed again. */
  scanned?: ScannedSource;
}

/** Whether the local file `source` is still as its scan recorded it (see unchangedSince). */
async function unchangedAt(source: string, scanned: ScannedSource | undefined): Promise<boolean> {
  if (!scanned) return false;
  const st = await fsp.stat(source).catch(() => undefined);
  return st !== undefined && st.size === scanned.size && Math.floor(st.mtimeMs) === scanned.mtimeMs;
}

const NO_COPYFILE = new Set(['ENOSYS', 'ENOTSUP', 'EOPNOTSUPP', 'EXDEV']);

async function datasync(fh: fsp.FileHandle): Promise<void> {
  await fh.datasync().catch((e: NodeJS.ErrnoException) => {
    if (e.code !== 'ENOSYS' && e.code !== 'EINVAL' && e.code !== 'ENOTSUP') throw e;
  });
}

/** Stream the source into `tmp` (hashing on the way); returns the SHA-256 hex of what was written. */
async function writeStream(source: Exclude<SourceLike, string>, tmp: string, fsync: boolean): Promise<string> {
  const h = createHash('sha256');
  const fh = await fsp.open(tmp, WRITE_NOFOLLOW);
  try {
    if (source instanceof Uint8Array) {
      h.update(source);
      await fh.writeFile(source);
    } else {
      const it = (source as AsyncIterable<Uint8Array | string>)[Symbol.asyncIterator]();
      for (;;) {
        let r: IteratorResult<Uint8Array | string>;
        try {
          r = await it.next();
        } catch (e) {
          throw new SourceError(`reading the source failed: ${(e as Error).message}`, (e as NodeJS.ErrnoException).code, e);
        }
        if (r.done) break;
        const chunk = typeof r.value === 'string' ? Buffer.from(r.value) : r.value;
        h.update(chunk);
        for (let off = 0; off < chunk.length; ) off += (await fh.write(chunk, off, chunk.length - off)).bytesWritten;
      }
    }
    if (fsync) await datasync(fh);
  } catch (e) {
    await fh.close().catch(() => undefined); // a pulled card fails this too: the first error is the one reported
    throw e;
  }
  await fh.close();
  return h.digest('hex');
}

/** Write the source to `tmp`, sync it, check size (and hash), then rename onto `target`. Never leaves `tmp` behind. */
export async function copyAtomic(p: CopyParams): Promise<number> {
  try {
    let hashed: string | undefined;
    if (typeof p.source === 'string') {
      // To check a source against its content hash, its bytes are hashed on the way (streamed, not copyfile'd).
      const check = p.verifyHash && p.sha256 !== undefined && !(await unchangedAt(p.source, p.scanned));
      let streamed = check;
      try {
        if (streamed) hashed = await writeStream(createReadStream(p.source, { highWaterMark: 1 << 20 }), p.tmp, p.fsync);
        else await fsp.copyFile(p.source, p.tmp, constants.COPYFILE_EXCL); // EXCL: never through a link at the temp name
      } catch (e) {
        const readable = await fsp.access(p.source).then(() => true, () => false);
        if (!readable) throw new SourceError(`cannot read ${p.source}: ${(e as Error).message}`, (e as NodeJS.ErrnoException).code, e);
        if (!NO_COPYFILE.has((e as NodeJS.ErrnoException).code ?? '')) throw e;
        // Some FUSE filesystems (fusefat) cannot do what copyfile needs: stream the bytes instead.
        await fsp.rm(p.tmp, { force: true });
        hashed = await writeStream(createReadStream(p.source, { highWaterMark: 1 << 20 }), p.tmp, p.fsync);
        streamed = true;
      }
      if (!streamed && p.fsync) await syncFile(p.tmp);
      if (!streamed && check) hashed = await hashFile(p.tmp);
    } else {
      hashed = await writeStream(p.source, p.tmp, p.fsync);
    }
    const st = await fsp.stat(p.tmp);
    if (st.size !== p.size) throw new VerifyError(`size mismatch for ${p.target}: wrote ${st.size} bytes, expected ${p.size}`);
    if (hashed && p.sha256 && hashed !== p.sha256) {
      const from = typeof p.source === 'string' ? p.source : 'the source';
      throw new VerifyError(`content mismatch: ${from} has sha256 ${hashed}, not the content urn:sha256:${p.sha256} it was described with; not placed at ${p.target}`);
    }
    await fsp.rename(p.tmp, p.target);
    return st.size;
  } catch (e) {
    await fsp.rm(p.tmp, { force: true }).catch(() => undefined);
    throw e;
  }
}

/** A small local file to copy in a synchronous batch. */
export interface SyncItem {
  source: string;
  tmp: string;
  target: string;
  size: number;
  /** With verifyHash: the source is not hashed if still as the scan that hashed it recorded. */
  scanned?: ScannedSource;
}

export type SyncOutcome =
  | { ok: true; size: number }
  | { ok: false; error: unknown; retryAsync?: 'no-source' }
  | { ok: false; notTried: true };

function rmSyncQuiet(p: string): void {
  try {
    rmSync(p, { force: true });
  } catch {
    // the device may be gone
  }
}

/**
 * Close `fd` on a path that already failed: a pulled card (fusefat) fails the close too (ENOTCONN, ECONNABORTED), and
 * that must neither replace the error being reported nor skip the cleanup after it.
 */
function closeQuiet(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // the first error is the one reported
  }
}

/** fdatasync (where the filesystem has it) and close `fd`; the first failure is thrown, after the close. */
function syncAndClose(fd: number, fsync: boolean): void {
  let err: unknown;
  try {
    if (fsync) fdatasyncSync(fd);
  } catch (e) {
    const c = (e as NodeJS.ErrnoException).code;
    if (c !== 'ENOSYS' && c !== 'EINVAL' && c !== 'ENOTSUP') err = e;
  }
  try {
    closeSync(fd); // a failed close may mean the bytes never reached the device: not renamed then
  } catch (e) {
    err ??= e;
  }
  if (err !== undefined) throw err;
}

let copyBuf: Buffer | undefined;

/**
 * Copy a batch of small files without thread-pool round trips (as `cp` does, read/write with one 1 MiB buffer):
 * each to its temp name, then fdatasync each (on journalling filesystems the first sync carries the rest), then
 * rename each. A device error stops the batch (the rest are `notTried`). Temp files of failed items are removed.
 */
export function copyBatchSync(items: SyncItem[], fsync: boolean, verifyHash = false, sha256?: (i: number) => string | undefined): SyncOutcome[] {
  const out: SyncOutcome[] = items.map(() => ({ ok: false, notTried: true }));
  const buf = (copyBuf ??= Buffer.allocUnsafe(1 << 20));
  const open: { i: number; fd: number; size: number }[] = [];
  for (let i = 0; i < items.length; i++) {
    const it = items[i];
    let src: number;
    try {
      src = openSync(it.source, 'r');
    } catch (e) {
      out[i] = { ok: false, error: e, retryAsync: 'no-source' };
      continue;
    }
    let fd = -1;
    try {
      fd = openSync(it.tmp, WRITE_NOFOLLOW);
      const h = verifyHash && !unchangedSince(src, it.scanned) ? createHash('sha256') : undefined;
      let size = 0;
      for (let n; (n = readSync(src, buf, 0, buf.length, null)) > 0; size += n) {
        h?.update(buf.subarray(0, n));
        for (let off = 0; off < n; ) off += writeSync(fd, buf, off, n - off);
      }
      if (size !== it.size) throw new VerifyError(`size mismatch for ${it.target}: wrote ${size} bytes, expected ${it.size}`);
      const want = sha256?.(i);
      const got = h && want ? h.digest('hex') : undefined;
      if (got !== undefined && got !== want) {
        throw new VerifyError(`content mismatch: ${it.source} has sha256 ${got}, not the content urn:sha256:${want} it was described with; not placed at ${it.target}`);
      }
      open.push({ i, fd, size });
    } catch (e) {
      if (fd >= 0) closeQuiet(fd);
      rmSyncQuiet(it.tmp);
      out[i] = { ok: false, error: e };
      if (!isPerFileError(e)) break;
    } finally {
      closeQuiet(src); // read to the end (or failed already): its close changes nothing
    }
  }
  for (const { i, fd, size } of open) {
    const it = items[i];
    try {
      syncAndClose(fd, fsync);
      renameSync(it.tmp, it.target);
      out[i] = { ok: true, size };
    } catch (e) {
      rmSyncQuiet(it.tmp);
      out[i] = { ok: false, error: e };
    }
  }
  return out;
}
