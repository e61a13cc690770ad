// Placement sources: which local file holds a content's bytes. Only files this node describes itself (in its own share
// graphs, never a file IRI a peer asserted in its graph), resolved as the scanner walks a share (no folder link; a
// file link only if it resolves inside the share), so a device never receives a host file from outside the shares.
import { lstatSync, realpathSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { NIE } from '../graph/vocab.js';
import { shareGraph } from '../library/index.js';
import type { ContentFacts, SourceFile } from '../rules/index.js';
import type { GraphStore } from '../graph/index.js';

/** What finding sources needs of the node: its id, its store and its shares. */
export interface SourcesHome {
  readonly nodeId: string;
  readonly store: GraphStore;
  readonly config: { readonly shares: ReadonlyArray<{ name: string; path: string }> };
}

/** `file content` pairs this node's share graphs state (`?file nie:interpretedAs ?content`), with the share's root. */
function ownFiles(node: SourcesHome): Map<string, string> {
  const out = new Map<string, string>();
  for (const s of node.config.shares) {
    for (const q of node.store.match(null, NIE('interpretedAs'), null, shareGraph(node.nodeId, s.name))) {
      out.set(`${q.subject.value} ${q.object.value}`, s.path);
    }
  }
  return out;
}

/**
 * Whether `file` is a file of the share at `root` as the scanner sees it: every folder on the way a real folder (a
 * link to a folder is never followed), and the file itself a plain file or a link that resolves inside the share.
 */
export function shareFile(root: string, file: string, dirsOk: Set<string> = new Set()): boolean {
  const base = root.endsWith('/') ? root : root + '/';
  if (!file.startsWith(base)) return false;
  const segs = file.slice(base.length).split('/');
  if (segs.some((s) => s === '' || s === '.' || s === '..')) return false;
  let cur = base.slice(0, -1);
  for (const seg of segs.slice(0, -1)) {
    cur = `${cur}/${seg}`;
    if (dirsOk.has(cur)) continue;
    if (!lstatSync(cur, { throwIfNoEntry: false })?.isDirectory()) return false; // lstat: a link is not a folder
    dirsOk.add(cur);
  }
  const st = lstatSync(file, { throwIfNoEntry: false });
  if (st?.isFile()) return true;
  if (!st?.isSymbolicLink()) return false;
  try {
    const real = realpathSync(file);
    return real.startsWith(realpathSync(root) + '/') && statSync(real).isFile();
  } catch {
    return false;
  }
}

/** Content IRI → a file in one of this node's shares holding it (by this node's own description of that file). */
export function localSources(node: SourcesHome, facts: Map<string, ContentFacts>): Map<string, SourceFile> {
  const own = ownFiles(node);
  const out = new Map<string, SourceFile>();
  const dirsOk = new Set<string>();
  for (const f of facts.values()) {
    for (const file of f.files) {
      const root = own.get(`${file.iri} ${f.iri}`);
      if (root === undefined || !file.iri.startsWith('file://')) continue;
      let p: string;
      try {
        p = fileURLToPath(file.iri);
      } catch {
        continue;
      }
      if (!shareFile(root, p, dirsOk)) continue;
      out.set(f.iri, { path: p, ...(file.size !== undefined ? { size: file.size } : {}) });
      break;
    }
  }
  return out;
}
