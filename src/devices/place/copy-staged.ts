// Copy strategy: content staged while the plan was made (stage.ts) is renamed onto its targets, batch by batch: here
// from the first batch up (each once the copy thread has staged it, while it stages the next) and by the copy thread
// from the last down once it is done staging; each batch is claimed by one side. What was not staged (or failed to)
// is returned, to be copied like the rest.
import { renameSync } from 'node:fs';
import type { CatalogRecord } from '../catalog/record.js';
import type { CopyThread, ThreadOutcome } from '../copy-thread.js';
import type { Stager } from '../stage.js';
import type { PlacementRun } from './run.js';
import { byTarget, dirOf, type CopyOp } from './types.js';

/** An item this run places out of a staged batch (`j`: its place in the staged batch). */
type Item = { op: CopyOp; tmp: string; j: number; record: CatalogRecord };
type Batch = { done: Promise<boolean[]>; items: Item[] };

/** The staged batches, each with the items of this run's ops (one op per content; the others are in `rest`). */
function stagedBatches(run: PlacementRun, small: CopyOp[], stager: Stager, rest: CopyOp[]): { batches: Batch[]; byContent: Map<string, CopyOp> } {
  const byContent = new Map<string, CopyOp>();
  for (const op of small) {
    if (stager.pathOf(op.content) !== undefined && !byContent.has(op.content)) byContent.set(op.content, op);
    else rest.push(op);
  }
  stager.send();
  const batches: Batch[] = [];
  for (const b of stager.sent()) {
    const items: Item[] = [];
    for (let j = 0; j < b.items.length; j++) {
      const op = byContent.get(b.items[j].content);
      if (op) items.push({ op, tmp: b.items[j].tmp, j, record: run.recordByOp.get(op)! });
    }
    batches.push({ done: b.done, items });
  }
  return { batches, byContent };
}

/** The renames in columns, for the copy thread: its items' temp names, targets and sizes, and where each batch ends. */
function columns(run: PlacementRun, batches: Batch[]) {
  const tmps: string[] = [];
  const targets: string[] = [];
  const sizes: number[] = [];
  const ends = new Int32Array(batches.length);
  batches.forEach((b, i) => {
    for (const it of b.items) {
      tmps.push(it.tmp);
      targets.push(run.rootSlash + it.op.target);
      sizes.push(it.op.size);
    }
    ends[i] = tmps.length;
  });
  return { tmps, targets, sizes: Float64Array.from(sizes), ends };
}

/** Rename the staged batches onto their targets from the first up, until one is claimed by the copy thread. */
async function renameFromFirst(run: PlacementRun, copier: CopyThread, batches: Batch[], claims: Int32Array, outcome: (op: CopyOp, o: ThreadOutcome, r: CatalogRecord) => void) {
  for (let b = 0; b < batches.length && !run.stopped(); b++) {
    const staged = await batches[b].done;
    if (Atomics.compareExchange(claims, b, 0, 1) !== 0) break;
    for (const it of batches[b].items) {
      if (run.stopped()) break;
      if (!staged[it.j]) {
        outcome(it.op, { ok: false, notStaged: true }, it.record);
        continue;
      }
      try {
        renameSync(it.tmp, run.rootSlash + it.op.target);
        outcome(it.op, { ok: true, size: it.op.size }, it.record);
      } catch (e) {
        outcome(it.op, { ok: false, error: e as Error }, it.record);
      }
    }
    if (run.stopped()) copier.stop();
  }
}

/**
 * Place the staged ones among `small` (writes the pending list first); returns the ops still to copy, sorted by
 * target.
 */
export async function placeStaged(run: PlacementRun, small: CopyOp[], stager: Stager, copier: CopyThread): Promise<CopyOp[]> {
  const rest: CopyOp[] = [];
  const { batches, byContent } = stagedBatches(run, small, stager, rest);
  for (const d of new Set([...byContent.values()].map((op) => dirOf(op.target)))) {
    await run.ensureDir(d).catch((e: unknown) => {
      for (const b of batches) b.items = b.items.filter((it) => (dirOf(it.op.target) === d ? void run.failed(it.op, e) : true));
    });
  }
  const handled = new Set<CopyOp>();
  const outcome = (op: CopyOp, o: ThreadOutcome, record: CatalogRecord) => {
    if ('notTried' in o) return;
    handled.add(op);
    if (o.ok) run.placed(op, o.size, record);
    else if ('notStaged' in o) rest.push(op);
    else run.failed(op, o.error);
  };
  const claims = new Int32Array(new SharedArrayBuffer(4 * Math.max(1, batches.length)));
  const c = columns(run, batches);
  // The thread is sent its renames once the pending list is durable (not if writing it failed).
  const take = copier.take(c.tmps, c.targets, c.sizes, c.ends, claims, (b, out) => {
    out.forEach((o, j) => {
      const { op, record } = batches[b].items[j];
      outcome(op, o, record);
    });
  });
  if (!run.pendingReady()) return rest.sort(byTarget); // the run stops: DeviceIoError naming the pending list
  const theirs = take.send();
  await renameFromFirst(run, copier, batches, claims, outcome);
  await theirs;
  if (!run.stopped()) for (const op of byContent.values()) if (!handled.has(op)) rest.push(op);
  return rest.sort(byTarget);
}
