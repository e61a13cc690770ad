// What the person deleted by hand: catalog records whose file is gone are remembered as "removed by the person", so
// the content is not copied back (until `semsync place --restore`).
import type { DeviceEntry } from '../../rules/index.js';
import { readCatalogRecords, writeCatalog } from './file.js';
import type { CatalogRecord } from './record.js';

/**
 * Catalog records whose file is not in `listing` (a walk of the device) are files the person deleted by hand: they
 * are marked `removedAt` (kept in the catalog, so the content is not copied back). With `write`, the catalog is
 * rewritten when something was marked. Returns every content removed by the person that the listing does not hold.
 */
export async function noteRemovedByPerson(
  root: string, deviceId: string, listing: readonly DeviceEntry[], opts: { write: boolean; now?: Date; forget?: boolean },
): Promise<Set<string>> {
  const records = await readCatalogRecords(root);
  if (records.length === 0) return new Set();
  const here = new Set(listing.map((e) => e.path.toLowerCase()));
  const onDevice = new Set(listing.flatMap((e) => (e.content ? [e.content] : [])));
  const at = (opts.now ?? new Date()).toISOString();
  let changed = false;
  const next: CatalogRecord[] = [];
  for (const r of records) {
    if (r.removedAt) {
      if (opts.forget || onDevice.has(r.content)) changed = true; // restored, or placed again: no longer "removed"
      else next.push(r);
    } else if (!here.has(r.path.toLowerCase())) {
      changed = true;
      if (!opts.forget && !onDevice.has(r.content)) next.push({ ...r, removedAt: at });
    } else next.push(r);
  }
  if (changed && opts.write) await writeCatalog(root, deviceId, next);
  return new Set(next.flatMap((r) => (r.removedAt ? [r.content] : [])));
}
