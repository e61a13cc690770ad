// Copy strategy: copies into folders the device does not have yet (a device filled for the first time, a new artist or
// year) are written on the copy thread into a fresh tree under `.semsync/staging/`, each file straight to its name in
// that tree (written, synced, checked), and each tree's top folder is then renamed into place once: one rename per new
// top folder instead of one per file. Nothing is under its final name before its whole tree is complete and synced;
// a crash leaves only the staging folder, which the next run clears (recover.ts). A tree whose top folder appeared
// meanwhile is not renamed: its files are copied again one by one (copy-file.ts).
import { lstatSync, mkdirSync, renameSync, rmdirSync, rmSync } from 'node:fs';
import { deviceDir } from '../contain.js';
import type { CopyThread, ThreadOutcome } from '../copy-thread.js';
import { STAGING_DIR } from '../stage.js';
import type { PlacementRun } from './run.js';
import { dirOf, hexOf, type CopyOp } from './types.js';

const BATCH_FILES = 64;
const BATCH_BYTES = 16 << 20;
/** Batches handed to the copy thread and not yet answered. */
const WINDOW = 64;

/** One new top folder and the copies below it, written under `abs` (its stand-in in the staging folder). */
interface Tree {
  top: string;
  abs: string;
  ops: CopyOp[];
  /** Each op's outcome, once its batch is answered. */
  done: Map<CopyOp, ThreadOutcome>;
}

/** The first folder on the way to `dir` that the device lacks ('' never: the root exists), memoised in `exists`. */
function topMissing(root: string, dir: string, exists: Map<string, boolean>): string | undefined {
  for (let i = dir.indexOf('/'); ; i = dir.indexOf('/', i + 1)) {
    const p = i < 0 ? dir : dir.slice(0, i);
    let e = exists.get(p);
    if (e === undefined) exists.set(p, (e = lstatSync(`${root}/${p}`, { throwIfNoEntry: false }) !== undefined));
    if (!e) return p;
    if (i < 0) return undefined;
  }
}

/** The copies (sorted by target) grouped by the new top folder they go below; the others are returned. */
function treesOf(run: PlacementRun, ops: CopyOp[], base: string): { trees: Tree[]; rest: CopyOp[] } {
  const exists = new Map<string, boolean>();
  const trees: Tree[] = [];
  const rest: CopyOp[] = [];
  for (const op of ops) {
    const d = dirOf(op.target);
    const top = d && run.missingDirs.has(d) ? topMissing(run.root, d, exists) : undefined;
    if (top === undefined) {
      rest.push(op);
      continue;
    }
    let t = trees[trees.length - 1];
    if (t?.top !== top) trees.push((t = { top, abs: `${base}/t${trees.length.toString(36)}`, ops: [], done: new Map() }));
    t.ops.push(op);
  }
  return { trees, rest };
}

/** Where an op's file is written inside its tree. */
const inTree = (t: Tree, op: CopyOp) => `${t.abs}${op.target.slice(t.top.length)}`;

/** The tree's folders made in the staging folder (ours, made fresh: no link on the way). */
function makeFolders(t: Tree): void {
  mkdirSync(t.abs);
  const made = new Set<string>();
  for (const op of t.ops) {
    const d = dirOf(op.target);
    if (d !== t.top && !made.has(d)) {
      made.add(d);
      mkdirSync(`${t.abs}${d.slice(t.top.length)}`, { recursive: true });
    }
  }
}

/**
 * Once every batch of the tree is answered: its top folder renamed into place (its parent checked), each written file
 * then placed (failures were reported as their batches came back); a source that could not be opened, or every file of a tree that could not
 * be renamed (its top folder exists now), copied one by one later. After a device error nothing is renamed.
 */
async function finish(run: PlacementRun, t: Tree, later: CopyOp[]): Promise<void> {
  const written: CopyOp[] = [];
  for (const op of t.ops) {
    const o = t.done.get(op);
    if (!o || 'notTried' in o || 'notStaged' in o) continue;
    if (o.ok) written.push(op);
    else if (o.retryAsync) later.push(op);
  }
  if (run.fatal || written.length === 0) return;
  try {
    await run.ensureDir(dirOf(t.top));
    if (lstatSync(`${run.rootSlash}${t.top}`, { throwIfNoEntry: false })) throw Object.assign(new Error(`${t.top} exists now`), { code: 'EEXIST' });
    renameSync(t.abs, `${run.rootSlash}${t.top}`);
  } catch {
    later.push(...written); // the person made that folder meanwhile (or it cannot be made): one by one, checked
    return;
  }
  for (const op of written) run.placed(op, op.size, run.recordOf(op, op.size));
}

/**
 * Copy the small local files of `ops` (sorted by target) that go into new folders as trees (see above), on `thread`;
 * returns the ops left for the other strategies. The pending list must be durable before this is called.
 */
export async function copyTrees(run: PlacementRun, ops: CopyOp[], thread: CopyThread, later: CopyOp[]): Promise<CopyOp[]> {
  if (run.missingDirs.size === 0) return ops;
  let base: string;
  try {
    base = `${deviceDir(run.root, STAGING_DIR, true)!}/${run.runTag}tree`;
    mkdirSync(base);
  } catch {
    return ops; // copied the usual way, which reports the device's trouble
  }
  const { trees, rest } = treesOf(run, ops, base);
  const inFlight = new Set<Promise<void>>();
  const finishing: Promise<void>[] = [];
  try {
    for (const t of trees) {
      if (run.stopped()) break;
      try {
        makeFolders(t);
      } catch {
        rest.push(...t.ops);
        continue;
      }
      const sent: Promise<void>[] = [];
      for (let i = 0; i < t.ops.length && !run.stopped(); ) {
        const batch: CopyOp[] = [];
        for (let bytes = 0; i < t.ops.length && batch.length < BATCH_FILES && bytes < BATCH_BYTES; i++) {
          batch.push(t.ops[i]);
          bytes += t.ops[i].size;
        }
        const items = batch.map((op) => {
          const scanned = run.verify ? run.opts.scanned?.(op) : undefined;
          return { source: op.source!, tmp: inTree(t, op), size: op.size, ...(run.verify ? { sha256: hexOf(op.content) } : {}), ...(scanned ? { scanned } : {}) };
        });
        const p: Promise<void> = thread.run(items).then((out) => {
          out.forEach((o, j) => {
            t.done.set(batch[j], o);
            if (!o.ok && 'error' in o && !o.retryAsync) run.failed(batch[j], o.error); // a device error stops the run
          });
          if (run.stopped()) thread.stop();
          inFlight.delete(p);
        });
        inFlight.add(p);
        sent.push(p);
        while (inFlight.size >= WINDOW) await Promise.race(inFlight);
      }
      finishing.push(Promise.all(sent).then(() => finish(run, t, later)));
    }
    await Promise.all(finishing);
  } finally {
    rmSync(base, { recursive: true, force: true });
    try {
      rmdirSync(base.slice(0, base.lastIndexOf('/'))); // the staging folder, when nothing else is in it
    } catch {
      // not empty (another run's files) or gone: left as it is
    }
  }
  return rest;
}

