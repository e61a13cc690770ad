// The device catalog `.semsync/catalog.trig`: what semsync placed on a device, by which rule, from which metadata.
import { closeSync, fsyncSync, lstatSync, openSync, promises as fsp, readdirSync, renameSync, rmSync, statSync, writeFileSync, type Dirent } from 'node:fs';
import path from 'node:path';
import n3 from 'n3';
import { ID, NFO, NIE, RDF, SS, XSD } from '../graph/vocab.js';
import type { DeviceEntry } from '../rules/types.js';
import { writeFileAtomic } from '../base/index.js';
import { deviceDir } from './contain.js';
import { deviceIri, PROFILE_DIR } from './profile.js';

export const CATALOG_FILE = '.semsync/catalog.trig';
/** Where versions before the TriG catalog kept it (N-Quads): read when there is no CATALOG_FILE, removed by the next write. */
export const LEGACY_CATALOG_FILE = '.semsync/catalog.nq';
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
  /**
   * When semsync found the file gone from the device (ISO 8601): the person deleted it by hand, so it is not copied
   * back (`semsync place --restore` does). Such a record describes no file on the device.
   */
  removedAt?: string;
  /**
   * When the person put the file back from the trash (ISO 8601): it is theirs now, never removed or moved by semsync
   * (not even in mirror mode), and still a copy of its content.
   */
  restoredAt?: string;
}

/** The answer to "why is this file here". */
export interface Explanation extends CatalogRecord {
  /** The device's IRI (the catalog's graph). */
  device: string;
}

