// Copy strategy: small local files in batches, as cp does (read/write with one buffer, then fdatasync each, then
// rename each): synchronously on the placing thread, yielding between batches, or on a copy thread when there are
// many. A source that cannot be opened is retried as a single-file copy (copy-file.ts).
import { copyBatchSync, type SyncOutcome } from '../copy.js';
import type { ScannedSource } from '../copy-protocol.js';
import type { CopyThread, ThreadOutcome } from '../copy-thread.js';
import type { PlacementRun } from './run.js';
import { dirOf, hexOf, type CopyOp } from './types.js';

/** Batches handed to the copy thread and not yet answered (bounds what a stop leaves to finish). */
const THREAD_WINDOW = 64;
const BATCH_FILES = 64;
const BATCH_BYTES = 16 << 20;

/** Each outcome of a batch recorded on the run; `later` gets the ops to copy one by one. */
function outcomeOf(run: PlacementRun, ready: CopyOp[], later: CopyOp[]) {
  return (o: ThreadOutcome | SyncOutcome, j: number): void => {
    if (o.ok) return run.placed(ready[j], o.size, run.recordOf(ready[j], o.size));
    if ('notTried' in o) return;
    if ('notStaged' in o) return; // not asked for outside staging
    if (o.retryAsync) later.push(ready[j]);
    else run.failed(ready[j], o.error);
  };
}

/** What a copy is checked against: the content's hash, and what the scan recorded of the source (if the run has it). */
function verifyOf(run: PlacementRun, op: CopyOp): { sha256?: string; scanned?: ScannedSource } {
  const scanned = run.opts.scanned?.(op);
  return { sha256: hexOf(op.content), ...(scanned ? { scanned } : {}) };
}

/** The next batch from `i` on: at most 64 files and 16 MiB. */
function nextBatch(ops: CopyOp[], i: number): CopyOp[] {
  const batch: CopyOp[] = [];
  for (let bytes = 0; i < ops.length && batch.length < BATCH_FILES && bytes < BATCH_BYTES; i++) {
    batch.push(ops[i]);
    bytes += ops[i].size;
  }
  return batch;
}

/** The batch's ops whose target folder is ready (made and checked); the others fail with the folder's error. */
async function readyOps(run: PlacementRun, batch: CopyOp[]): Promise<CopyOp[]> {
  const ready: CopyOp[] = [];
  for (const op of batch) {
    if (run.dirsDone.has(dirOf(op.target))) ready.push(op);
    else await run.ensureDir(dirOf(op.target)).then(() => ready.push(op), (e: unknown) => run.failed(op, e));
  }
  return ready;
}

/**
 * Copy `ops` (small local files, sorted by target) in batches: on `thread` when given (up to THREAD_WINDOW batches in
 * flight), else synchronously. Each source is hashed on the way when the run verifies. The pending list must be
 * durable before this is called.
 */
export async function copyBatches(run: PlacementRun, ops: CopyOp[], thread: CopyThread | undefined, later: CopyOp[]): Promise<void> {
  const inFlight = new Set<Promise<void>>();
  for (let i = 0; i < ops.length && !run.stopped(); ) {
    const batch = nextBatch(ops, i);
    i += batch.length;
    const ready = await readyOps(run, batch);
    if (run.stopped()) break;
    const items = ready.map((op) => ({
      source: op.source!, tmp: run.tmpOf(op), target: run.rootSlash + op.target, size: op.size, ...(run.verify ? verifyOf(run, op) : {}),
    }));
    const outcome = outcomeOf(run, ready, later);
    if (!thread) {
      copyBatchSync(items, run.fsync, run.verify, (j) => hexOf(ready[j].content)).forEach(outcome);
      await new Promise((r) => setImmediate(r));
      continue;
    }
    const sent: Promise<void> = thread.run(items).then((out) => {
      out.forEach(outcome);
      if (run.stopped()) thread.stop();
      inFlight.delete(sent);
    });
    inFlight.add(sent);
    while (inFlight.size >= THREAD_WINDOW) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
}
