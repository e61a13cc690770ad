// What the placing thread and the copy thread (copy-worker.ts) say to each other. Imports nothing of ours, so the
// copy thread starts without loading the rest of the devices layer.
import { fstatSync } from 'node:fs';

/** What the scan recorded of a local source when it hashed it: its size and mtime (whole milliseconds). */
export interface ScannedSource {
  size: number;
  mtimeMs: number;
}

/**
 * Whether the open source `fd` is still as the scan recorded it (same size, same mtime): its recorded hash is then
 * trusted and it is not hashed again while copied. Without a record, or if it cannot be stat'ed: false (hash it).
 */
export function unchangedSince(fd: number, scanned: ScannedSource | undefined): boolean {
  if (!scanned) return false;
  try {
    const st = fstatSync(fd);
    return st.size === scanned.size && Math.floor(st.mtimeMs) === scanned.mtimeMs;
  } catch {
    return false;
  }
}

/** Error codes that concern one file's name or content, not the device as a whole: the run goes on. */
export const PER_FILE_CODES: ReadonlySet<string> = new Set(['EINVAL', 'ENAMETOOLONG', 'EILSEQ', 'EPERM', 'EEXIST', 'EISDIR', 'ENOTDIR', 'EFBIG', 'ELOOP', 'EUNSAFE']);

/**
 * One file to put on the device. `tmp` is written from `source` (checked against `size`) and synced, then renamed
 * onto `target`; without `target` it stays staged under `tmp` (see stage.ts).
 */
export interface ThreadItem {
  source: string;
  tmp: string;
  size: number;
  target?: string;
  /** The content's SHA-256 (hex): the source is hashed while copied and refused (VerifyError) if it differs. */
  sha256?: string;
  /** With `sha256`: the source is not hashed if still as the scan that hashed it recorded (see unchangedSince). */
  scanned?: ScannedSource;
}

/** An error as it crosses threads (name, code and message kept). */
export interface RawError {
  name: string;
  code?: string;
  message: string;
}

export type RawOutcome =
  | { ok: true; size: number }
  | { ok: false; notStaged: true }
  | { ok: false; error: RawError; retryAsync?: 'no-source' }
  | { ok: false; notTried: true };

/** Rename staged files (columns joined by NUL: strings cross threads as a copy, objects do not). */
export interface TakeRequest {
  t: 'take';
  id: number;
  flags: SharedArrayBuffer;
  /** Item count at the end of each batch. */
  ends: Int32Array;
  tmp: string;
  target: string;
  sizes: Float64Array;
}

/** Stage files (columns joined by NUL; see {@link ThreadItem} without `target`); answered with one flag per file. */
export interface StageRequest {
  t: 'stage';
  id: number;
  /** The folder the files are staged in (made first). */
  dir: string;
  sources: string;
  tmps: string;
  sizes: Float64Array;
  /** Each file's expected SHA-256 (hex; empty: not checked), joined by NUL. */
  hashes: string;
  /** Each source's mtime as its scan recorded it (NaN: none): a source still at its size and that mtime is not hashed. */
  mtimes: Float64Array;
  fsync: boolean;
}

export type CopyRequest = { t: 'batch'; id: number; items: ThreadItem[]; fsync: boolean } | StageRequest | TakeRequest;

export type CopyReply =
  | { id: number; out: RawOutcome[] }
  /** Per staged file: 1 if written and synced. */
  | { id: number; staged: Uint8Array }
  | { id: number; batch: number; out: RawOutcome[] };
