// Containment: nothing semsync writes, renames or deletes on a device may resolve outside the device root. Every
// folder below the root on the way to what is touched is checked with lstat (a symbolic link is refused, whatever it
// points to) before the write, and made one level at a time; files are opened with O_NOFOLLOW.
import { constants, lstatSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { DeviceEscapeError } from './errors.js';

/** Open flags for a new file on a device: write, create, truncate, never through a symbolic link (ELOOP). */
export const WRITE_NOFOLLOW = constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW;
/** Open flags for reading a device's own file (its profile, its claim secret) without following a link. */
export const READ_NOFOLLOW = constants.O_RDONLY | constants.O_NOFOLLOW;

/** Why a '/'-separated relative folder or file name is not a plain path below a root, or undefined if it is. */
export function unsafeRelative(rel: unknown): string | undefined {
  if (typeof rel !== 'string') return 'not a path';
  if (rel === '') return undefined; // the root itself
  if (rel.includes('\0')) return 'NUL in path';
  if (rel.startsWith('/') || /^[A-Za-z]:/.test(rel) || rel.includes('\\')) return 'absolute path or backslash';
  if (rel.split('/').some((p) => p === '' || p === '.' || p === '..')) return 'empty, "." or ".." segment';
  return undefined;
}

/**
 * The absolute path of the folder `rel` (relative, '/'-separated) below `root`, after checking that every folder on
 * the way is a real folder, not a symbolic link. With `create`, missing folders are made, one level at a time (each
 * checked after it is made). Without, undefined when a folder on the way does not exist. Throws DeviceEscapeError for
 * a link or a name leaving the root; an error with code ENOTDIR when something on the way is a file.
 */
export function deviceDir(root: string, rel: string, create: boolean): string | undefined {
  const bad = unsafeRelative(rel);
  if (bad) throw new DeviceEscapeError(root, rel, bad);
  let cur = root;
  if (rel === '') return root;
  for (const seg of rel.split('/')) {
    cur = `${cur}${cur.endsWith('/') ? '' : '/'}${seg}`;
    let st = lstatSync(cur, { throwIfNoEntry: false });
    if (!st) {
      if (!create) return undefined;
      try {
        mkdirSync(cur);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      st = lstatSync(cur);
    }
    if (st.isSymbolicLink()) throw new DeviceEscapeError(root, path.relative(root, cur) || rel, 'it is a symbolic link (it could lead outside the device)');
    if (!st.isDirectory()) throw Object.assign(new Error(`device ${root}: ${path.relative(root, cur)} is not a folder`), { code: 'ENOTDIR' });
  }
  return cur;
}

/** {@link deviceDir} of a file's folder: where the file `rel` can be touched, or undefined if its folder is missing. */
export function deviceFileDir(root: string, rel: string): string | undefined {
  const bad = unsafeRelative(rel);
  if (bad || rel === '') throw new DeviceEscapeError(root, rel, bad ?? 'empty path');
  const i = rel.lastIndexOf('/');
  return deviceDir(root, i < 0 ? '' : rel.slice(0, i), false);
}
