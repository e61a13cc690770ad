// A placement run's pending list on the device: what it is placing, durable before anything is renamed or removed,
// read back (and distrusted: it comes from the device) by the next run after an interruption.
import { promises as fsp } from 'node:fs';
import { parseCatalog } from './catalog/parse.js';
import { type CatalogRecord } from './catalog/record.js';
import { unsafeRelative } from './contain.js';

/**
 * The run's pending list: the catalog records of every copy it makes (TriG, as the catalog), durable before anything
 * is removed or renamed into place, removed once the catalog holds what the run did.
 */
export const PENDING_FILE = '.semsync/pending.trig';
/** The pending list as versions before the TriG catalog wrote it (JSON); an interrupted run's is still finished. */
export const LEGACY_PENDING_FILE = '.semsync/pending.json';

export interface PendingCopy {
  target: string;
  content: string;
  size: number;
  rule: string;
  values: Record<string, string>;
}

export interface Pending {
  /** Folders (relative to the root) that may hold the run's temp files: plain relative paths only. */
  dirs: string[];
  copies: PendingCopy[];
}

const dirOf = (t: string) => {
  const i = t.lastIndexOf('/');
  return i < 0 ? '' : t.slice(0, i);
};

/** Only plain relative names: a pending list naming `../../host` or `/etc` is not followed there. */
function sane(p: { dirs?: unknown; copies?: unknown }): Pending {
  const copies = (Array.isArray(p.copies) ? p.copies : []).filter(
    (c): c is PendingCopy =>
      typeof c === 'object' && c !== null && typeof (c as PendingCopy).target === 'string' && !unsafeRelative((c as PendingCopy).target) &&
      typeof (c as PendingCopy).content === 'string' && typeof (c as PendingCopy).size === 'number',
  );
  const dirs = (Array.isArray(p.dirs) ? p.dirs : []).filter((d): d is string => typeof d === 'string' && !unsafeRelative(d));
  return { dirs, copies };
}

/** What an interrupted run's pending list says it was placing (either format), or undefined if there is none. */
export async function readPending(file: string, legacyFile: string): Promise<Pending | undefined> {
  const text = await fsp.readFile(file, 'utf8').catch(() => undefined);
  if (text !== undefined) {
    let recs: CatalogRecord[];
    try {
      recs = parseCatalog(text, 'TriG').records;
    } catch {
      return undefined; // written atomically: unreadable means not ours to finish
    }
    const copies = recs.map((r) => ({ target: r.path, content: r.content, size: r.size, rule: r.rule, values: r.values }));
    return sane({ dirs: [...new Set(copies.map((c) => dirOf(c.target)))], copies });
  }
  const legacy = await fsp.readFile(legacyFile, 'utf8').then((t) => JSON.parse(t) as unknown, () => undefined);
  return legacy && typeof legacy === 'object' ? sane(legacy) : undefined;
}
