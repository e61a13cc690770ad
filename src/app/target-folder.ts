// A host target's folder: made one level at a time under the nearest existing folder, with errors a person can act on.
// (Node's `mkdir(…, { recursive: true })` never returns for a path under /proc: it retries forever and burns a core.)
import { constants } from 'node:fs';
import { access, mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { FailureError } from '../base/index.js';

/** A path that cannot be a target folder (exit 2): says which part is wrong and what to do. */
export class TargetFolderError extends FailureError {
  override name = 'TargetFolderError';
}

/** The nearest existing ancestor of `abs` (or `abs` itself), and the names below it still to make. */
async function nearestExisting(abs: string): Promise<{ base: string; missing: string[] }> {
  const missing: string[] = [];
  let at = abs;
  for (;;) {
    const st = await stat(at).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      if (err.code === 'ENOTDIR') return undefined; // a file further up: found below
      throw new TargetFolderError(`${at}: ${err.code === 'EACCES' ? 'permission denied' : err.message}`);
    });
    if (st) {
      if (!st.isDirectory()) {
        const what = at === abs ? 'is a file, not a folder' : `is a file, so ${abs} cannot be made below it`;
        throw new TargetFolderError(`${at} ${what}; give a folder (or a new folder's path) as the target`);
      }
      return { base: at, missing };
    }
    missing.unshift(path.basename(at));
    const up = path.dirname(at);
    if (up === at) throw new TargetFolderError(`${abs}: no existing folder above it`);
    at = up;
  }
}

/** Makes `abs` (absolute) and its missing parents, or throws a TargetFolderError naming the part that cannot be. */
export async function makeTargetFolder(abs: string): Promise<void> {
  const { base, missing } = await nearestExisting(abs);
  if (base.startsWith('/proc/') || base === '/proc' || base === '/sys' || base.startsWith('/sys/')) {
    throw new TargetFolderError(`${abs} is inside ${base.split('/').slice(0, 2).join('/')}, the kernel's view of the system; choose a folder in your files`);
  }
  if (!missing.length) return;
  try {
    await access(base, constants.W_OK);
  } catch {
    throw new TargetFolderError(`cannot make ${abs}: ${base} is not writable by you; choose a folder you can write to`);
  }
  let at = base;
  for (const name of missing) {
    at = path.join(at, name);
    try {
      await mkdir(at);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST' && (await stat(at)).isDirectory()) continue;
      throw new TargetFolderError(`cannot make ${at}: ${code === 'EEXIST' ? 'a file has that name' : (err as Error).message}`);
    }
  }
}
