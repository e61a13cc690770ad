// Copy strategy: one file at a time, a few at once (large local files, sources fetched through `readSource`, streams,
// and small files a batch could not open): each written to a temp name beside its target, synced, checked (size,
// and the content's hash for streams and verified files), then renamed (copyAtomic).
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { copyAtomic, type SourceLike } from '../copy.js';
import type { PlacementRun } from './run.js';
import { dirOf, hexOf, type CopyOp } from './types.js';

/** The op's bytes: its local source if it is a file, else what the run's `readSource` gives (undefined: none). */
async function sourceOf(run: PlacementRun, op: CopyOp): Promise<SourceLike | undefined> {
  if (op.source && (await fsp.stat(op.source).catch(() => undefined))?.isFile()) return op.source;
  return run.opts.readSource?.(op.content, op);
}

/** Copy one op onto the device; its outcome is recorded on the run. */
export async function copyOne(run: PlacementRun, op: CopyOp): Promise<void> {
  try {
    await run.ensureDir(dirOf(op.target));
    const source = await sourceOf(run, op);
    if (source === undefined) {
      run.res.errors.push({ target: op.target, content: op.content, code: 'ENOSOURCE', message: `no source for ${op.content}` });
      return;
    }
    const scanned = typeof source === 'string' && source === op.source ? run.opts.scanned?.(op) : undefined;
    const n = await copyAtomic({
      ...(scanned ? { scanned } : {}),
      source, tmp: run.tmpOf(op), target: path.join(run.root, op.target), size: op.size, sha256: hexOf(op.content), fsync: run.fsync, verifyHash: run.verify,
    });
    run.placed(op, n);
  } catch (e) {
    run.failed(op, e);
  }
}

/** Copy each of `ops`, `concurrency` at once (default 4), until the run stops. */
export async function copyEach(run: PlacementRun, ops: CopyOp[]): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (!run.stopped() && next < ops.length) await copyOne(run, ops[next++]);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(run.opts.concurrency ?? 4, ops.length)) }, worker));
}
