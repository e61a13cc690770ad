// Snapshots: the whole store as one N-Quads file (header comment with the version vector it covers), written atomically.
// Within each graph the statements are grouped by predicate, and a trailer comment indexes the groups, so a cold
// process can load only what one query reaches (reach.ts). The file stays plain N-Quads: a full load ignores both.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import zlib from 'node:zlib';
import oxigraph from 'oxigraph';
import { isAtomicTemp, writeFileAtomic } from '../base/index.js';
import { CorruptSnapshotError } from './errors.js';
import { HEADER_PREFIX, PARTS_AT_PREFIX, PARTS_PREFIX, checkPart, hex, readHeader, readPart, readParts, verifySnapshot, type Part, type SnapshotMeta } from './snapshot-format.js';
import { linePredicate, reachesPredicate, type Reach } from './reach.js';
import { narrow, partBytes } from './narrow.js';
import { reserveWasmMemory } from './wasm-memory.js';
import { termToNQuads } from './terms.js';
export { checkPart, crcOfRange, readHead, readHeader, readPart, readParts, verifySnapshot, type Part, type SnapshotMeta } from './snapshot-format.js';

const SNAP_RE = /^snapshot-(\d{12})\.nq$/;

export interface SnapshotInfo {
  file: string;
  meta: SnapshotMeta;
  /** Whether it indexes its lines by predicate (written by this version; older ones load only whole). */
  indexed?: boolean;
  /** Whether it carries checksums (version 2): an older one is rewritten when a whole store closes. */
  checked?: boolean;
}

/** Every graph of the store as N-Quads text, one chunk per graph (the default graph first), with the graph's text ('' for the default graph). */
export function* dumpGraphs(store: oxigraph.Store, graphs?: Array<oxigraph.NamedNode | oxigraph.BlankNode | oxigraph.DefaultGraph>): Generator<{ graph: string; text: string }> {
  const list = graphs ?? [oxigraph.defaultGraph(), ...namedGraphs(store)];
  for (const g of list) {
    const text = store.dump({ format: 'application/n-triples', from_graph_name: g });
    if (!text) continue;
    if (g.termType === 'DefaultGraph') yield { graph: '', text };
    else yield { graph: termToNQuads(g), text: text.replace(/ \.\n/g, ` ${termToNQuads(g)} .\n`) };
  }
}

/** Every graph of the store as N-Quads text, one chunk per graph (the default graph first). */
export function* dumpChunks(store: oxigraph.Store, graphs?: Array<oxigraph.NamedNode | oxigraph.BlankNode | oxigraph.DefaultGraph>): Generator<string> {
  for (const { text } of dumpGraphs(store, graphs)) yield text;
}

/** The names of the graphs that hold anything. */
export function namedGraphs(store: oxigraph.Store): Array<oxigraph.NamedNode | oxigraph.BlankNode> {
  const rows = store.query('SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }') as Map<string, oxigraph.Term>[];
  return rows.map((r) => r.get('g') as oxigraph.NamedNode | oxigraph.BlankNode);
}

/** Leftovers of a snapshot write that never finished: the atomic writer's temp files, and an older version's `.nq.tmp`. */
async function removeTemps(dir: string): Promise<void> {
  for (const n of await fsp.readdir(dir).catch(() => [] as string[])) {
    if (n.endsWith('.nq.tmp') || (isAtomicTemp(n) && n.startsWith('.snapshot-'))) await fsp.rm(path.join(dir, n), { force: true });
  }
}

async function listSnapshots(dir: string): Promise<string[]> {
  try {
    return (await fsp.readdir(dir)).filter((n) => SNAP_RE.test(n)).sort();
  } catch {
    return [];
  }
}

/** The lines of one graph's N-Quads text (each with its newline), grouped by predicate in first-seen order. */
export function byPredicate(text: string): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (let pos = 0; pos < text.length; ) {
    let nl = text.indexOf('\n', pos);
    if (nl < 0) nl = text.length - 1;
    const line = text.slice(pos, nl + 1);
    const p = linePredicate(line) ?? '';
    const group = groups.get(p);
    if (group) group.push(line);
    else groups.set(p, [line]);
    pos = nl + 1;
  }
  return groups;
}

/** One group of a snapshot's lines: one predicate's statements in one graph (N-Triples texts; '' for the default graph, or lines of another shape). */
export interface PartData {
  graph: string;
  predicate: string;
  data: Buffer | string;
}

