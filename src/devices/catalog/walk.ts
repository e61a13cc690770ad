// What is on a device now: every regular file (a walk that stays on the device's filesystem and follows no link),
// and, for planning, which of them the catalog says semsync placed.
import { lstatSync, promises as fsp, readdirSync, type Dirent } from 'node:fs';
import type { DeviceEntry } from '../../rules/index.js';
import { PROFILE_DIR } from '../profile.js';
import { readCatalogRecords } from './file.js';
import { NON_ASCII, TEMP_PREFIX, type CatalogRecord } from './record.js';

const SKIP_DIRS = new Set(['lost+found', 'System Volume Information', '$RECYCLE.BIN']);

/**
 * Every regular file on the device (not crossing into other mounts, not following links), with sizes.
 * Each folder is read and its files stat'ed synchronously, as rsync and find do (a thread-pool round trip per
 * file costs more than the stat itself); the event loop gets a turn between folders.
 */
export async function walkDevice(root: string): Promise<{ path: string; size: number }[]> {
  const rootDev = (await fsp.stat(root)).dev;
  const base = root.endsWith('/') ? root : `${root}/`;
  const out: { path: string; size: number }[] = [];
  const pending: string[] = [''];
  for (let visited = 0; pending.length; visited++) {
    const rel = pending.pop()!;
    const dir = rel ? `${base}${rel}` : root;
    let ents: Dirent[];
    try {
      ents = readdirSync(dir, { withFileTypes: true });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EACCES' || code === 'ENOENT' || code === 'ENOTDIR') continue;
      throw e;
    }
    for (const ent of ents) {
      const r = rel ? `${rel}/${ent.name}` : ent.name;
      if (ent.isDirectory()) {
        if (!rel && ent.name === PROFILE_DIR) continue;
        if (SKIP_DIRS.has(ent.name) || ent.name.startsWith('.Trash')) continue;
        const st = lstatSync(base + r, { throwIfNoEntry: false });
        if (st?.isDirectory() && st.dev === rootDev) pending.push(r);
      } else if (ent.isFile()) {
        if (ent.name.startsWith(TEMP_PREFIX)) continue;
        let st;
        try {
          st = lstatSync(base + r, { throwIfNoEntry: false });
        } catch {
          st = undefined;
        }
        if (st?.isFile()) out.push({ path: NON_ASCII.test(r) ? r.normalize('NFC') : r, size: st.size });
      }
    }
    if (visited % 64 === 63) await new Promise((res) => setImmediate(res));
  }
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/**
 * The device's current contents for planning: every file on it, with `content` and `placedBy` from the catalog
 * where the catalog placed that file and its size still matches (a file the user replaced counts as theirs).
 */
export async function listDevice(root: string): Promise<DeviceEntry[]> {
  const [files, all] = await Promise.all([walkDevice(root), readCatalogRecords(root)]);
  const records = all.some((r) => r.removedAt) ? all.filter((r) => !r.removedAt) : all;
  const byPath = new Map(records.map((r) => [r.path, r]));
  let byFolded: Map<string, CatalogRecord> | undefined; // only when a name differs in case (FAT): rare
  return files.map((f) => {
    const r = byPath.get(f.path) ?? (byFolded ??= new Map(records.map((x) => [x.path.toLowerCase(), x]))).get(f.path.toLowerCase());
    if (r && r.size === f.size) return r.restoredAt ? { path: f.path, size: f.size, content: r.content } : { path: f.path, size: f.size, content: r.content, placedBy: r.rule };
    return { path: f.path, size: f.size };
  });
}
