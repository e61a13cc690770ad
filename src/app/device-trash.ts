// `semsync trash list|restore|empty`: what semsync removed from attached devices and host targets (see src/devices/trash.ts).
import { emptyTrash, readDeviceProfile, readTrash, restoreTrash, trashedFile, type TrashEntry } from '../devices/index.js';
import type { DeviceRow } from './device-rows.js';
import type { DeviceProfile } from '../rules/index.js';

/** A trashed file as the CLI lists it. */
export interface TrashRow {
  id: string;
  device: string;
  deviceName: string;
  /** Where it was, relative to the device or target. */
  path: string;
  content: string;
  size: number;
  trashedAt: string;
  reason: string;
  /** Where its bytes are now. */
  file: string;
}

const rowOf = (d: DeviceRow, e: TrashEntry): TrashRow => ({
  id: e.id, device: d.id, deviceName: d.name, path: e.path, content: e.content, size: e.size, trashedAt: e.trashedAt, reason: e.reason,
  file: trashedFile(d.root, e) ?? e.file,
});

export interface DeviceTrashComponents {
  /** The attached devices and targets (device-rows.ts's DeviceListing is one). */
  listing: { list(): Promise<DeviceRow[]>; find(idOrPath: string): Promise<DeviceRow> };
  /** Loads a device's catalog into its graph again after a restore (a failure is logged, never thrown). */
  loadGraph: (dev: DeviceRow, profile?: DeviceProfile) => Promise<void>;
}

export class DeviceTrash {
  constructor(private readonly c: DeviceTrashComponents) {}

  /** The devices and targets to look at: the one named, else every attached one with a profile. */
  private async targets(device?: string): Promise<DeviceRow[]> {
    if (device) return [await this.c.listing.find(device)];
    return (await this.c.listing.list()).filter((r) => r.state !== 'foreign' && !r.error);
  }

  async list(device?: string): Promise<TrashRow[]> {
    const out: TrashRow[] = [];
    for (const d of await this.targets(device)) for (const e of await readTrash(d.root)) out.push(rowOf(d, e));
    return out.sort((a, b) => (a.trashedAt < b.trashedAt ? -1 : a.trashedAt > b.trashedAt ? 1 : 0));
  }

  /** Put files back (by id, or all) and into their catalogs (and catalog graphs) again. */
  async restore(ids: string[] | 'all', device?: string): Promise<{ restored: TrashRow[]; errors: string[] }> {
    const restored: TrashRow[] = [];
    const errors: string[] = [];
    const left = new Set(ids === 'all' ? [] : ids);
    for (const d of await this.targets(device)) {
      const entries = await readTrash(d.root);
      const mine = ids === 'all' ? 'all' : entries.filter((e) => left.has(e.id)).map((e) => e.id);
      if (mine !== 'all' && mine.length === 0) continue;
      const profile = await readDeviceProfile(d.root);
      const r = await restoreTrash(d.root, profile?.id ?? d.id, mine);
      for (const e of r.restored) {
        restored.push(rowOf(d, e));
        left.delete(e.id);
      }
      for (const e of r.errors) {
        errors.push(`${d.name}: ${e}`);
        left.delete(e.split(' ')[0]);
      }
      if (r.restored.length) await this.c.loadGraph(d, profile);
    }
    for (const id of left) errors.push(`no trashed file with id ${id} (see \`semsync trash list\`)`);
    return { restored, errors };
  }

  /** Delete trashed files for good: all, or those older than `olderThanDays`. */
  async empty(opts: { device?: string; olderThanDays?: number } = {}): Promise<TrashRow[]> {
    const out: TrashRow[] = [];
    for (const d of await this.targets(opts.device)) {
      for (const e of await emptyTrash(d.root, opts.olderThanDays !== undefined ? { olderThanDays: opts.olderThanDays } : {})) out.push(rowOf(d, e));
    }
    return out;
  }
}
