// What a placement run is given and gives back (options, progress, result), and small helpers its stages share.
import type { Operation } from '../../rules/index.js';
import type { SourceLike } from '../copy.js';
import type { ScannedSource } from '../copy-protocol.js';
import type { PlacementCounts } from '../errors.js';
import type { Stager } from '../stage.js';
import type { TrashEntry, TrashPlace } from '../trash.js';

export type CopyOp = Extract<Operation, { kind: 'copy' }>;

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
   * What the scan recorded of an op's local source when it hashed it into the op's content (size, mtime in whole ms).
   * With verifyHash, a source found still at that size and mtime when opened is trusted (not hashed again while
   * copied); any other source, or one without a record, is hashed. Nothing else is trusted: streams are always hashed.
   */
  scanned?: (op: CopyOp) => ScannedSource | undefined;
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
   * `false` deletes them outright (no caller in src/ passes it; a device too full to keep removed files in its trash
   * refuses their removal instead, see space.ts).
   */
  trash?: TrashPlace | false;
}

export interface ExecuteError {
  target?: string;
  content?: string;
  code?: string;
  message: string;
}

export interface ExecuteResult extends PlacementCounts {
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

/** The folder of a relative target ('' for the root). */
export const dirOf = (t: string): string => {
  const i = t.lastIndexOf('/');
  return i < 0 ? '' : t.slice(0, i);
};
/** The SHA-256 hex of a `urn:sha256:` content, lower case (undefined for another kind of content). */
export const hexOf = (content: string): string | undefined => /^urn:sha256:([0-9a-f]{64})$/i.exec(content)?.[1]?.toLowerCase();
export const errCode = (e: unknown): string | undefined => (e as NodeJS.ErrnoException)?.code;
export const byTarget = (a: CopyOp, b: CopyOp): number => (a.target < b.target ? -1 : 1);
