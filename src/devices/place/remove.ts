// Stage: the removals, before any copy (they free space): only files the catalog says semsync placed and unchanged
// since (classify.ts checked), each moved to the trash (or deleted when the run has none), then the trash's index.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { deviceFileDir } from '../contain.js';
import { addToTrash, moveToTrash, TRASH_INDEX } from '../trash.js';
import type { PlacementRun } from './run.js';
import { dirOf, errCode } from './types.js';

/** Remove `rel`'s now empty parent folders, up to (not including) the top-level one. */
async function removeEmptyParents(root: string, rel: string): Promise<void> {
  for (let d = dirOf(rel); d.includes('/'); d = dirOf(d)) if (!(await fsp.rmdir(path.join(root, d)).then(() => true, () => false))) break;
}

export async function removeFiles(run: PlacementRun): Promise<void> {
  const { root, res, catalog } = run;
  if (run.removes.length && !run.pendingReady()) return;
  for (const r of run.removes) {
    if (run.stopped()) break;
    try {
      if (!deviceFileDir(root, r.path)) throw Object.assign(new Error(`${r.path}: its folder is gone`), { code: 'ENOENT' });
      if (run.trash) res.trashed.push(moveToTrash(root, r, run.trash, run.removeReasons.get(r.path) ?? 'removed by semsync', run.now()));
      else await fsp.unlink(path.join(root, r.path));
      catalog.delete(r.path);
      run.changed();
      res.removed++;
      run.done++;
      run.progress('remove', r.path);
      await removeEmptyParents(root, r.path);
    } catch (e) {
      if (errCode(e) === 'ENOENT') {
        catalog.delete(r.path);
        run.dirty = true;
      } else if (errCode(e) === 'EUNSAFE') {
        res.errors.push({ target: r.path, code: 'EUNSAFE', message: (e as Error).message });
      } else run.fatal = { target: r.path, error: e };
    }
  }
  if (res.trashed.length) {
    try {
      await addToTrash(root, res.trashed);
    } catch (e) {
      run.fatal ??= { target: TRASH_INDEX, error: e };
    }
  }
}
