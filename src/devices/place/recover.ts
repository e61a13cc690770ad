// Stage: finish what an interrupted run left on the device: drop its temp files and staged bytes, and catalogue the
// files it renamed into place (its pending list says which), each only if found intact (size and hash).
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { deviceFileDir } from '../contain.js';
import { hashFile, removeTempFiles, unsafeTarget } from '../copy.js';
import { readPending } from '../pending.js';
import { clearStaging } from '../stage.js';
import type { PlacementRun } from './run.js';
import { hexOf } from './types.js';

const deviceFileDirOk = (root: string, rel: string) => {
  try {
    return deviceFileDir(root, rel) !== undefined;
  } catch {
    return false;
  }
};

export async function recoverInterrupted(run: PlacementRun): Promise<void> {
  const { root, catalog, res } = run;
  const prev = (run.prev = await readPending(run.pendingPath, run.legacyPendingPath));
  // Folders this plan copies into are cleaned when classification lists them.
  res.tempRemoved = await removeTempFiles(root, (prev?.dirs ?? []).filter((d) => !run.planDirs.has(d)));
  if (!run.opts.staging?.thread) await clearStaging(root);
  for (const c of prev?.copies ?? []) {
    if (catalog.get(c.target)?.content === c.content || unsafeTarget(c.target)) continue;
    if (!deviceFileDirOk(root, c.target)) continue;
    const st = await fsp.stat(path.join(root, c.target)).catch(() => undefined);
    if (!st?.isFile() || st.size !== c.size) continue;
    if ((await hashFile(path.join(root, c.target)).catch(() => '')) !== hexOf(c.content)) continue;
    catalog.set(c.target, { path: c.target, content: c.content, size: c.size, rule: c.rule, values: c.values, placedAt: run.now().toISOString() });
    res.recovered++;
    run.dirty = true;
  }
}
