// The trash: what semsync itself removes from a device or host target (mirror mode, a rule that moves a file, a second
// copy) is moved here first, kept 30 days by default, and can be put back. On a device: `.semsync/trash/files/` inside
// the device root; for a host target: the XDG trash ($XDG_DATA_HOME/Trash, freedesktop.org Trash specification).
// Either way the target's own `.semsync/trash/index.json` remembers what each trashed file was (content, rule).
import { randomBytes } from 'node:crypto';
import { closeSync, constants, copyFileSync, lstatSync, mkdirSync, openSync, promises as fsp, renameSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { writeFileAtomic } from '../base/index.js';
import { readCatalogRecords, writeCatalog } from './catalog/file.js';
import { type CatalogRecord } from './catalog/record.js';
import { deviceDir, deviceFileDir, unsafeRelative } from './contain.js';
import { DeviceEscapeError } from './errors.js';
import { FailureError } from '../base/index.js';

export const TRASH_DIR = '.semsync/trash';
export const TRASH_INDEX = '.semsync/trash/index.json';
/** How long trashed files are kept by default (days). */
export const TRASH_DAYS = 30;
const DAY_MS = 86_400_000;

/** Where removed files go: inside the device, or the user's XDG trash (host targets). */
export type TrashPlace = { kind: 'device' } | { kind: 'xdg'; dir: string };

/** One trashed file. */
export interface TrashEntry extends CatalogRecord {
  /** Unique within the target's trash. */
  id: string;
  /** When semsync moved it to the trash (ISO 8601). */
  trashedAt: string;
  /** Why semsync removed it (the plan's reason). */
  reason: string;
  /**
   * Where its bytes are now: absolute in the XDG trash; on a device, `.semsync/trash/files/<id>` relative to its root
   * (the device may be mounted elsewhere later; the index's word is not taken: the name is derived from the id).
   */
  file: string;
  /** The XDG `.trashinfo` file, for a host target's trash. */
  info?: string;
}

/** A restore that could not be made (the path is taken again, the trashed bytes are gone). */
export class TrashRestoreError extends FailureError {
  override readonly name = 'TrashRestoreError';
  constructor(
    readonly root: string,
    readonly entry: string,
    readonly reason: string,
  ) {
    super(`trash of ${root}: cannot restore ${entry}: ${reason}`);
  }
}

/** The XDG trash folder: `$XDG_DATA_HOME/Trash`, else `~/.local/share/Trash`. */
export function xdgTrashDir(env: NodeJS.ProcessEnv = process.env): string {
  const data = env.XDG_DATA_HOME && path.isAbsolute(env.XDG_DATA_HOME) ? env.XDG_DATA_HOME : path.join(env.HOME || os.homedir(), '.local', 'share');
  return path.join(data, 'Trash');
}

/** The trash index of the target at `root` (empty when there is none or it is unreadable). */
export async function readTrash(root: string): Promise<TrashEntry[]> {
  if (!deviceDir(root, TRASH_DIR, false)) return [];
  try {
    const data = JSON.parse(await fsp.readFile(path.join(root, TRASH_INDEX), 'utf8')) as { entries?: TrashEntry[] };
    return Array.isArray(data.entries)
      ? data.entries.filter((e) => e && typeof e.id === 'string' && /^[\w-]{1,64}$/.test(e.id) && typeof e.file === 'string' && !unsafeRelative(e.path) && e.path !== '')
      : [];
  } catch {
    return [];
  }
}

async function writeTrash(root: string, entries: TrashEntry[]): Promise<void> {
  deviceDir(root, TRASH_DIR, true);
  await writeFileAtomic(path.join(root, TRASH_INDEX), JSON.stringify({ version: 1, entries }, null, 1) + '\n', { mode: 0o666 });
}

/** Local time as the XDG spec's DeletionDate wants it (YYYY-MM-DDThh:mm:ss, no zone). */
function localStamp(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** Move a file: a rename, or (another filesystem) a copy and an unlink. */
function move(from: string, to: string): void {
  try {
    renameSync(from, to);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EXDEV') throw e;
    copyFileSync(from, to, constants.COPYFILE_EXCL);
    unlinkSync(from);
  }
}

/** Reserve a name in the XDG trash: its `.trashinfo` is created exclusively (as the spec says), then the file moves. */
function toXdg(dir: string, abs: string, now: Date): { file: string; info: string } {
  const files = path.join(dir, 'files');
  const infos = path.join(dir, 'info');
  for (const d of [dir, files, infos]) {
    try {
      // The user's own trash: made 0700 if missing (the spec); never through a link.
      if (!lstatSync(d, { throwIfNoEntry: false })) mkdirSync(d, { recursive: true, mode: 0o700 });
      if (lstatSync(d).isSymbolicLink()) throw new DeviceEscapeError(dir, d, 'the trash folder is a symbolic link');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  const base = path.basename(abs);
  const ext = path.extname(base);
  const stem = base.slice(0, base.length - ext.length);
  for (let n = 1; ; n++) {
    const name = n === 1 ? base : `${stem}.${n}${ext}`;
    const info = path.join(infos, `${name}.trashinfo`);
    let fd: number;
    try {
      fd = openSync(info, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw e;
    }
    try {
      writeSync(fd, `[Trash Info]\nPath=${pathToFileURL(abs).pathname}\nDeletionDate=${localStamp(now)}\n`);
    } finally {
      closeSync(fd);
    }
    const file = path.join(files, name);
    if (lstatSync(file, { throwIfNoEntry: false })) {
      rmSync(info, { force: true });
      continue;
    }
    try {
      move(abs, file);
    } catch (e) {
      rmSync(info, { force: true });
      throw e;
    }
    return { file, info };
  }
}

/**
 * Move the placed file `rec` (relative to `root`) to the trash. Synchronous (one rename). Returns its trash entry, to
 * be recorded with {@link addToTrash}. Throws DeviceEscapeError when a folder on the way is a link.
 */
export function moveToTrash(root: string, rec: CatalogRecord, where: TrashPlace, reason: string, now: Date): TrashEntry {
  if (!deviceFileDir(root, rec.path)) throw Object.assign(new Error(`${rec.path}: its folder is gone`), { code: 'ENOENT' });
  const abs = path.join(root, rec.path);
  const id = `${now.getTime().toString(36)}-${randomBytes(4).toString('hex')}`;
  const base: Omit<TrashEntry, 'file'> = { ...rec, id, trashedAt: now.toISOString(), reason };
  delete (base as Partial<TrashEntry>).removedAt;
  delete (base as Partial<TrashEntry>).restoredAt;
  if (where.kind === 'xdg') return { ...base, ...toXdg(where.dir, abs, now) };
  const dir = deviceDir(root, `${TRASH_DIR}/files`, true)!;
  renameSync(abs, path.join(dir, id));
  return { ...base, file: `${TRASH_DIR}/files/${id}` };
}

/** Record trashed files in the target's trash index. */
export async function addToTrash(root: string, entries: TrashEntry[]): Promise<void> {
  if (entries.length === 0) return;
  await writeTrash(root, [...(await readTrash(root)), ...entries]);
}

/** Delete trashed files for good: those older than `olderThanDays` (default: all), or those with the given ids. */
export async function emptyTrash(root: string, opts: { olderThanDays?: number; ids?: string[]; now?: Date } = {}): Promise<TrashEntry[]> {
  const entries = await readTrash(root);
  const cutoff = (opts.now ?? new Date()).getTime() - (opts.olderThanDays ?? 0) * DAY_MS;
  const gone: TrashEntry[] = [];
  const kept: TrashEntry[] = [];
  for (const e of entries) {
    const old = opts.ids ? opts.ids.includes(e.id) : opts.olderThanDays === undefined || Date.parse(e.trashedAt) <= cutoff;
    (old ? gone : kept).push(e);
  }
  if (gone.length === 0) return [];
  for (const e of gone) removeTrashed(root, e);
  await writeTrash(root, kept);
  return gone;
}

/**
 * Where a trashed file's bytes are: in the XDG trash only as `files/NAME` beside its `info/NAME.trashinfo`; on a device
 * only in its own trash folder, by id. Undefined for anything else (a hostile index).
 */
export function trashedFile(root: string, e: TrashEntry): string | undefined {
  if (e.info) {
    const dir = path.dirname(path.dirname(e.info));
    const ok = path.isAbsolute(e.info) && path.basename(e.info) === `${path.basename(e.file)}.trashinfo` && path.dirname(e.file) === path.join(dir, 'files');
    return ok ? e.file : undefined;
  }
  const dir = deviceDir(root, `${TRASH_DIR}/files`, false);
  return dir ? path.join(dir, e.id) : undefined;
}

/** Delete a trashed file's bytes (and its .trashinfo). */
function removeTrashed(root: string, e: TrashEntry): void {
  const file = trashedFile(root, e);
  if (!file) return;
  rmSync(file, { force: true });
  if (e.info) rmSync(e.info, { force: true });
}

/** Free at least `bytes` on a device by deleting its oldest trashed files; returns the bytes freed. */
export async function makeRoom(root: string, bytes: number): Promise<number> {
  const entries = (await readTrash(root)).filter((e) => !e.info).sort((a, b) => (a.trashedAt < b.trashedAt ? -1 : 1));
  const ids: string[] = [];
  let freed = 0;
  for (const e of entries) {
    if (freed >= bytes) break;
    ids.push(e.id);
    freed += e.size;
  }
  if (ids.length) await emptyTrash(root, { ids });
  return freed;
}

/**
 * Put trashed files back where semsync removed them from, and into the catalog again (as placed files). A file whose
 * path is taken again, or whose bytes are gone, is not restored (named in `errors`). An unknown id: TrashRestoreError.
 */
export async function restoreTrash(root: string, deviceId: string, ids: string[] | 'all'): Promise<{ restored: TrashEntry[]; errors: string[] }> {
  const entries = await readTrash(root);
  const want = entries.filter((e) => ids === 'all' || ids.includes(e.id));
  if (ids !== 'all') for (const id of ids) if (!entries.some((e) => e.id === id)) throw new TrashRestoreError(root, id, 'no such entry in its trash');
  const done: TrashEntry[] = [];
  const errors: string[] = [];
  for (const e of want) {
    try {
      const i = e.path.lastIndexOf('/');
      const dir = deviceDir(root, i < 0 ? '' : e.path.slice(0, i), true)!;
      const target = path.join(dir, e.path.slice(i + 1));
      if (lstatSync(target, { throwIfNoEntry: false })) throw new Error(`${e.path} exists again`);
      const file = trashedFile(root, e);
      if (!file || !lstatSync(file, { throwIfNoEntry: false })?.isFile()) throw new Error(`its bytes are gone from ${file ?? e.file}`);
      move(file, target);
      if (e.info) rmSync(e.info, { force: true });
      done.push(e);
    } catch (err) {
      errors.push(`${e.id} (${e.path}): ${(err as Error).message}`);
    }
  }
  if (done.length) {
    const ids2 = new Set(done.map((e) => e.id));
    await writeTrash(root, entries.filter((e) => !ids2.has(e.id)));
    const records = new Map((await readCatalogRecords(root)).map((r) => [r.path, r]));
    const at = new Date().toISOString();
    // Put back by the person: theirs now (semsync never removes it again, not even in mirror mode).
    for (const e of done) records.set(e.path, { path: e.path, content: e.content, size: e.size, rule: e.rule, values: e.values, placedAt: e.placedAt, restoredAt: at });
    await writeCatalog(root, deviceId, [...records.values()].sort((a, b) => (a.path < b.path ? -1 : 1)));
  }
  return { restored: done, errors };
}
