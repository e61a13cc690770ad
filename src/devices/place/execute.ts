// Executing a placement plan on a device: a placement run (run.ts) through its stages in order: preconditions,
// recovery of an interrupted run, classification, the pending list's records, free space, removals to the trash,
// copies (staged renames, batches, single files), and the catalog written last.
import path from 'node:path';
import type { Operation } from '../../rules/index.js';
import { CopyThread } from '../copy-thread.js';
import { STAGE_MAX_SIZE } from '../stage.js';
import { classify } from './classify.js';
import { copyBatches } from './copy-batch.js';
import { copyEach } from './copy-file.js';
import { copyTrees } from './copy-tree.js';
import { placeStaged } from './copy-staged.js';
import { checkPreconditions } from './preconditions.js';
import { recoverInterrupted } from './recover.js';
import { removeFiles } from './remove.js';
import { PlacementRun } from './run.js';
import { checkFreeSpace, makeRecords } from './space.js';
import type { CopyOp, ExecuteOptions, ExecuteResult } from './types.js';

/** Local files up to this size are copied in synchronous batches. */
const SYNC_MAX_SIZE = STAGE_MAX_SIZE;
/** From this many small files on, they are copied on a copy thread (it costs a thread start, ~20 ms). */
const THREAD_MIN_FILES = 256;

/**
 * The copies: small local files in batches (renamed from staging when the plan staged them; on a copy thread when
 * there are many, those into new folders as whole trees), then the rest one by one. The pending list is written before the first rename.
 */
async function copyAll(run: PlacementRun): Promise<void> {
  const useSync = run.opts.syncBatches !== false;
  const later: CopyOp[] = [];
  const small: CopyOp[] = [];
  for (const op of run.copies) (useSync && op.source && op.size <= SYNC_MAX_SIZE ? small : later).push(op);
  const staging = run.opts.staging;
  const thread = staging?.thread ?? (small.length >= THREAD_MIN_FILES ? new CopyThread(run.fsync) : undefined);
  const onAbort = () => thread?.stop();
  run.opts.signal?.addEventListener('abort', onAbort);
  try {
    const unstaged = staging && thread && thread === staging.thread ? await placeStaged(run, small, staging, thread) : small;
    if (run.pendingReady()) {
      // Into folders the device lacks: written as whole trees, each renamed into place once (see copy-tree.ts).
      const rest = thread ? await copyTrees(run, unstaged, thread, later) : unstaged;
      await copyBatches(run, rest, thread, later);
    }
  } finally {
    run.opts.signal?.removeEventListener('abort', onAbort);
    if (thread && thread !== staging?.thread) await thread.close();
  }
  await copyEach(run, later);
}

/**
 * Carry out a plan on the device at `root`. Checks free space first (DeviceFullError), then removes the files
 * semsync placed that the plan removes, then copies each file atomically, recording each in the catalog.
 * Running the same plan again copies nothing. A device I/O error stops the run with DeviceIoError.
 */
export async function executePlan(rootIn: string, ops: Operation[], opts: ExecuteOptions = {}): Promise<ExecuteResult> {
  const root = path.resolve(rootIn);
  const profile = await checkPreconditions(root, opts);
  const run = await PlacementRun.open(root, profile, ops, opts);
  await recoverInterrupted(run);
  classify(run);
  makeRecords(run);
  await checkFreeSpace(run);
  run.resolveRoot();
  await removeFiles(run);
  await copyAll(run);
  return run.finish();
}