/** The parts of `store`'s graphs, grouped by predicate within each graph. */
function* storeParts(store: oxigraph.Store): Generator<PartData> {
  for (const { graph, text } of dumpGraphs(store)) {
    for (const [predicate, lines] of byPredicate(text)) yield { graph, predicate, data: lines.join('') };
  }
}

function countLines(data: Buffer | string): number {
  let n = 0;
  if (typeof data === 'string') {
    for (let i = data.indexOf('\n'); i >= 0; i = data.indexOf('\n', i + 1)) n++;
  } else {
    for (let i = data.indexOf(10); i >= 0; i = data.indexOf(10, i + 1)) n++;
  }
  return n;
}

/** Write a snapshot of `store` covering `vv` (temp file, fsync, rename, fsync dir); older snapshots are removed after. */
export async function writeSnapshot(dir: string, store: oxigraph.Store, meta: Omit<SnapshotMeta, 'quads' | 'created'>): Promise<SnapshotInfo> {
  return writeSnapshotParts(dir, { ...meta, quads: store.size }, storeParts(store));
}

/** Write a snapshot from its parts (each graph's predicates once; `meta.quads` lines in all), as writeSnapshot does. */
export async function writeSnapshotParts(dir: string, meta: Omit<SnapshotMeta, 'created'>, parts: Iterable<PartData>): Promise<SnapshotInfo> {
  await fsp.mkdir(dir, { recursive: true });
  const existing = await listSnapshots(dir);
  const next = existing.length ? Number(SNAP_RE.exec(existing[existing.length - 1])![1]) + 1 : 1;
  const file = path.join(dir, `snapshot-${String(next).padStart(12, '0')}.nq`);
  const full: SnapshotMeta = { ...meta, created: new Date().toISOString() };
  // the one atomic writer: a temp file beside it, fsync'd, renamed, the folder fsync'd; removed if anything fails
  // (a full disk leaves no half file taking the space). The mode is what an open() for writing gave it before.
  await writeFileAtomic(file, snapshotText(full, parts), { mode: 0o666 });
  try {
    verifySnapshot(file); // read back before the older snapshot (and, after, log segments) may go
  } catch (e) {
    await fsp.rename(file, `${file}.unverified`);
    throw e;
  }
  for (const old of existing) await fsp.rm(path.join(dir, old), { force: true });
  return { file, meta: full };
}

/** A snapshot's bytes: the header, each part (its offset, lines and CRC32 noted as it goes by), then the index of parts. */
function* snapshotText(full: SnapshotMeta, parts: Iterable<PartData>): Generator<Buffer> {
  const header = Buffer.from(`${HEADER_PREFIX}${JSON.stringify(full)}\n`, 'utf8');
  yield header;
  let offset = header.length;
  const index: Part[] = [];
  let quads = 0;
  for (const { graph, predicate, data } of parts) {
    const lines = countLines(data);
    if (!lines) continue;
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    index.push([predicate, offset, buf.length, lines, graph, zlib.crc32(buf)]);
    yield buf;
    offset += buf.length;
    quads += lines;
  }
  if (quads !== full.quads) throw new Error(`a snapshot of ${full.quads} quads was given ${quads} lines`);
  const partsLine = `${PARTS_PREFIX}${JSON.stringify(index)}\n`;
  yield Buffer.from(`${partsLine}${PARTS_AT_PREFIX}${String(offset).padStart(16, '0')} ${hex(zlib.crc32(header))} ${hex(zlib.crc32(partsLine))}\n`, 'utf8');
}

