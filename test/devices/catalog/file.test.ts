// The catalog file on a device (src/devices/catalog/file.ts): written atomically and readable as before, read back
// from its cache only while the file is the same, the legacy N-Quads catalog read and then replaced, and a linked
// `.semsync` (or catalog) never written through.
import { promises as fsp, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalogText, readCatalog, readCatalogRecords, writeCatalog } from '../../../src/devices/catalog/file.js';
import { serializeCatalog } from '../../../src/devices/catalog/format.js';
import { CATALOG_FILE, DeviceEscapeError, LEGACY_CATALOG_FILE } from '../../../src/devices/index.js';
import { awkward } from './records-helper.js';

let base: string;
let n = 0;
beforeAll(async () => {
  base = await fsp.mkdtemp(path.join(os.tmpdir(), 'semsync-catalog-file-'));
});
afterAll(async () => {
  await fsp.rm(base, { recursive: true, force: true });
});
const device = async () => {
  const root = path.join(base, `dev${++n}`);
  await fsp.mkdir(root, { recursive: true });
  return root;
};

describe('catalog file', () => {
  it('writes the catalog and reads it back; readCatalog leaves out what the person removed', async () => {
    const root = await device();
    await writeCatalog(root, 'dev-1', awkward);
    expect(await readCatalogRecords(root)).toEqual(awkward);
    expect((await readCatalog(root)).map((e) => e.path)).toEqual(awkward.filter((r) => !r.removedAt).map((r) => r.path));
    expect(readFileSync(path.join(root, CATALOG_FILE), 'utf8')).toBe(serializeCatalog('dev-1', awkward));
    expect((await fsp.readdir(path.join(root, '.semsync'))).sort()).toEqual(['catalog.trig']); // no temp file left
  });

  it('writes the catalog readable by the device\'s other users, as every file semsync puts there (mode 0666 less the umask)', async () => {
    const root = await device();
    const old = process.umask(0o022);
    try {
      await writeCatalog(root, 'dev-1', awkward.slice(0, 1));
    } finally {
      process.umask(old);
    }
    expect((await fsp.stat(path.join(root, CATALOG_FILE))).mode & 0o777).toBe(0o644);
  });

  it('hands out copies of its cached records, and reads the file again once another writer replaced it', async () => {
    const root = await device();
    await writeCatalog(root, 'dev-1', awkward.slice(0, 2));
    const first = await readCatalogRecords(root);
    first.pop();
    first[0].path = 'changed by a caller';
    expect((await readCatalogRecords(root)).map((r) => r.path)).toEqual(awkward.slice(0, 2).map((r) => r.path));
    await fsp.writeFile(path.join(root, CATALOG_FILE), serializeCatalog('dev-1', awkward.slice(2, 3)));
    expect(await readCatalogRecords(root)).toEqual(awkward.slice(2, 3));
  });

  it('reads a legacy .semsync/catalog.nq when there is no catalog.trig, and removes it once the TriG catalog is written', async () => {
    const root = await device();
    await fsp.mkdir(path.join(root, '.semsync'));
    await fsp.copyFile(new URL('../fixtures/catalog-nquads.nq', import.meta.url), path.join(root, LEGACY_CATALOG_FILE));
    const old = await readCatalogRecords(root);
    expect(old.map((r) => r.path)).toEqual(['Photos/2010/01/p0.jpg', 'Music/Beth Hart/01 - "Sinner\'s" Prayer.mp3']);
    expect((await catalogText(root))?.format).toBe('N-Quads');
    await writeCatalog(root, 'dev-old', old);
    await expect(fsp.stat(path.join(root, LEGACY_CATALOG_FILE))).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await readCatalogRecords(root)).toEqual(old);
  });

  it('refuses to write through a .semsync that is a symbolic link, and leaves where it points untouched', async () => {
    const root = await device();
    const elsewhere = path.join(base, `elsewhere${n}`);
    await fsp.mkdir(elsewhere);
    await fsp.symlink(elsewhere, path.join(root, '.semsync'));
    await expect(writeCatalog(root, 'dev-1', awkward)).rejects.toBeInstanceOf(DeviceEscapeError);
    expect(await fsp.readdir(elsewhere)).toEqual([]);
  });

  it('replaces a catalog.trig that is a symbolic link by a file, never writing to where it points', async () => {
    const root = await device();
    const victim = path.join(base, `victim${n}.txt`);
    await fsp.writeFile(victim, 'precious');
    await fsp.mkdir(path.join(root, '.semsync'));
    await fsp.symlink(victim, path.join(root, CATALOG_FILE));
    await writeCatalog(root, 'dev-1', awkward.slice(0, 1));
    expect(readFileSync(victim, 'utf8')).toBe('precious');
    expect((await fsp.lstat(path.join(root, CATALOG_FILE))).isFile()).toBe(true);
    expect(await readCatalogRecords(root)).toEqual(awkward.slice(0, 1));
  });

  it('says there is no catalog on a device without one', async () => {
    const root = await device();
    expect(await readCatalogRecords(root)).toEqual([]);
    expect(await catalogText(root)).toBeUndefined();
  });
});
