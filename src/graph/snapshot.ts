// Snapshots: the whole store as one N-Quads file (header comment with the version vector it covers), written atomically.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import oxigraph from 'oxigraph';
import { fsyncDir } from './changelog.js';
import { CorruptSnapshotError } from './errors.js';
import { isVersionVector } from './vv.js';
import type { VersionVector } from './types.js';

const SNAP_RE = /^snapshot-(\d{12})\.nq$/;
const HEADER_PREFIX = '# semsync-snapshot 1 ';

export interface SnapshotMeta {
  /** The patches the snapshot holds: everything up to this vector. */
  vv: VersionVector;
  /** The clock when it was written. */
  hlc: string;
  quads: number;
  created: string;
}

export interface SnapshotInfo {
  file: string;
  meta: SnapshotMeta;
}

function termText(t: oxigraph.Term): string {
  return t.termType === 'NamedNode' ? `<${t.value}>` : `_:${t.value}`;
}

/** Every graph of the store as N-Quads text, one chunk per graph (the default graph first). */
export function* dumpChunks(store: oxigraph.Store, graphs?: Array<oxigraph.NamedNode | oxigraph.BlankNode | oxigraph.DefaultGraph>): Generator<string> {
  const list = graphs ?? [oxigraph.defaultGraph(), ...namedGraphs(store)];
  for (const g of list) {
    const text = store.dump({ format: 'application/n-triples', from_graph_name: g });
    if (!text) continue;
    yield g.termType === 'DefaultGraph' ? text : text.replace(/ \.\n/g, ` ${termText(g)} .\n`);
  }
}

/** The names of the graphs that hold anything. */
export function namedGraphs(store: oxigraph.Store): Array<oxigraph.NamedNode | oxigraph.BlankNode> {
  const rows = store.query('SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }') as Map<string, oxigraph.Term>[];
  return rows.map((r) => r.get('g') as oxigraph.NamedNode | oxigraph.BlankNode);
}

async function listSnapshots(dir: string): Promise<string[]> {
  try {
    return (await fsp.readdir(dir)).filter((n) => SNAP_RE.test(n)).sort();
  } catch {
    return [];
  }
}

/** Writes all of `text`: a write on a filling disk may be short without an error (the next one then fails with ENOSPC). */
async function writeAll(fh: fsp.FileHandle, text: string): Promise<void> {
  const buf = Buffer.from(text, 'utf8');
  for (let off = 0; off < buf.length; ) off += (await fh.write(buf, off, buf.length - off, null)).bytesWritten;
}

/** Write a snapshot of `store` covering `vv` (temp file, fsync, rename, fsync dir); older snapshots are removed after. */
export async function writeSnapshot(dir: string, store: oxigraph.Store, meta: Omit<SnapshotMeta, 'quads' | 'created'>): Promise<SnapshotInfo> {
  await fsp.mkdir(dir, { recursive: true });
  const existing = await listSnapshots(dir);
  const next = existing.length ? Number(SNAP_RE.exec(existing[existing.length - 1])![1]) + 1 : 1;
  const file = path.join(dir, `snapshot-${String(next).padStart(12, '0')}.nq`);
  const tmp = `${file}.tmp`;
  const full: SnapshotMeta = { ...meta, quads: store.size, created: new Date().toISOString() };
  const fh = await fsp.open(tmp, 'w');
  try {
    await writeAll(fh, `${HEADER_PREFIX}${JSON.stringify(full)}\n`);
    for (const chunk of dumpChunks(store)) await writeAll(fh, chunk);
    await fh.sync();
  } catch (e) {
    await fh.close();
    await fsp.rm(tmp, { force: true }); // a failed snapshot (a full disk) leaves no half file taking the space
    throw e;
  }
  await fh.close();
  await fsp.rename(tmp, file);
  await fsyncDir(dir);
  for (const old of existing) await fsp.rm(path.join(dir, old), { force: true });
  return { file, meta: full };
}

function readHeader(file: string): SnapshotMeta {
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(1 << 16);
    const n = fs.readSync(fd, buf, 0, buf.length, 0);
    const text = buf.toString('utf8', 0, n);
    const nl = text.indexOf('\n');
    if (!text.startsWith(HEADER_PREFIX) || nl < 0) throw new Error('no snapshot header');
    const meta = JSON.parse(text.slice(HEADER_PREFIX.length, nl)) as SnapshotMeta;
    if (!isVersionVector(meta.vv) || typeof meta.quads !== 'number' || typeof meta.hlc !== 'string') throw new Error('bad snapshot header');
    return meta;
  } catch (e) {
    throw new CorruptSnapshotError(`The snapshot ${file} is unreadable (${(e as Error).message}). Move it aside to recover from the change log alone, if the log still reaches back far enough.`, file);
  } finally {
    fs.closeSync(fd);
  }
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

/** Load the newest snapshot in `dir` into `store` (which should be empty); null when there is none. Leftover temp files are removed. */
export async function loadLatestSnapshot(dir: string, store: oxigraph.Store): Promise<SnapshotInfo | null> {
  for (const n of await fsp.readdir(dir).catch(() => [] as string[])) if (n.endsWith('.nq.tmp')) await fsp.rm(path.join(dir, n), { force: true });
  const names = await listSnapshots(dir);
  if (!names.length) return null;
  const file = path.join(dir, names[names.length - 1]);
  const meta = readHeader(file);
  try {
    store.load(fileChunks(file), { format: 'application/n-quads', lenient: true, no_transaction: true });
  } catch (e) {
    throw new CorruptSnapshotError(`The snapshot ${file} does not parse: ${(e as Error).message}`, file);
  }
  if (store.size !== meta.quads) {
    throw new CorruptSnapshotError(`The snapshot ${file} holds ${store.size} quads but its header says ${meta.quads}.`, file);
  }
  return { file, meta };
}