function* fileChunks(file: string, size = 8 << 20): Generator<Uint8Array> {
  const fd = fs.openSync(file, 'r');
  try {
    for (;;) {
      const buf = Buffer.allocUnsafe(size);
      const n = fs.readSync(fd, buf, 0, size, null);
      if (n === 0) return;
      yield buf.subarray(0, n);
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** The lines of the snapshot that `reach` may need, one buffer per part that holds any (narrow.ts). */
function reachedChunks(file: string, parts: Part[], reach: Reach, dirty: Set<string>): Uint8Array[] {
  // each part read is checked against its checksum: nothing damaged is loaded
  const fd = fs.openSync(file, 'r');
  try {
    const read = parts.filter(([p]) => p === '' || reachesPredicate(reach, p)).map((part) => {
      const buf = readPart(fd, part[1], part[2]);
      checkPart(file, part, zlib.crc32(buf));
      return { predicate: part[0], graph: part[4], buf };
    });
    const chosen = narrow(reach, read, dirty).map((x, i) => (x === 'all' ? partBytes(read[i]) : x)).filter((x): x is Buffer => x !== null && x.length > 0);
    // A store holds ~4 bytes of wasm memory per byte of N-Quads text; reserving 3x gained as much as 4x, for less.
    reserveWasmMemory(3 * chosen.reduce((n, b) => n + b.length, 0));
    return chosen;
  } finally {
    fs.closeSync(fd);
  }
}

/** The newest snapshot, its header and its index of parts (null for a snapshot without one), without loading it; null when there is none. */
export async function latestSnapshot(dir: string): Promise<{ file: string; meta: SnapshotMeta; parts: Part[] | null } | null> {
  await removeTemps(dir);
  const names = await listSnapshots(dir);
  if (!names.length) return null;
  const file = path.join(dir, names[names.length - 1]);
  const meta = readHeader(file);
  return { file, meta, parts: readParts(file, meta) };
}

/** Bytes of the first part loaded (~100 lines of a snapshot), doubled each part up to LAST_PART (~10,000 lines). */
const FIRST_PART = 8 << 10;
const LAST_PART = 1 << 20;

/**
 * Whole lines of `chunks` (N-Quads bytes, a line possibly cut across chunks), in parts of 8 KiB doubling up to 1 MiB,
 * each cut after a newline: one oxigraph load per part, as a commit's rows are (rows.ts loadParts). A cold wasm runs a
 * call to its end in the baseline code it started in, so small first calls let the rest run optimised (one load of
 * the whole file ran unoptimised throughout); parts of 1 MiB also load ~10% faster than one big buffer. A line longer
 * than a part is a part of its own; bytes after the last newline are the last part.
 */
export function* growingParts(chunks: Iterable<Uint8Array>): Generator<Uint8Array> {
  let size = FIRST_PART;
  let carry: Uint8Array | null = null;
  for (const chunk of chunks) {
    const buf: Uint8Array = carry ? Buffer.concat([carry, chunk]) : chunk;
    carry = null;
    let at = 0;
    while (buf.length - at >= size) {
      let nl = buf.lastIndexOf(10, at + size - 1);
      if (nl < at) nl = buf.indexOf(10, at + size);
      if (nl < 0) break;
      yield buf.subarray(at, nl + 1);
      at = nl + 1;
      size = Math.min(size * 2, LAST_PART);
    }
    if (at < buf.length) carry = buf.subarray(at);
  }
  if (carry) yield carry;
}

/** The newest snapshot's header (what it covers), without loading it; null when there is none. */
export async function latestSnapshotMeta(dir: string): Promise<SnapshotMeta | null> {
  const names = await listSnapshots(dir);
  return names.length ? readHeader(path.join(dir, names[names.length - 1])) : null;
}

/**
 * Load the newest snapshot in `dir` into `store` (which should be empty); null when there is none. Leftover temp
 * files are removed. With `reach`, only the statements it reaches (all of them from a snapshot without an index);
 * `dirty`: the predicates the log after the snapshot adds statements of (narrow.ts).
 */
export async function loadLatestSnapshot(dir: string, store: oxigraph.Store, reach?: Reach, dirty = new Set<string>()): Promise<SnapshotInfo | null> {
  await removeTemps(dir);
  const names = await listSnapshots(dir);
  if (!names.length) return null;
  const file = path.join(dir, names[names.length - 1]);
  const meta = readHeader(file);
  const parts = readParts(file, meta);
  // A whole load checks every part first (one more read of the file: ~0.1 s per million statements, of ~3.7 s to load).
  const checked = parts && reach ? true : verifySnapshot(file);
  try {
    const chunks = parts && reach ? reachedChunks(file, parts, reach, dirty) : fileChunks(file);
    for (const part of growingParts(chunks)) store.load(part, { format: 'application/n-quads', lenient: true, no_transaction: true });
  } catch (e) {
    throw new CorruptSnapshotError(`The snapshot ${file} does not parse: ${(e as Error).message}`, file);
  }
  if (!(parts && reach) && store.size !== meta.quads) {
    throw new CorruptSnapshotError(`The snapshot ${file} holds ${store.size} quads but its header says ${meta.quads}.`, file);
  }
  return { file, meta, indexed: parts !== null, checked };
}
