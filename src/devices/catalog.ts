// The device catalog `.semsync/catalog.nq`: what semsync placed on a device, by which rule, from which metadata.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import n3 from 'n3';
import { ID, NFO, NIE, RDF, SS, XSD } from '../graph/vocab.js';
import type { DeviceEntry } from '../rules/types.js';
import { deviceIri, PROFILE_DIR } from './profile.js';

export const CATALOG_FILE = '.semsync/catalog.nq';
export const TEMP_PREFIX = '.semsync-tmp-';

/** One file semsync placed on a device. */
export interface CatalogRecord {
  /** Relative to the device root, '/'-separated, NFC. */
  path: string;
  /** urn:sha256:HEX */
  content: string;
  size: number;
  /** The placement rule's IRI (ss:placedBy). */
  rule: string;
  /** The metadata values the rule's template used. */
  values: Record<string, string>;
  /** When it was placed (ISO 8601). */
  placedAt: string;
}

/** The answer to "why is this file here". */
export interface Explanation extends CatalogRecord {
  /** The device's IRI (the catalog's graph). */
  device: string;
}

function fileIri(deviceId: string, rel: string): string {
  return ID(`device/${encodeURIComponent(deviceId)}/file/${rel.split('/').map(encodeURIComponent).join('/')}`).value;
}

