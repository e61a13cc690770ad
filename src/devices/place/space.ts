// Stages: the free-space check (DeviceFullError before anything is written, the device's trash giving way first) and
// the pending list's records (each copy's catalog record, made before anything is placed).
import { statfsSync } from 'node:fs';
import type { CatalogRecord } from '../catalog/record.js';
import { DeviceFullError } from '../errors.js';
import { makeRoom, TRASH_DIR } from '../trash.js';
import type { PlacementRun } from './run.js';
import { dirOf, type CopyOp } from './types.js';

const MB = 1 << 20;

/** What the copies need on the device: each one's blocks (staged content is counted already) and the folders'. */
function copiesNeed(run: PlacementRun, copies: CopyOp[], round: (n: number) => number, block: number): number {
  const newDirs = new Set<string>();
  let need = 0;
  for (const c of copies) {
    newDirs.add(dirOf(c.target));
    if (c.source === undefined || run.opts.staging?.pathOf(c.content) === undefined) need += round(c.size);
  }
  if (copies.length) need += (newDirs.size + 2) * block + round(copies.length * 1200);
  return need;
}

/**
 * Throws DeviceFullError when the copies need more than is free (what the removals free counted). A device's own trash
 * keeps what is removed on the device: its oldest entries give way when space is short. When there is still no room to
 * keep this run's removed files in the trash, they are never deleted outright: each removal is refused (the file
 * stays, in the catalog, skipped with the reason), and the copies that fit in what is free are placed, the others
 * skipped (see {@link keepRemovals}).
 */
export async function checkFreeSpace(run: PlacementRun): Promise<void> {
  const sfs = statfsSync(run.root);
  const block = Math.max(512, sfs.bsize);
  const round = (n: number) => Math.ceil(n / block) * block;
  const free = sfs.bavail * sfs.bsize;
  const need = copiesNeed(run, run.copies, round, block);
  const removedBytes = run.removes.reduce((n, r) => n + round(r.size), 0);
  const onDevice = run.trash !== false && run.trash.kind === 'device';
  let freed = onDevice ? 0 : removedBytes;
  if (need > free + freed && onDevice) {
    freed += await makeRoom(run.root, need - free - freed);
    if (need > free + freed && removedBytes > 0) return keepRemovals(run, free + freed, need - free - freed, round, block);
  }
  if (need > free + freed) throw new DeviceFullError(run.root, need, free + freed);
}

/**
 * The device cannot keep this run's removed files in its trash and still take the copies: nothing is deleted outright.
 * Each removal is refused (skipped, the file and its catalog record stay); the copies are kept in plan order while they
 * fit in `room`, the rest skipped (their records dropped from the pending list).
 */
function keepRemovals(run: PlacementRun, room: number, short: number, round: (n: number) => number, block: number): void {
  const mb = Math.max(1, Math.ceil(short / MB));
  const keptPaths = new Set<string>();
  for (const r of run.removes) {
    keptPaths.add(r.path);
    run.skip(`not enough free space to keep it in ${TRASH_DIR}; it stays: free ${mb} MB on the device or run \`semsync trash empty\`, then place again`, r.path, r.content);
  }
  run.removes = [];
  const kept: CopyOp[] = [];
  const dirs = new Set<string>();
  let bytes = 0;
  for (const c of run.copies) {
    const d = dirOf(c.target);
    const more = c.source === undefined || run.opts.staging?.pathOf(c.content) === undefined ? round(c.size) : 0;
    const total = bytes + more + (dirs.size + (dirs.has(d) ? 0 : 1) + 2) * block + round((kept.length + 1) * 1200);
    // A copy onto a file whose removal was refused would replace it: skipped too.
    if (total <= room && !keptPaths.has(c.target)) {
      kept.push(c);
      dirs.add(d);
      bytes += more;
      continue;
    }
    run.skip(`not enough free space on the device (${mb} MB short; files semsync would remove are kept, not deleted)`, c.target, c.content);
    const rec = run.recordByOp.get(c);
    run.recordByOp.delete(c);
    if (rec) run.records = run.records.filter((x) => x !== rec);
    run.totalBytes -= c.size;
  }
  run.copies = kept;
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
