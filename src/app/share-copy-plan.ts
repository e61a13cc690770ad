// A copy target's plan: what a peer's share graph says the folder holds (relative path → content), what this node
// placed there before (the state file), and so what to fetch, adopt, leave alone or move to the trash. Pure but for
// reading the graph; nothing here touches the disk.
import { InputError } from '../base/index.js';
import { NFO, NIE, RDF, SS, graphIri, type GraphStore } from '../graph/index.js';
import { unsafeRelative } from '../devices/index.js';

/** A folder kept as a copy of a paired peer's share, in the share's own layout (config `shareCopies`). */
export interface ShareCopyConfig {
  name: string;
  path: string;
  /** The peer id whose share this folder copies. */
  peer: string;
  share: string;
}

/** A bad `target add --peer/--share` (exit 2). */
export class ShareCopyError extends InputError {
  override name = 'ShareCopyError';
}

/** One file the peer's share holds. */
export interface WantedFile {
  rel: string;
  /** Lower-case SHA-256 hex. */
  hash: string;
  size: number;
}

/** One file this node wrote into the copy folder, as it left it (so a later change by the person is seen). */
export interface PlacedFile {
  hash: string;
  size: number;
  mtimeMs: number;
  ino: number;
}

/** `DIR/.semsync/copy.json`: the files this node placed, by relative path. */
export interface CopyState {
  v: 1;
  peer: string;
  share: string;
  files: Record<string, PlacedFile>;
}

export const STATE_FILE = '.semsync/copy.json';
const PART_SUFFIX = '.semsync-part';

/**
 * Why a path from a peer may not be written into a copy folder (undefined when it may): it must stay below the folder,
 * stay out of `.semsync/`, and not look like one of our temp or part files.
 */
export function unsafeCopyPath(rel: string): string | undefined {
  if (rel === '') return 'empty path';
  const bad = unsafeRelative(rel);
  if (bad) return bad;
  const segs = rel.split('/');
  if (segs[0] === '.semsync') return 'inside .semsync (semsync\'s own files)';
  if (segs.some((s) => Buffer.byteLength(s) > 255)) return 'a name longer than 255 bytes';
  if (rel.length > 4096) return 'a path longer than 4096 characters';
  if (rel.endsWith(PART_SUFFIX)) return 'a part-file name';
  return undefined;
}

/** What the peer's share graph lists, or undefined when this node holds no such graph (not granted yet, or revoked). */
export interface WantedListing {
  files: Map<string, WantedFile>;
  /** Paths refused, with the reason (a hostile or broken description). */
  refused: Array<{ rel: string; reason: string }>;
}

const URN = 'urn:sha256:';

/** A TSV cell's literal value, its escapes undone (`"a\\"b"` is `a"b`). */
function tsvLiteral(cell: string): string {
  const raw = cell.startsWith('"') ? cell.slice(1, cell.lastIndexOf('"')) : cell;
  if (!raw.includes('\\')) return raw;
  const esc: Record<string, string> = { t: '\t', b: '\b', n: '\n', r: '\r', f: '\f', '"': '"', "'": "'", '\\': '\\' };
  return raw.replace(/\\(u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|[tbnrf"'\\])/g, (_, e: string) => (e.length > 1 ? String.fromCodePoint(parseInt(e.slice(1), 16)) : esc[e]));
}

/**
 * Read the peer's share graph: every described file's relative path, content hash and size. One SPARQL query read
 * as TSV (a copy target runs after every sync from the peer; term objects for a graph of 10,000 files cost seconds).
 */
export function wantedFiles(store: GraphStore, peer: string, share: string): WantedListing | undefined {
  const g = graphIri(peer, `share/${share}`);
  if (store.match(null, RDF('type'), SS('Share'), g).length === 0) return undefined;
  const out = store.query(
    `SELECT ?rel ?c ?size WHERE { GRAPH <${g.value}> { ?f <${SS('relativePath').value}> ?rel ; <${NIE('interpretedAs').value}> ?c . OPTIONAL { ?f <${NFO('fileSize').value}> ?size } } }`,
    { format: 'tsv' },
  );
  const files = new Map<string, WantedFile>();
  const refused: WantedListing['refused'] = [];
  const text = out.serialized ?? '';
  let pos = text.indexOf('\n') + 1; // the header line
  while (pos > 0 && pos < text.length) {
    let end = text.indexOf('\n', pos);
    if (end < 0) end = text.length;
    const [relCell, c, sizeCell] = text.slice(pos, end).split('\t');
    pos = end + 1;
    if (!relCell || !c) continue;
    const rel = tsvLiteral(relCell);
    const hash = c.startsWith(`<${URN}`) ? c.slice(URN.length + 1, -1) : '';
    const size = sizeCell ? Number(tsvLiteral(sizeCell)) : -1;
    const reason = unsafeCopyPath(rel) ?? (/^[0-9a-f]{64}$/.test(hash) ? undefined : 'not a content hash');
    if (reason) refused.push({ rel, reason });
    else if (files.has(rel)) refused.push({ rel, reason: 'described twice' });
    else files.set(rel, { rel, hash, size: Number.isSafeInteger(size) ? size : -1 });
  }
  return { files, refused };
}

/** What a run does with each path. */
export interface CopyPlan {
  /** Not here yet (or replaced on the peer while untouched here): fetch. */
  fetch: Array<WantedFile & { replaces?: PlacedFile }>;
  /** Placed here before and gone from the peer's share: to the trash if untouched here. */
  remove: Array<{ rel: string; placed: PlacedFile }>;
}

/** The plan against the state file: only paths whose content changed or that left the share need the disk. */
export function planCopy(wanted: WantedListing, state: CopyState): CopyPlan {
  const fetch: CopyPlan['fetch'] = [];
  const remove: CopyPlan['remove'] = [];
  for (const w of wanted.files.values()) {
    const placed = state.files[w.rel];
    if (placed?.hash === w.hash) continue;
    fetch.push(placed ? { ...w, replaces: placed } : w);
  }
  for (const [rel, placed] of Object.entries(state.files)) if (!wanted.files.has(rel)) remove.push({ rel, placed });
  return { fetch, remove };
}

/** True when the file on disk is still the one this node placed (same inode, size and modification time). */
export function untouched(st: { ino: number; size: number; mtimeMs: number } | undefined, placed: PlacedFile): boolean {
  return !!st && st.ino === placed.ino && st.size === placed.size && Math.abs(st.mtimeMs - placed.mtimeMs) < 1;
}
