// Walks a share: every regular file below the root, never following a link out of the share.
import { existsSync, readdirSync, statSync, type Dirent } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';

export interface WalkEntry {
  /** Absolute path. */
  path: string;
  /** '/'-separated path below the share root, NFC. */
  relPath: string;
  size: number;
  mtimeMs: number;
}

export interface WalkProblem {
  path: string;
  message: string;
  /** Not a problem: a folder left out on purpose (a semsync home), said so the person knows. */
  skipped?: boolean;
}

/** What a folder holding these names is a semsync home by: its config and store, and its identity or lock. */
export function looksLikeHome(names: ReadonlySet<string>): boolean {
  return names.has('config.json') && names.has('store') && (names.has('identity.key') || names.has('semsync.lock'));
}

/** Is this folder a semsync home (this node's or another's)? Its store and logs change at every commit: never described. */
export function isSemsyncHome(dir: string): boolean {
  if (!existsSync(path.join(dir, 'config.json'))) return false;
  return existsSync(path.join(dir, 'store')) && (existsSync(path.join(dir, 'identity.key')) || existsSync(path.join(dir, 'semsync.lock')));
}

/** Is `p` (below the share `root`) inside a semsync home, the root included? */
export function insideHome(root: string, p: string): boolean {
  for (let dir = path.dirname(p); dir.length >= root.length && dir.startsWith(root); dir = path.dirname(dir)) {
    if (isSemsyncHome(dir)) return true;
    if (dir === path.dirname(dir)) break;
  }
  return false;
}

export const HOME_SKIPPED = 'a semsync home (its store and logs change at every commit): not described';

/** Names never described: our own temp files and device metadata folders. */
export function isIgnoredName(name: string): boolean {
  return name === '.semsync' || name.startsWith('.semsync-') || name.endsWith('.semsync-part');
}

/**
 * Yields the share's files. A link to a file is followed only when it resolves inside the share; a link to a
 * folder is never followed (inside the share it is walked anyway; outside it is not ours). Both are reported,
 * as are unreadable folders.
 */
export async function* walkShare(root: string, onProblem: (p: WalkProblem) => void = () => {}): AsyncGenerator<WalkEntry> {
  for await (const files of walkShareFolders(root, onProblem)) yield* files;
}

/**
 * The same files, one folder's at a time: each folder is listed and its files stat'ed synchronously (a listing
 * and a stat are microseconds; a promise per entry cost more than both), yielding between folders.
 */
export async function* walkShareFolders(root: string, onProblem: (p: WalkProblem) => void = () => {}): AsyncGenerator<WalkEntry[]> {
  const realRoot = await realpath(root);
  const stack: string[] = [root];
  while (stack.length > 0) {
    const dir = stack.pop()!;
    let dirents: Dirent[];
    try {
      dirents = readdirSync(dir, { withFileTypes: true });
    } catch (err) {
      onProblem({ path: dir, message: (err as Error).message });
      continue;
    }
    if (looksLikeHome(new Set(dirents.map((d) => d.name)))) {
      onProblem({ path: dir, message: HOME_SKIPPED, skipped: true });
      continue;
    }
    const subdirs: string[] = [];
    const files: WalkEntry[] = [];
    for (const dirent of dirents) {
      if (isIgnoredName(dirent.name)) continue;
      const full = path.join(dir, dirent.name);
      if (dirent.isDirectory()) {
        subdirs.push(full);
      } else if (dirent.isFile()) {
        const entry = statEntry(root, full, onProblem);
        if (entry) files.push(entry);
      } else if (dirent.isSymbolicLink()) {
        const target = await insideTarget(realRoot, full, onProblem);
        if (!target) continue;
        if (target.isDir) {
          // A folder inside the share is walked at its real place; following the link too would repeat it (or loop).
          onProblem({ path: full, message: 'link to a folder inside the share; its files are described at their real place' });
        } else {
          const entry = statEntry(root, full, onProblem);
          if (entry) files.push(entry);
        }
      }
    }
    if (files.length > 0) yield files;
    // Depth-first, in name order, so a walk is deterministic.
    subdirs.sort().reverse();
    stack.push(...subdirs);
  }
}

function statEntry(root: string, full: string, onProblem: (p: WalkProblem) => void): WalkEntry | undefined {
  try {
    const st = statSync(full);
    if (!st.isFile()) return undefined;
    return { path: full, relPath: relativePath(root, full), size: st.size, mtimeMs: Math.floor(st.mtimeMs) };
  } catch (err) {
    onProblem({ path: full, message: (err as Error).message });
    return undefined;
  }
}

async function insideTarget(
  realRoot: string,
  link: string,
  onProblem: (p: WalkProblem) => void,
): Promise<{ real: string; isDir: boolean } | undefined> {
  try {
    const real = await realpath(link);
    if (real !== realRoot && !real.startsWith(realRoot + path.sep)) {
      onProblem({ path: link, message: `link points outside the share (${real}); not followed` });
      return undefined;
    }
    const st = await stat(real);
    return { real, isDir: st.isDirectory() };
  } catch (err) {
    onProblem({ path: link, message: `broken link: ${(err as Error).message}` });
    return undefined;
  }
}

export function relativePath(root: string, full: string): string {
  const rel = full.startsWith(root) && full[root.length] === path.sep ? full.slice(root.length + 1) : path.relative(root, full);
  return (path.sep === '/' ? rel : rel.split(path.sep).join('/')).normalize('NFC');
}
