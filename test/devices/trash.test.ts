// The trash: what semsync removes goes to the device's .semsync/trash/ (or the XDG trash for host targets), is listed,
// restored (back into the catalog) and emptied; hostile trash indexes and linked trash folders are refused.
import { createHash } from 'node:crypto';
import { promises as fsp, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  claimDevice, emptyTrash, executePlan, readCatalogRecords, readTrash, restoreTrash, TRASH_INDEX, walkDevice, xdgTrashDir,
} from '../../src/devices/index.js';
import type { Operation } from '../../src/rules/types.js';
import { mountTmpfs, tempDir } from './mounts-helper.js';

let base: string;
beforeAll(async () => {
  base = await tempDir('semsync-trash-');
});
afterAll(async () => {
  await fsp.rm(base, { recursive: true, force: true });
});

let n = 0;
const RULE = 'urn:x-test:rule';
/** A claimed folder device holding `names` (placed by semsync from source files). */
async function filled(names: string[]): Promise<{ root: string; claims: string; contents: Map<string, string> }> {
  const root = path.join(base, `dev${++n}`);
  const src = path.join(base, `src${n}`);
  await fsp.mkdir(root, { recursive: true });
  await fsp.mkdir(src, { recursive: true });
  const claims = path.join(base, `claims${n}.json`);
  await claimDevice(claims, root, { user: 'alice' });
  const ops: Operation[] = [];
  const contents = new Map<string, string>();
  for (const name of names) {
    const bytes = Buffer.from(`bytes of ${name}`);
    const file = path.join(src, path.basename(name));
    await fsp.writeFile(file, bytes);
    const content = `urn:sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    contents.set(name, content);
    ops.push({ kind: 'copy', content, source: file, target: name, size: bytes.length, rule: RULE, values: { title: name } });
  }
  await executePlan(root, ops, { claims, user: 'alice' });
  return { root, claims, contents };
}

const remove = (target: string): Operation => ({ kind: 'remove', target, reason: 'mirror: its source left the library' });

describe('the device trash', () => {
  it('a removed file goes to .semsync/trash/, is listed with why, and restores into place and into the catalog', async () => {
    const d = await filled(['Books/a.epub', 'Books/b.epub']);
    const r = await executePlan(d.root, [remove('Books/a.epub')], { claims: d.claims, user: 'alice' });
    expect(r.removed).toBe(1);
    expect((await walkDevice(d.root)).map((f) => f.path)).toEqual(['Books/b.epub']);
    const [e] = await readTrash(d.root);
    expect(e).toMatchObject({ path: 'Books/a.epub', content: d.contents.get('Books/a.epub'), reason: 'mirror: its source left the library', rule: RULE });
    expect(e.file).toBe(`.semsync/trash/files/${e.id}`); // relative: the device may be mounted elsewhere later
    expect(readFileSync(path.join(d.root, e.file), 'utf8')).toBe('bytes of Books/a.epub');
    expect((await readCatalogRecords(d.root)).map((x) => x.path)).toEqual(['Books/b.epub']);

    const moved = `${d.root}-elsewhere`; // plugged in at another mount point
    await fsp.rename(d.root, moved);
    const back = await restoreTrash(moved, 'dev', [e.id]);
    expect(back.errors).toEqual([]);
    expect(readFileSync(path.join(moved, 'Books/a.epub'), 'utf8')).toBe('bytes of Books/a.epub');
    d.root = moved;
    expect((await readCatalogRecords(d.root)).map((x) => [x.path, x.content])).toEqual([
      ['Books/a.epub', d.contents.get('Books/a.epub')], ['Books/b.epub', d.contents.get('Books/b.epub')],
    ]);
    expect(await readTrash(d.root)).toEqual([]);
  });

  it('a restore never overwrites: a path taken again is named, and the file stays in the trash', async () => {
    const d = await filled(['x.mp3']);
    await executePlan(d.root, [remove('x.mp3')], { claims: d.claims, user: 'alice' });
    await fsp.writeFile(path.join(d.root, 'x.mp3'), 'the person\'s own file');
    const [e] = await readTrash(d.root);
    const r = await restoreTrash(d.root, 'dev', 'all');
    expect(r.restored).toEqual([]);
    expect(r.errors[0]).toContain('x.mp3 exists again');
    expect(readFileSync(path.join(d.root, 'x.mp3'), 'utf8')).toBe('the person\'s own file');
    expect((await readTrash(d.root)).map((x) => x.id)).toEqual([e.id]);
  });

  it('empty deletes what is older than the keeping time, or everything', async () => {
    const d = await filled(['old.jpg', 'new.jpg']);
    await executePlan(d.root, [remove('old.jpg')], { claims: d.claims, user: 'alice', now: () => new Date(Date.now() - 40 * 86_400_000) });
    await executePlan(d.root, [remove('new.jpg')], { claims: d.claims, user: 'alice' });
    const [old, fresh] = await readTrash(d.root);
    expect((await emptyTrash(d.root, { olderThanDays: 30 })).map((x) => x.path)).toEqual(['old.jpg']);
    await expect(fsp.stat(path.join(d.root, old.file))).rejects.toThrow();
    expect((await readTrash(d.root)).map((x) => x.path)).toEqual(['new.jpg']);
    expect((await emptyTrash(d.root)).map((x) => x.path)).toEqual(['new.jpg']);
    await expect(fsp.stat(path.join(d.root, fresh.file))).rejects.toThrow();
  });

  it('a hostile trash index (paths leaving the device, files outside its trash) neither restores nor deletes outside', async () => {
    const d = await filled(['keep.txt']);
    const outside = path.join(base, 'host-secret.txt');
    await fsp.writeFile(outside, 'host file');
    const hostile = [
      { id: 'a', path: '../../escape.txt', content: 'urn:sha256:00', size: 1, rule: RULE, values: {}, placedAt: '', trashedAt: '2000-01-01T00:00:00Z', reason: 'x', file: outside },
      { id: 'b', path: 'ok.txt', content: 'urn:sha256:00', size: 1, rule: RULE, values: {}, placedAt: '', trashedAt: '2000-01-01T00:00:00Z', reason: 'x', file: outside },
      { id: 'c', path: 'info.txt', content: 'urn:sha256:00', size: 1, rule: RULE, values: {}, placedAt: '', trashedAt: '2000-01-01T00:00:00Z', reason: 'x', file: outside, info: outside },
    ];
    await fsp.mkdir(path.join(d.root, '.semsync', 'trash'), { recursive: true });
    await fsp.writeFile(path.join(d.root, TRASH_INDEX), JSON.stringify({ entries: hostile }));
    hostile.push({ ...hostile[1], id: '../../host-secret' });
    await fsp.writeFile(path.join(d.root, TRASH_INDEX), JSON.stringify({ entries: hostile }));
    expect((await readTrash(d.root)).map((e) => e.id)).toEqual(['b', 'c']); // a path or an id leaving the device is dropped
    expect((await restoreTrash(d.root, 'dev', 'all')).restored).toEqual([]); // bytes only from the device's own trash
    await emptyTrash(d.root);
    expect(readFileSync(outside, 'utf8')).toBe('host file'); // not below the device's trash, nor a .trashinfo: not deleted
  });

  it('a .semsync/trash that is a symbolic link is refused before anything moves', async () => {
    const d = await filled(['f.txt']);
    const elsewhere = path.join(base, `elsewhere${n}`);
    await fsp.mkdir(elsewhere);
    await fsp.symlink(elsewhere, path.join(d.root, '.semsync', 'trash'));
    const r = await executePlan(d.root, [remove('f.txt')], { claims: d.claims, user: 'alice' }).catch((e: unknown) => e);
    const failed = r instanceof Error ? r : undefined;
    expect(failed?.message ?? JSON.stringify(r)).toMatch(/symbolic link/);
    expect(await fsp.readdir(elsewhere)).toEqual([]);
    expect(readFileSync(path.join(d.root, 'f.txt'), 'utf8')).toBe('bytes of f.txt');
  });
});

describe('a device short of space', () => {
  it('its oldest trashed files give way; with no trash left to free, a removal is refused (the file stays), the rest is placed', async () => {
    const m = await mountTmpfs(path.join(base, 'small'), '1m');
    if (m.kind !== 'tmpfs') return void console.warn('[trash test] no tmpfs: skipped');
    try {
      const claims = path.join(base, 'claims-small.json');
      await claimDevice(claims, m.root, { user: 'alice' });
      const src = path.join(base, 'small-src');
      await fsp.mkdir(src, { recursive: true });
      const op = async (name: string, fill: number, size = 600 << 10): Promise<Operation> => {
        const bytes = Buffer.alloc(size, fill);
        await fsp.writeFile(path.join(src, name), bytes);
        return { kind: 'copy', content: `urn:sha256:${createHash('sha256').update(bytes).digest('hex')}`, source: path.join(src, name), target: name, size: bytes.length, rule: RULE, values: {} };
      };
      const opts = { claims, user: 'alice' };
      expect((await executePlan(m.root, [await op('a.bin', 1)], opts)).copied).toBe(1);
      const a = readFileSync(path.join(m.root, 'a.bin'));
      // A mirror's move: a.bin goes, b.bin comes; 600 KiB + 600 KiB do not fit in 1 MiB, so a.bin cannot be kept in
      // the trash. It is not deleted outright: the removal is refused, b.bin is skipped, the small c.txt still placed.
      const moved = await executePlan(m.root, [await op('b.bin', 2), await op('c.txt', 3, 100), remove('a.bin')], opts);
      expect(moved).toMatchObject({ copied: 1, removed: 0, errors: [], trashed: [] });
      const why = new Map(moved.skips.map((s) => [s.target, s.reason]));
      expect(why.get('a.bin')).toMatch(/^not enough free space to keep it in \.semsync\/trash; it stays: free \d+ MB on the device or run `semsync trash empty`/);
      expect(why.get('b.bin')).toMatch(/not enough free space on the device .*kept, not deleted/);
      expect(readFileSync(path.join(m.root, 'a.bin')).equals(a)).toBe(true);
      expect((await walkDevice(m.root)).map((f) => f.path).sort()).toEqual(['a.bin', 'c.txt']);
      expect((await readCatalogRecords(m.root)).map((r) => r.path)).toEqual(['a.bin', 'c.txt']);
      // With room, a removed file is trashed; the next copy that needs the room takes it from the trash.
      expect((await executePlan(m.root, [remove('a.bin')], opts)).trashed.map((t) => t.path)).toEqual(['a.bin']);
      expect((await readTrash(m.root)).map((t) => t.path)).toEqual(['a.bin']);
      expect((await executePlan(m.root, [await op('b.bin', 2)], opts)).copied).toBe(1);
      expect(await readTrash(m.root)).toEqual([]);
    } finally {
      await m.unmount();
    }
  });
});

describe('the XDG trash (host targets)', () => {
  it('follows the freedesktop.org spec: files/NAME and info/NAME.trashinfo with Path and DeletionDate; restore removes both', async () => {
    const xdg = path.join(base, 'xdg', 'Trash');
    const d = await filled(['Documents/eBooks/a b.epub']);
    await fsp.mkdir(path.join(xdg, 'files'), { recursive: true });
    await fsp.writeFile(path.join(xdg, 'files', 'a b.epub'), 'someone else trashed a file of that name');
    const r = await executePlan(d.root, [remove('Documents/eBooks/a b.epub')], { claims: d.claims, user: 'alice', trash: { kind: 'xdg', dir: xdg } });
    expect(r.removed).toBe(1);
    const [e] = await readTrash(d.root);
    expect(e.file).toBe(path.join(xdg, 'files', 'a b.2.epub'));
    expect(e.info).toBe(path.join(xdg, 'info', 'a b.2.epub.trashinfo'));
    const info = readFileSync(e.info!, 'utf8');
    expect(info).toMatch(/^\[Trash Info\]\nPath=.*\/Documents\/eBooks\/a%20b\.epub\nDeletionDate=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\n$/);
    expect(info).toContain(`Path=${encodeURI(path.join(d.root, 'Documents/eBooks/a b.epub'))}`);
    const back = await restoreTrash(d.root, 'dev', 'all');
    expect(back.restored).toHaveLength(1);
    expect(readFileSync(path.join(d.root, 'Documents/eBooks/a b.epub'), 'utf8')).toBe('bytes of Documents/eBooks/a b.epub');
    await expect(fsp.stat(e.info!)).rejects.toThrow();
    expect(readFileSync(path.join(xdg, 'files', 'a b.epub'), 'utf8')).toContain('someone else'); // never touched
  });

  it('is $XDG_DATA_HOME/Trash, else ~/.local/share/Trash', () => {
    expect(xdgTrashDir({ XDG_DATA_HOME: '/x/data', HOME: '/home/a' })).toBe('/x/data/Trash');
    expect(xdgTrashDir({ XDG_DATA_HOME: 'relative', HOME: '/home/a' })).toBe('/home/a/.local/share/Trash');
    expect(xdgTrashDir({ HOME: '/home/a' })).toBe('/home/a/.local/share/Trash');
  });
});
