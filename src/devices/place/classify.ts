// Stage: sort the plan into what is already in place (skipped), what to copy and what to remove, against what is on
// the device and what the catalog says semsync placed there. Refused targets and clashes become per-file errors; a
// file of semsync's own that a copy replaces is removed (to the trash) first.
import { readdirSync, rmSync, statSync, type Stats } from 'node:fs';
import path from 'node:path';
import { TEMP_PREFIX, type CatalogRecord } from '../catalog/record.js';
import { deviceDir } from '../contain.js';
import type { PlacementRun } from './run.js';
import { byTarget, errCode, type CopyOp } from './types.js';

// Names are compared case- and normalisation-folded (FAT finds `A.jpg` as `a.jpg`); a near match is stat'ed.
const fold = (n: string) => n.normalize('NFC').toLowerCase();

const isSorted = (ops: CopyOp[]) => {
  for (let i = 1; i < ops.length; i++) if (!(ops[i - 1].target < ops[i].target)) return false;
  return true;
};

/**
 * The names in folder `d` (folded), listed once; undefined when it cannot be listed (each name is then stat'ed). A
 * planned folder's leftover temp files (an interrupted run's) are removed when it is listed.
 */
function lister(run: PlacementRun): (d: string) => Set<string> | undefined {
  const present = new Map<string, Set<string> | undefined>();
  return (d) => {
    if (!present.has(d)) {
      let list: Set<string> | undefined;
      const temps: string[] = [];
      const abs = path.join(run.root, d);
      try {
        deviceDir(run.root, d, false); // a folder reached through a link is not listed, nor cleaned
        list = new Set();
        for (const n of readdirSync(abs)) {
          if (run.planDirs.has(d) && n.startsWith(TEMP_PREFIX)) temps.push(n);
          else list.add(fold(n));
        }
      } catch (e) {
        list = errCode(e) === 'ENOENT' ? new Set() : undefined;
        if (list) run.missingDirs.add(d);
        temps.length = 0;
      }
      for (const n of temps) rmSync(path.join(abs, n), { force: true });
      run.res.tempRemoved += temps.length;
      present.set(d, list);
    }
    return present.get(d);
  };
}

/** What exists at each op's target: one listing per target folder, then a stat only for names that are there. */
function statTargets(run: PlacementRun): (Stats | undefined)[] {
  const names = lister(run);
  for (const d of run.planDirs) names(d);
  return run.ops.map((op, i) => {
    if (op.kind === 'skip' || run.unsafe[i]) return undefined;
    const dir = names(run.opDirs[i]);
    if (dir && (dir.size === 0 || !dir.has(fold(op.target.slice(op.target.lastIndexOf('/') + 1))))) return undefined;
    return statSync(path.join(run.root, op.target), { throwIfNoEntry: false });
  });
}

export function classify(run: PlacementRun): void {
  const { res, catalog } = run;
  const stats = statTargets(run);
  const seen = new Set<string>();
  const removing = new Set<string>();
  const remove = (rec: CatalogRecord, reason: string) => {
    if (removing.has(rec.path)) return;
    removing.add(rec.path);
    run.removeReasons.set(rec.path, reason);
    run.removes.push(rec);
  };
  run.ops.forEach((op, i) => {
    if (op.kind === 'skip') return run.skip(op.reason, undefined, op.content);
    const bad = run.unsafe[i];
    if (bad) return void res.errors.push({ target: op.target, code: 'EUNSAFE', message: `refused: ${bad}` });
    const st = stats[i];
    const found = catalog.get(op.target);
    const rec = found?.removedAt ? undefined : found; // removed by the person: no file of ours there
    if (op.kind === 'remove') {
      if (!rec) return run.skip(`not placed by semsync, left alone (${op.reason})`, op.target);
      if (!st) {
        catalog.delete(op.target);
        run.dirty = true;
        return;
      }
      if (st.size !== rec.size) return run.skip('changed on the device since semsync placed it, left alone', op.target);
      return remove(rec, op.reason);
    }
    if (seen.has(op.target)) return void res.errors.push({ target: op.target, content: op.content, code: 'EDUP', message: 'two copies to the same target' });
    seen.add(op.target);
    if (st && rec && rec.size === st.size && rec.content === op.content) return run.skip('already in place', op.target, op.content);
    if (st && (!rec || rec.size !== st.size)) {
      return void res.errors.push({ target: op.target, content: op.content, code: 'EEXIST', message: 'a file semsync did not place is already there; left alone' });
    }
    // Other content onto a file semsync placed there: the file goes to the trash first (removals run before copies),
    // never renamed over: the person may have changed it in place (a tag edit often keeps the size).
    if (st && rec) remove(rec, `replaced by other content (${op.content})`);
    run.copies.push(op);
  });
  if (!isSorted(run.copies)) run.copies.sort(byTarget); // a plan gives them sorted
}
