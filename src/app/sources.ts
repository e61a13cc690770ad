// Placement sources: which local file holds a content's bytes. Only files this node describes itself (in its own share
// graphs, never a file IRI a peer asserted in its graph), resolved as the scanner walks a share (no folder link; a
// file link only if it resolves inside the share), so a device never receives a host file from outside the shares.
import { lstatSync, realpathSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ScannedSource } from '../devices/index.js';
import { NFO, NIE } from '../graph/vocab.js';
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

/**
 * What the scan recorded of each file of this node's shares when it hashed it (`nfo:fileSize`, and
 * `nfo:fileLastModified`, which keeps whole milliseconds), by path; read from the share graphs once, when first asked.
 * A placement trusts a source found still at that size and mtime (compared in whole ms: see copy-protocol.ts's
 * unchangedSince), and hashes any other one, refusing it if its bytes are not its content. A record at a coarser
 * precision than the file's mtime simply does not match: the source is hashed.
 */
export function scanRecords(node: SourcesHome): (file: string) => ScannedSource | undefined {
  let byPath: Map<string, ScannedSource> | undefined;
  return (file) => (byPath ??= readScanRecords(node)).get(file);
}

function readScanRecords(node: SourcesHome): Map<string, ScannedSource> {
  const out = new Map<string, ScannedSource>();
  for (const s of node.config.shares) {
    const g = shareGraph(node.nodeId, s.name);
    const sizes = new Map<string, number>();
    for (const q of node.store.match(null, NFO('fileSize'), null, g)) sizes.set(q.subject.value, Number(q.object.value));
    for (const q of node.store.match(null, NFO('fileLastModified'), null, g)) {
      const iri = q.subject.value;
      const size = sizes.get(iri);
      const mtimeMs = Date.parse(q.object.value);
      if (size === undefined || !Number.isSafeInteger(size) || !Number.isSafeInteger(mtimeMs) || !iri.startsWith('file://')) continue;
      try {
        out.set(fileURLToPath(iri), { size, mtimeMs });
      } catch {
        // not a local file's IRI: no record
      }
    }
  }
  return out;
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
