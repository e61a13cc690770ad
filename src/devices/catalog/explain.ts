// "Why is this file here": the catalog record (rule, template values, time) of a file on a device.
import path from 'node:path';
import { catalogText } from './file.js';
import { parseCatalog } from './parse.js';
import type { CatalogRecord } from './record.js';

/** The answer to "why is this file here". */
export interface Explanation extends CatalogRecord {
  /** The device's IRI (the catalog's graph). */
  device: string;
}

/** Which rule and which metadata put the file at `relPath` (relative to the root, or absolute inside it). */
export async function explainPath(root: string, relPath: string): Promise<Explanation | undefined> {
  const abs = path.resolve(root, relPath);
  const rel = path.relative(path.resolve(root), abs).split(path.sep).join('/').normalize('NFC');
  if (rel.startsWith('..') || path.isAbsolute(rel)) return undefined;
  const found = await catalogText(root);
  if (!found) return undefined;
  const { device, records } = parseCatalog(found.text, found.format);
  const live = records.filter((x) => !x.removedAt);
  const r = live.find((x) => x.path === rel) ?? live.find((x) => x.path.toLowerCase() === rel.toLowerCase());
  return r ? { ...r, device: device ?? '' } : undefined;
}
