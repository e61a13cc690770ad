// The catalog file on a device: read (the TriG catalog, else a legacy N-Quads one), with the last parse kept per file
// while the file is the same, and replaced atomically (through base's one atomic writer).
import { promises as fsp, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../../base/index.js';
import type { DeviceEntry } from '../../rules/index.js';
import { deviceDir } from '../contain.js';
import { PROFILE_DIR } from '../profile.js';
import { catalogBytes } from './format.js';
import { parseCatalog } from './parse.js';
import { CATALOG_FILE, LEGACY_CATALOG_FILE, NON_ASCII, type CatalogRecord } from './record.js';

// The last catalog read or written per file, by identity (inode, size, times): a re-run skips the parse.
const parsed = new Map<string, { key: string; records: CatalogRecord[] }>();
const statKey = (file: string) => {
  const st = statSync(file, { throwIfNoEntry: false });
  return st ? `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}` : undefined;
};

/** The catalog's file and text (the TriG catalog, else a legacy N-Quads one), or undefined when there is none. */
export async function catalogText(root: string): Promise<{ file: string; text: string; format: 'TriG' | 'N-Quads' } | undefined> {
  for (const [name, format] of [[CATALOG_FILE, 'TriG'], [LEGACY_CATALOG_FILE, 'N-Quads']] as const) {
    const file = path.join(root, name);
    try {
      return { file, text: await fsp.readFile(file, 'utf8'), format };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
  return undefined;
}

/** The catalog's records, by path; empty when the device has no catalog. */
export async function readCatalogRecords(root: string): Promise<CatalogRecord[]> {
  const file = path.join(root, CATALOG_FILE);
  const key = statKey(file);
  const hit = parsed.get(file);
  if (key && hit?.key === key) return [...hit.records];
  const found = await catalogText(root);
  if (!found) return [];
  const records = parseCatalog(found.text, found.format).records;
  if (found.file === file && key && statKey(file) === key) parsed.set(file, { key, records: [...records] });
  return records;
}

/** What the catalog says semsync placed on the device (not checked against the files; see listDevice). */
export async function readCatalog(root: string): Promise<DeviceEntry[]> {
  return (await readCatalogRecords(root)).filter((r) => !r.removedAt).map((r) => ({ path: r.path, size: r.size, content: r.content, placedBy: r.rule }));
}

/**
 * Replace the device's catalog atomically (readable by the device's other users, as any file semsync puts on it).
 * Throws DeviceEscapeError if `.semsync` is a symbolic link. A legacy N-Quads catalog is removed once the new one is
 * durable (the atomic writer syncs the folder after its rename).
 */
export async function writeCatalog(root: string, deviceId: string, records: Iterable<CatalogRecord>): Promise<void> {
  deviceDir(root, PROFILE_DIR, true);
  const file = path.join(root, CATALOG_FILE);
  const list = [...records];
  parsed.delete(file);
  await writeFileAtomic(file, catalogBytes(deviceId, list), { mode: 0o666 });
  const legacy = path.join(root, LEGACY_CATALOG_FILE);
  if (statSync(legacy, { throwIfNoEntry: false })) rmSync(legacy, { force: true });
  const key = statKey(file);
  const nfc = (r: CatalogRecord) => (!NON_ASCII.test(r.path) || r.path === r.path.normalize('NFC') ? r : { ...r, path: r.path.normalize('NFC') });
  if (key) parsed.set(file, { key, records: list.map(nfc) });
}