const lit = (s: string) =>
  '"' + s.replace(/[\\"\n\r]/g, (c) => ({ '\\': '\\\\', '"': '\\"', '\n': '\\n', '\r': '\\r' })[c] as string) + '"';
const iri = (s: string) => '<' + s.replace(/[\x00-\x20<>"{}|^`\\]/g, (c) => encodeURIComponent(c)) + '>';

/** N-Quads text for a device's catalog (one graph: the device's IRI). */
export function serializeCatalog(deviceId: string, records: Iterable<CatalogRecord>): string {
  const g = iri(deviceIri(deviceId));
  const [type, fdo, dev, rp, interp, size, placedBy, placedAt, tv, key, value] = [
    RDF('type'), NFO('FileDataObject'), SS('device'), SS('relativePath'), NIE('interpretedAs'), NFO('fileSize'),
    SS('placedBy'), SS('placedAt'), SS('templateValue'), SS('templateKey'), RDF('value'),
  ].map((t) => iri(t.value));
  const int = `^^${iri(XSD('integer').value)}`;
  const dt = `^^${iri(XSD('dateTime').value)}`;
  const out: string[] = [];
  let b = 0;
  for (const r of records) {
    const f = iri(fileIri(deviceId, r.path));
    out.push(
      `${f} ${type} ${fdo} ${g} .`,
      `${f} ${dev} ${g} ${g} .`,
      `${f} ${rp} ${lit(r.path)} ${g} .`,
      `${f} ${interp} ${iri(r.content)} ${g} .`,
      `${f} ${size} "${r.size}"${int} ${g} .`,
      `${f} ${placedBy} ${iri(r.rule)} ${g} .`,
      `${f} ${placedAt} "${r.placedAt}"${dt} ${g} .`,
    );
    for (const [k, v] of Object.entries(r.values)) {
      const bn = `_:v${b++}`;
      out.push(`${f} ${tv} ${bn} ${g} .`, `${bn} ${key} ${lit(k)} ${g} .`, `${bn} ${value} ${lit(v)} ${g} .`);
    }
  }
  return out.length ? out.join('\n') + '\n' : '';
}

/** Parse catalog N-Quads into records (files without a path, content or rule are ignored) and the device IRI. */
export function parseCatalog(text: string): { device?: string; records: CatalogRecord[] } {
  const files = new Map<string, Partial<CatalogRecord> & { values: Record<string, string>; tvs: string[] }>();
  const bnodes = new Map<string, { key?: string; value?: string }>();
  let device: string | undefined;
  const get = (s: string) => {
    let f = files.get(s);
    if (!f) files.set(s, (f = { values: {}, tvs: [] }));
    return f;
  };
  for (const q of new n3.Parser({ format: 'N-Quads' }).parse(text)) {
    const s = q.subject.value;
    const p = q.predicate.value;
    const o = q.object.value;
    if (q.graph.termType === 'NamedNode') device ??= q.graph.value;
    if (q.subject.termType === 'BlankNode') {
      let bn = bnodes.get(s);
      if (!bn) bnodes.set(s, (bn = {}));
      if (p === SS('templateKey').value) bn.key = o;
      else if (p === RDF('value').value) bn.value = o;
      continue;
    }
    switch (p) {
      case SS('relativePath').value: get(s).path = o.normalize('NFC'); break;
      case NIE('interpretedAs').value: get(s).content = o; break;
      case NFO('fileSize').value: get(s).size = Number(o); break;
      case SS('placedBy').value: get(s).rule = o; break;
      case SS('placedAt').value: get(s).placedAt = o; break;
      case SS('templateValue').value: get(s).tvs.push(o); break;
    }
  }
  const records: CatalogRecord[] = [];
  for (const f of files.values()) {
    if (!f.path || !f.content || !f.rule) continue;
    for (const b of f.tvs) {
      const bn = bnodes.get(b);
      if (bn?.key !== undefined && bn.value !== undefined) f.values[bn.key] = bn.value;
    }
    records.push({ path: f.path, content: f.content, size: f.size ?? 0, rule: f.rule, values: f.values, placedAt: f.placedAt ?? '' });
  }
  return { device, records };
}

/** The catalog's records, by path; empty when the device has no catalog. */
export async function readCatalogRecords(root: string): Promise<CatalogRecord[]> {
  let text: string;
  try {
    text = await fsp.readFile(path.join(root, CATALOG_FILE), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  return parseCatalog(text).records;
}

/** What the catalog says semsync placed on the device (not checked against the files; see {@link listDevice}). */
export async function readCatalog(root: string): Promise<DeviceEntry[]> {
  return (await readCatalogRecords(root)).map((r) => ({ path: r.path, size: r.size, content: r.content, placedBy: r.rule }));
}

/** Write a file atomically: temp file next to it, fsync, rename over. */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}`;
  const fh = await fsp.open(tmp, 'w');
  try {
    await fh.writeFile(data);
    await fh.sync().catch(() => undefined);
  } finally {
    await fh.close();
  }
  try {
    await fsp.rename(tmp, file);
  } catch (e) {
    await fsp.rm(tmp, { force: true }).catch(() => undefined);
    throw e;
  }
}

/** Replace the device's catalog atomically. */
export async function writeCatalog(root: string, deviceId: string, records: Iterable<CatalogRecord>): Promise<void> {
  await fsp.mkdir(path.join(root, PROFILE_DIR), { recursive: true });
  await writeFileAtomic(path.join(root, CATALOG_FILE), serializeCatalog(deviceId, records));
}

const SKIP_DIRS = new Set(['lost+found', 'System Volume Information', '$RECYCLE.BIN']);

/** Every regular file on the device (not crossing into other mounts, not following links), with sizes. */
export async function walkDevice(root: string): Promise<{ path: string; size: number }[]> {
  const rootStat = await fsp.stat(root);
  const out: { path: string; size: number }[] = [];
  const visit = async (rel: string): Promise<void> => {
    const dir = rel ? path.join(root, rel) : root;
    let ents;
    try {
      ents = await fsp.readdir(dir, { withFileTypes: true });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EACCES' || code === 'ENOENT' || code === 'ENOTDIR') return;
      throw e;
    }
    const subdirs: string[] = [];
    await Promise.all(
      ents.map(async (ent) => {
        const r = rel ? `${rel}/${ent.name}` : ent.name;
        if (ent.isDirectory()) {
          if (!rel && ent.name === PROFILE_DIR) return;
          if (SKIP_DIRS.has(ent.name) || ent.name.startsWith('.Trash')) return;
          subdirs.push(r);
        } else if (ent.isFile()) {
          if (ent.name.startsWith(TEMP_PREFIX)) return;
          const st = await fsp.lstat(path.join(root, r)).catch(() => undefined);
          if (st?.isFile()) out.push({ path: r.normalize('NFC'), size: st.size });
        }
      }),
    );
    for (const d of subdirs) {
      const st = await fsp.stat(path.join(root, d)).catch(() => undefined);
      if (st && st.dev === rootStat.dev) await visit(d);
    }
  };
  await visit('');
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/**
 * The device's current contents for planning: every file on it, with `content` and `placedBy` from the catalog
 * where the catalog placed that file and its size still matches (a file the user replaced counts as theirs).
 */
export async function listDevice(root: string): Promise<DeviceEntry[]> {
  const [files, records] = await Promise.all([walkDevice(root), readCatalogRecords(root)]);
  const byPath = new Map(records.map((r) => [r.path, r]));
  const byFolded = new Map(records.map((r) => [r.path.toLowerCase(), r]));
  return files.map((f) => {
    const r = byPath.get(f.path) ?? byFolded.get(f.path.toLowerCase());
    if (r && r.size === f.size) return { path: f.path, size: f.size, content: r.content, placedBy: r.rule };
    return { path: f.path, size: f.size };
  });
}

/** Which rule and which metadata put the file at `relPath` (relative to the root, or absolute inside it). */
export async function explainPath(root: string, relPath: string): Promise<Explanation | undefined> {
  const abs = path.resolve(root, relPath);
  const rel = path.relative(path.resolve(root), abs).split(path.sep).join('/').normalize('NFC');
  if (rel.startsWith('..') || path.isAbsolute(rel)) return undefined;
  let text: string;
  try {
    text = await fsp.readFile(path.join(root, CATALOG_FILE), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  const { device, records } = parseCatalog(text);
  const r = records.find((x) => x.path === rel) ?? records.find((x) => x.path.toLowerCase() === rel.toLowerCase());
  return r ? { ...r, device: device ?? '' } : undefined;
}
