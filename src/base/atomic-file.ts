// The one atomic file writer: a temp file in the same folder (opened without following a link), every byte written,
// fsync'd, renamed over the target, then the folder fsync'd. Async and sync forms share the steps.
import { closeSync, constants, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';

export interface AtomicWriteOptions {
  /** File mode of the new file (default 0o600: most of what we write is private). */
  mode?: number;
  /** Mode for a parent folder that has to be made (default: the umask's). */
  dirMode?: number;
}

type Data = string | Uint8Array;
const FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
/** fsync errors that mean the bytes may not be on disk; others (EINVAL, ENOTSUP on FUSE or FAT) only mean "not supported". */
const FATAL_SYNC = new Set(['EIO', 'ENOSPC', 'EDQUOT']);

/** The temp name beside `file`: `.<name>.<pid>.<random>.tmp`, so a crash leaves something a sweep recognises. */
export function tempNameFor(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

/** True for a name {@link tempNameFor} makes (a leftover of an interrupted write). */
export function isAtomicTemp(name: string): boolean {
  return /^\..+\.\d+\.[0-9a-f]{8}\.tmp$/.test(name);
}

function bytesOf(data: Data): Uint8Array {
  return typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
}

function tolerateSync(err: unknown): void {
  if (FATAL_SYNC.has((err as NodeJS.ErrnoException).code ?? '')) throw err;
}

async function syncFolder(dir: string): Promise<void> {
  const fh = await fsp.open(dir, constants.O_RDONLY).catch(() => undefined);
  if (!fh) return;
  await fh.sync().catch(tolerateSync).finally(() => fh.close());
}

/** Write `data` (or the chunks it yields) to `file` atomically: readers see the old file or the new one, whole. */
export async function writeFileAtomic(file: string, data: Data | Iterable<Data> | AsyncIterable<Data>, opts: AtomicWriteOptions = {}): Promise<void> {
  const dir = path.dirname(file);
  await fsp.mkdir(dir, { recursive: true, mode: opts.dirMode });
  const tmp = tempNameFor(file);
  const fh = await fsp.open(tmp, FLAGS, opts.mode ?? 0o600);
  try {
    const chunks = typeof data === 'string' || data instanceof Uint8Array ? [data] : data;
    for await (const chunk of chunks) {
      const buf = bytesOf(chunk); // written whole: a write on a filling disk may be short without an error
      for (let off = 0; off < buf.length; ) off += (await fh.write(buf, off, buf.length - off, null)).bytesWritten;
    }
    await fh.sync().catch(tolerateSync);
    await fh.close();
    await fsp.rename(tmp, file);
  } catch (err) {
    await fh.close().catch(() => undefined);
    await fsp.rm(tmp, { force: true }).catch(() => undefined);
    throw err;
  }
  await syncFolder(dir);
}

/** {@link writeFileAtomic} without thread-pool round trips (each waits for a turn of a busy event loop). */
export function writeFileAtomicSync(file: string, data: Data, opts: AtomicWriteOptions = {}): void {
  const dir = path.dirname(file);
  mkdirSync(dir, { recursive: true, mode: opts.dirMode });
  const tmp = tempNameFor(file);
  const fd = openSync(tmp, FLAGS, opts.mode ?? 0o600);
  try {
    const buf = bytesOf(data);
    for (let off = 0; off < buf.length; ) off += writeSync(fd, buf, off, buf.length - off);
    try {
      fsyncSync(fd);
    } catch (err) {
      tolerateSync(err);
    }
    closeSync(fd);
    renameSync(tmp, file);
  } catch (err) {
    try {
      closeSync(fd);
    } catch {
      // already closed
    }
    rmSync(tmp, { force: true });
    throw err;
  }
  try {
    const dfd = openSync(dir, constants.O_RDONLY);
    try {
      fsyncSync(dfd);
    } catch (err) {
      tolerateSync(err);
    } finally {
      closeSync(dfd);
    }
  } catch (err) {
    tolerateSync(err);
  }
}
