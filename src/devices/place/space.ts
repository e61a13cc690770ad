// Stages: the free-space check (DeviceFullError before anything is written, the device's trash giving way first) and
// the pending list's records (each copy's catalog record, made before anything is placed).
import { statfsSync } from 'node:fs';
import type { CatalogRecord } from '../catalog.js';
import { DeviceFullError } from '../errors.js';
import { makeRoom } from '../trash.js';
import type { PlacementRun } from './run.js';
import { dirOf } from './types.js';

/**
 * Throws DeviceFullError when the copies need more than is free (what the removals free counted). A device's own trash
 * keeps what is removed on the device: its oldest entries give way when space is short, and when there is still no
 * room to keep this run's removed files as well, they are deleted outright (`run.trash` becomes false).
 */
export async function checkFreeSpace(run: PlacementRun): Promise<void> {
  const sfs = statfsSync(run.root);
  const block = Math.max(512, sfs.bsize);
  const round = (n: number) => Math.ceil(n / block) * block;
  const free = sfs.bavail * sfs.bsize;
  const newDirs = new Set<string>();
  let need = 0;
  for (const c of run.copies) {
    newDirs.add(dirOf(c.target));
    if (c.source === undefined || run.opts.staging?.pathOf(c.content) === undefined) need += round(c.size); // staged: counted
  }
  if (run.copies.length) need += (newDirs.size + 2) * block + round(run.copies.length * 1200);
  const removedBytes = run.removes.reduce((n, r) => n + round(r.size), 0);
  let freed = run.trash && run.trash.kind === 'device' ? 0 : removedBytes;
  if (need > free + freed && run.trash && run.trash.kind === 'device') {
    freed += await makeRoom(run.root, need - free - freed);
    if (need > free + freed && removedBytes > 0) {
      run.trash = false;
      freed += removedBytes;
    }
  }
  if (need > free + freed) throw new DeviceFullError(run.root, need, free + freed);
}

/**
 * Each copy's catalog record, placed at the run's time: the pending list holds them. A small file placed in this
 * run's batches keeps its record; a large or fetched one gets its own when placed.
 */
export function makeRecords(run: PlacementRun): void {
  const runAt = run.now().toISOString();
  for (const c of run.copies) {
    run.totalBytes += c.size;
    const r: CatalogRecord = { path: c.target, content: c.content, size: c.size, rule: c.rule, values: c.values, placedAt: runAt };
    run.records.push(r);
    run.recordByOp.set(c, r);
  }
}
