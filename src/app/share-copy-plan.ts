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

/** Read the peer's share graph: every described file's relative path, content hash and size. */
export function wantedFiles(store: GraphStore, peer: string, share: string): WantedListing | undefined {
  const g = graphIri(peer, `share/${share}`);
  const quads = store.match(null, null, null, g);
  if (!quads.some((q) => q.predicate.equals(RDF('type')) && q.object.equals(SS('Share')))) return undefined;
  const rel = SS('relativePath').value;
  const content = NIE('interpretedAs').value;
  const size = NFO('fileSize').value;
  const bySubject = new Map<string, { rel?: string; hash?: string; size?: number }>();
  for (const q of quads) {
    const p = q.predicate.value;
    if (p !== rel && p !== content && p !== size) continue;
    let e = bySubject.get(q.subject.value);
    if (!e) bySubject.set(q.subject.value, (e = {}));
    if (p === rel && q.object.termType === 'Literal') e.rel = q.object.value;
    else if (p === content && q.object.value.startsWith(URN)) e.hash = q.object.value.slice(URN.length);
    else if (p === size && q.object.termType === 'Literal') e.size = Number(q.object.value);
  }
  const files = new Map<string, WantedFile>();
  const refused: WantedListing['refused'] = [];
  for (const e of bySubject.values()) {
    if (e.rel === undefined || e.hash === undefined) continue;
    const reason = unsafeCopyPath(e.rel) ?? (/^[0-9a-f]{64}$/.test(e.hash) ? undefined : 'not a content hash');
    if (reason) refused.push({ rel: e.rel, reason });
    else if (files.has(e.rel)) refused.push({ rel: e.rel, reason: 'described twice' });
    else files.set(e.rel, { rel: e.rel, hash: e.hash, size: Number.isSafeInteger(e.size) ? e.size! : -1 });
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