// JSON's string syntax is a subset of N-Triples' and Turtle's (\" \\ \n \r \t \b \f \uXXXX), and native.
const lit = (s: string) => JSON.stringify(s);
const IRI_ESC = /[\x00-\x20<>"{}|^`\\]/;
const iri = (s: string) => '<' + (IRI_ESC.test(s) ? s.replace(/[\x00-\x20<>"{}|^`\\]/g, (c) => encodeURIComponent(c)) : s) + '>';

/** The prefixes a catalog (and a pending list) declares, in the order written. */
const PREFIXES: ReadonlyArray<[string, string]> = [
  ['ss', SS('').value], ['nie', NIE('').value], ['nfo', NFO('').value], ['xsd', XSD('').value], ['rdf', RDF('').value],
];
const PREFIX_TEXT = PREFIXES.map(([p, ns]) => `@prefix ${p}: <${ns}> .\n`).join('');

// Each record's line is built once (records are replaced, never mutated) and kept as UTF-8 bytes, so frequent
// rewrites only copy bytes (the text itself is not kept: the GC would copy megabytes of strings around). The lines of
// records prepared together share one buffer (one UTF-8 encode; a run of them is copied at once).
interface Bytes {
  buf: Buffer;
  start: number;
  end: number;
}
const cache = new WeakMap<CatalogRecord, Bytes>();
let fileSeq = 0;

/** A placed file's statements (one line of TriG, inside the device's graph): a blank node found by its ss:relativePath. */
function recordLine(r: CatalogRecord): string {
  // A run's records share their rule and time: those terms are written once per change.
  if (r.rule !== last.rule) last.ruleTerm = iri((last.rule = r.rule));
  if (r.placedAt !== last.placedAt) last.placedAtTerm = lit((last.placedAt = r.placedAt));
  return (
    `_:f${(fileSeq++).toString(36)} ss:relativePath ${lit(r.path)} ; nie:interpretedAs ${iri(r.content)} ; nfo:fileSize ${integer(r.size)} ; ` +
    `ss:placedBy ${last.ruleTerm} ; ss:placedAt ${last.placedAtTerm}^^xsd:dateTime ; ss:templateValues ${lit(JSON.stringify(r.values))}^^rdf:JSON` +
    (r.removedAt ? ` ; ss:removedByPerson ${lit(r.removedAt)}^^xsd:dateTime` : '') +
    (r.restoredAt ? ` ; ss:restoredAt ${lit(r.restoredAt)}^^xsd:dateTime .\n` : ' .\n')
  );
}
const last = { rule: '', ruleTerm: iri(''), placedAt: '', placedAtTerm: lit('') };
const integer = (n: number) => (Number.isSafeInteger(n) ? String(n) : `${lit(String(n))}^^xsd:integer`);

/** The bytes of each record (built for those that have none yet, together). */
function recordsBytes(records: readonly CatalogRecord[]): Bytes[] {
  const out: Bytes[] = [];
  const todo: number[] = [];
  const lines: string[] = [];
  for (let i = 0; i < records.length; i++) {
    const hit = cache.get(records[i]);
    out.push(hit!);
    if (!hit) {
      todo.push(i);
      lines.push(recordLine(records[i]));
    }
  }
  if (todo.length === 0) return out;
  const text = lines.join('');
  const buf = Buffer.from(text);
  const ascii = buf.length === text.length; // then byte offsets are string offsets
  for (let k = 0, off = 0; k < todo.length; k++) {
    const end = off + (ascii ? lines[k].length : Buffer.byteLength(lines[k]));
    const bytes = { buf, start: off, end };
    cache.set(records[todo[k]], bytes);
    out[todo[k]] = bytes;
    off = end;
  }
  return out;
}

/** Build records' catalog bytes ahead of a write (cached: a write of a catalog holding them only copies bytes). */
export function prepareCatalogRecords(records: readonly CatalogRecord[]): void {
  recordsBytes(records);
}

/** The device's graph IRI, as the catalog writes it. */
export const graphOf = (deviceId: string) => iri(deviceIri(deviceId));

/** The catalog (or a pending list) as TriG bytes: the prefixes, then the device's graph holding its records. */
export function catalogBytes(deviceId: string, records: Iterable<CatalogRecord>): Buffer {
  const g = graphOf(deviceId);
  const head = Buffer.from(`${PREFIX_TEXT}${g} {\n${g} a ss:Device ; ss:deviceId ${lit(deviceId)} .\n`);
  const tail = Buffer.from('}\n');
  const bytes = recordsBytes(Array.isArray(records) ? records : [...records]);
  let size = head.length + tail.length;
  for (const b of bytes) size += b.end - b.start;
  const out = Buffer.allocUnsafe(size);
  let off = head.copy(out, 0);
  // Records prepared together and written in the same order (a run's copies, by target) are one copy.
  for (let i = 0; i < bytes.length; ) {
    const { buf, start } = bytes[i];
    let end = bytes[i].end;
    for (i++; i < bytes.length && bytes[i].buf === buf && bytes[i].start === end; i++) end = bytes[i].end;
    off += buf.copy(out, off, start, end);
  }
  tail.copy(out, off);
  return out;
}

/** TriG text for a device's catalog (one graph: the device's IRI). */
export function serializeCatalog(deviceId: string, records: Iterable<CatalogRecord>): string {
  return catalogBytes(deviceId, records).toString('utf8');
}

interface Q {
  s: string;
  p: string;
  o: string;
  g?: string;
}

const unesc = (s: string) =>
  s.includes('\\')
    ? s.replace(/\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)/g, (_, c: string) =>
        c.length > 1 ? String.fromCodePoint(parseInt(c.slice(1), 16)) : ({ n: '\n', r: '\r', t: '\t', b: '\b', f: '\f' } as Record<string, string>)[c] ?? c)
    : s;

/** One term at `i` (an IRI, a blank node or a literal); returns its value and the index after it, or undefined. */
function term(line: string, i: number): [string, number] | undefined {
  const c = line[i];
  if (c === '<') {
    const e = line.indexOf('>', i);
    return e < 0 ? undefined : [line.slice(i + 1, e), e + 1];
  }
  if (c === '_') {
    const e = line.indexOf(' ', i);
    return e < 0 ? undefined : [line.slice(i, e), e];
  }
  if (c === '"') {
    let e = i + 1;
    for (;;) {
      e = line.indexOf('"', e);
      if (e < 0) return undefined;
      let bs = 0;
      while (line[e - 1 - bs] === '\\') bs++;
      if (bs % 2 === 0) break;
      e++;
    }
    const value = unesc(line.slice(i + 1, e));
    let j = e + 1;
    if (line.startsWith('^^<', j)) j = line.indexOf('>', j) + 1;
    else if (line[j] === '@') while (j < line.length && line[j] !== ' ') j++;
    return j <= 0 ? undefined : [value, j];
  }
  return undefined;
}

/** Our own catalog lines, fast; undefined if any line is not in the simple shape we write (then n3 parses it). */
function quickQuads(text: string): Q[] | undefined {
  const out: Q[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const s = term(line, 0);
    if (!s || line[s[1]] !== ' ' || line[s[1] + 1] !== '<') return undefined;
    const p = term(line, s[1] + 1)!;
    if (!p || line[p[1]] !== ' ') return undefined;
    const o = term(line, p[1] + 1);
    if (!o) return undefined;
    let g: string | undefined;
    let k = o[1];
    if (line.startsWith(' <', k)) {
      const gt = term(line, k + 1);
      if (!gt) return undefined;
      g = gt[0];
      k = gt[1];
    }
    if (line.slice(k).trim() !== '.') return undefined;
    out.push({ s: s[0], p: p[0], o: o[0], g });
  }
  return out;
}

/** A term in our TriG (an IRI, a blank node, a literal, a number, a prefixed name or `a`) at `i`, or undefined. */
function tterm(line: string, i: number, prefixes: Map<string, string>): [string, number] | undefined {
  const c = line[i];
  if (c === '<' || c === '"') {
    if (c === '<') return term(line, i);
    const lt = term(line, i); // with a ^^<IRI> or @lang tag: taken there
    if (!lt || !line.startsWith('^^', lt[1])) return lt;
    const e = line.indexOf(' ', lt[1]);
    return e < 0 ? undefined : [lt[0], e];
  }
  let e = line.indexOf(' ', i);
  if (e < 0) e = line.length;
  const word = line.slice(i, e);
  if (c === '_' && line[i + 1] === ':') return [word, e];
  if (/^[+-]?\d+$/.test(word)) return [word, e];
  if (word === 'a') return [RDF('type').value, e];
  const colon = word.indexOf(':');
  const ns = colon < 0 ? undefined : prefixes.get(word.slice(0, colon));
  return ns === undefined || !/^[\w-]*$/.test(word.slice(colon + 1)) ? undefined : [ns + word.slice(colon + 1), e];
}

/**
 * Our own TriG (prefixes, one graph, a line per subject with `;` between its statements), fast; undefined if a line
 * is not in that shape (then n3 parses it).
 */
function quickTrig(text: string): Q[] | undefined {
  const out: Q[] = [];
  const prefixes = new Map<string, string>();
  let g: string | undefined;
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    if (line.startsWith('@prefix ')) {
      const m = /^@prefix ([\w-]*): <([^<>"{}|^`\\\s]*)> \.$/.exec(line);
      if (!m) return undefined;
      prefixes.set(m[1], m[2]);
      continue;
    }
    if (line === '}') {
      if (g === undefined) return undefined;
      g = undefined;
      continue;
    }
    if (line.endsWith(' {')) {
      const gt = g === undefined ? term(line, 0) : undefined;
      if (!gt || gt[1] !== line.length - 2 || !line.startsWith('<')) return undefined;
      g = gt[0];
      continue;
    }
    const s = tterm(line, 0, prefixes);
    if (!s) return undefined;
    for (let k = s[1]; ; ) {
      if (line[k] !== ' ') return undefined;
      const p = tterm(line, k + 1, prefixes);
      if (!p || line[p[1]] !== ' ') return undefined;
      const o = tterm(line, p[1] + 1, prefixes);
      if (!o) return undefined;
      out.push({ s: s[0], p: p[0], o: o[0], g });
      k = o[1];
      if (line.startsWith(' ; ', k)) k += 2;
      else if (line.slice(k) === ' .') break;
      else return undefined;
    }
  }
  return g === undefined ? out : undefined;
}

function n3Quads(text: string, format: 'TriG' | 'N-Quads'): Q[] {
  return new n3.Parser({ format }).parse(text).map((q) => ({
    s: q.subject.termType === 'BlankNode' ? `_:${q.subject.value}` : q.subject.value,
    p: q.predicate.value,
    o: q.object.termType === 'BlankNode' ? `_:${q.object.value}` : q.object.value,
    g: q.graph.termType === 'NamedNode' ? q.graph.value : undefined,
  }));
}

/** Whether catalog text is TriG (what semsync writes now) rather than N-Quads (what it wrote before). */
const isTrig = (text: string) => /^\s*(@prefix|@base|prefix|base)\b/i.test(text);

/**
 * Parse a catalog into records (files without a path, content or rule are ignored) and the device IRI: TriG as
 * written now, or N-Quads as older versions wrote (`.semsync/catalog.nq`); a pending list has the same shape.
 */
export function parseCatalog(text: string, format: 'TriG' | 'N-Quads' = isTrig(text) ? 'TriG' : 'N-Quads'): { device?: string; records: CatalogRecord[] } {
  const files = new Map<string, Partial<CatalogRecord> & { values: Record<string, string> }>();
  let device: string | undefined;
  const get = (s: string) => {
    let f = files.get(s);
    if (!f) files.set(s, (f = { values: {} }));
    return f;
  };
  const P = {
    rp: SS('relativePath').value, interp: NIE('interpretedAs').value,
    size: NFO('fileSize').value, placedBy: SS('placedBy').value, placedAt: SS('placedAt').value, tv: SS('templateValues').value,
    removed: SS('removedByPerson').value, restored: SS('restoredAt').value,
  };
  const quads = (format === 'TriG' ? quickTrig(text) : quickQuads(text)) ?? n3Quads(text, format);
  for (const { s, p, o, g } of quads) {
    if (g) device ??= g;
    switch (p) {
      case P.rp: get(s).path = o.normalize('NFC'); break;
      case P.interp: get(s).content = o; break;
      case P.size: get(s).size = Number(o); break;
      case P.placedBy: get(s).rule = o; break;
      case P.placedAt: get(s).placedAt = o; break;
      case P.removed: get(s).removedAt = o; break;
      case P.restored: get(s).restoredAt = o; break;
      case P.tv: {
        try {
          const v = JSON.parse(o) as unknown;
          if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) get(s).values[k] = String(x);
        } catch {
          // a broken value list does not hide the file
        }
        break;
      }
    }
  }
  const records: CatalogRecord[] = [];
  for (const f of files.values()) {
    if (!f.path || !f.content || !f.rule) continue;
    const r: CatalogRecord = { path: f.path, content: f.content, size: f.size ?? 0, rule: f.rule, values: f.values, placedAt: f.placedAt ?? '' };
    if (f.removedAt) r.removedAt = f.removedAt;
    if (f.restoredAt) r.restoredAt = f.restoredAt;
    records.push(r);
  }
  return { device, records };
}

// The last catalog read or written per file, by identity (inode, size, times): a re-run skips the parse.
const parsed = new Map<string, { key: string; records: CatalogRecord[] }>();
const statKey = (file: string) => {
  const st = statSync(file, { throwIfNoEntry: false });
  return st ? `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}` : undefined;
};

/** The catalog's file and text (the TriG catalog, else a legacy N-Quads one), or undefined when there is none. */
async function catalogText(root: string): Promise<{ file: string; text: string; format: 'TriG' | 'N-Quads' } | undefined> {
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

/** What the catalog says semsync placed on the device (not checked against the files; see {@link listDevice}). */
export async function readCatalog(root: string): Promise<DeviceEntry[]> {
  return (await readCatalogRecords(root)).filter((r) => !r.removedAt).map((r) => ({ path: r.path, size: r.size, content: r.content, placedBy: r.rule }));
}

/** Replace the device's catalog atomically. Throws DeviceEscapeError if `.semsync` is a symbolic link. */
export async function writeCatalog(root: string, deviceId: string, records: Iterable<CatalogRecord>): Promise<void> {
  deviceDir(root, PROFILE_DIR, true);
  const file = path.join(root, CATALOG_FILE);
  const list = [...records];
  parsed.delete(file);
  await writeFileAtomic(file, catalogBytes(deviceId, list));
  const legacy = path.join(root, LEGACY_CATALOG_FILE);
  if (statSync(legacy, { throwIfNoEntry: false })) {
    // The new catalog's rename is made durable before the old one (which it replaces) goes.
    const dir = openSync(path.join(root, PROFILE_DIR), 'r');
    try {
      fsyncSync(dir);
    } catch {
      // a filesystem that cannot sync a folder
    } finally {
      closeSync(dir);
    }
    rmSync(legacy, { force: true });
  }
  const key = statKey(file);
  const nfc = (r: CatalogRecord) => (!NON_ASCII.test(r.path) || r.path === r.path.normalize('NFC') ? r : { ...r, path: r.path.normalize('NFC') });
  if (key) parsed.set(file, { key, records: list.map(nfc) });
}

const SKIP_DIRS = new Set(['lost+found', 'System Volume Information', '$RECYCLE.BIN']);

const NON_ASCII = /[^\x00-\x7f]/;

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

