// Files the person deleted by hand (src/devices/catalog/removed.ts): remembered in the catalog, so not copied back;
// forgotten on --restore or once the content is on the device again.
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCatalogRecords, writeCatalog } from '../../../src/devices/catalog/file.js';
import { noteRemovedByPerson } from '../../../src/devices/catalog/removed.js';
import type { CatalogRecord } from '../../../src/devices/index.js';
import { hex } from './records-helper.js';

let base: string;
let n = 0;
beforeAll(async () => {
  base = await fsp.mkdtemp(path.join(os.tmpdir(), 'semsync-catalog-removed-'));
});
afterAll(async () => {
  await fsp.rm(base, { recursive: true, force: true });
});
const rec = (p: string, c: string, extra: Partial<CatalogRecord> = {}): CatalogRecord => ({ path: p, content: hex(c), size: 1, rule: 'urn:x:rule', values: {}, placedAt: '2025-01-01T00:00:00.000Z', ...extra });
const now = new Date('2025-03-01T00:00:00.000Z');

async function device(records: CatalogRecord[]): Promise<string> {
  const root = path.join(base, `dev${++n}`);
  await fsp.mkdir(root);
  await writeCatalog(root, 'dev-1', records);
  return root;
}

describe('noteRemovedByPerson', () => {
  it('marks a catalogued file missing from the device as removed by the person (case-insensitively), and writes it only when asked', async () => {
    const root = await device([rec('Kept.mp3', 'a'), rec('gone.mp3', 'b')]);
    const listing = [{ path: 'kept.MP3', size: 1, content: hex('a') }];
    expect(await noteRemovedByPerson(root, 'dev-1', listing, { write: false, now })).toEqual(new Set([hex('b')]));
    expect((await readCatalogRecords(root)).some((r) => r.removedAt)).toBe(false);
    await noteRemovedByPerson(root, 'dev-1', listing, { write: true, now });
    expect(await readCatalogRecords(root)).toEqual([rec('Kept.mp3', 'a'), rec('gone.mp3', 'b', { removedAt: now.toISOString() })]);
  });

  it('forgets a removal once the content is on the device again, or on --restore (forget)', async () => {
    const root = await device([rec('gone.mp3', 'b', { removedAt: '2025-02-01T00:00:00.000Z' }), rec('also.mp3', 'c', { removedAt: '2025-02-01T00:00:00.000Z' })]);
    const back = await noteRemovedByPerson(root, 'dev-1', [{ path: 'elsewhere.mp3', size: 1, content: hex('b') }], { write: true, now });
    expect(back).toEqual(new Set([hex('c')]));
    expect((await readCatalogRecords(root)).map((r) => r.path)).toEqual(['also.mp3']);
    expect(await noteRemovedByPerson(root, 'dev-1', [], { write: true, now, forget: true })).toEqual(new Set());
    expect(await readCatalogRecords(root)).toEqual([]);
  });

  it('does nothing on a device without a catalog', async () => {
    const root = path.join(base, 'empty');
    await fsp.mkdir(root);
    expect(await noteRemovedByPerson(root, 'dev-1', [], { write: true, now })).toEqual(new Set());
    await expect(fsp.stat(path.join(root, '.semsync'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
