// What is on a device (src/devices/catalog/walk.ts): every regular file, not following links, not crossing into
// semsync's own folder, temp files or system folders; and, for planning, what the catalog says of each.
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeCatalog } from '../../../src/devices/catalog/file.js';
import { listDevice, walkDevice } from '../../../src/devices/catalog/walk.js';
import { TEMP_PREFIX, type CatalogRecord } from '../../../src/devices/index.js';
import { hex } from './records-helper.js';

let base: string;
beforeAll(async () => {
  base = await fsp.mkdtemp(path.join(os.tmpdir(), 'semsync-catalog-walk-'));
});
afterAll(async () => {
  await fsp.rm(base, { recursive: true, force: true });
});

async function put(root: string, files: Record<string, string>): Promise<void> {
  for (const [rel, text] of Object.entries(files)) {
    await fsp.mkdir(path.dirname(path.join(root, rel)), { recursive: true });
    await fsp.writeFile(path.join(root, rel), text);
  }
}
const rec = (p: string, size: number, extra: Partial<CatalogRecord> = {}): CatalogRecord => ({ path: p, content: hex('a'), size, rule: 'urn:x:rule', values: {}, placedAt: '2025-01-01T00:00:00.000Z', ...extra });

describe('walkDevice', () => {
  it('lists regular files, sorted, with sizes; skips .semsync, temp files, system folders and links', async () => {
    const root = path.join(base, 'walk');
    const outside = path.join(base, 'outside');
    await put(outside, { 'secret.txt': 'secret' });
    await put(root, {
      'b.txt': 'bb', 'a/one.mp3': '1', 'a/deep/two.mp3': '22', '.semsync/catalog.trig': 'x', [`a/${TEMP_PREFIX}half`]: 'x',
      'lost+found/x': 'x', '.Trash-1000/files/y': 'y', 'System Volume Information/z': 'z', '$RECYCLE.BIN/w': 'w', 'sub/.semsync/kept': 'k',
    });
    await fsp.symlink(path.join(outside, 'secret.txt'), path.join(root, 'link.txt'));
    await fsp.symlink(outside, path.join(root, 'linkdir'));
    expect(await walkDevice(root)).toEqual([
      { path: 'a/deep/two.mp3', size: 2 }, { path: 'a/one.mp3', size: 1 }, { path: 'b.txt', size: 2 }, { path: 'sub/.semsync/kept', size: 1 },
    ]);
  });

  it('gives names in NFC whatever form the filesystem holds', async () => {
    const root = path.join(base, 'nfc');
    await put(root, { ['Cafe\u0301/Ni\u00f1o.mp3'.normalize('NFD')]: 'x' });
    expect(await walkDevice(root)).toEqual([{ path: 'Café/Niño.mp3'.normalize('NFC'), size: 1 }]);
  });
});

describe('listDevice', () => {
  it('marks a file the catalog placed (same size) with its content and rule; a replaced, restored or unknown file is the person\'s', async () => {
    const root = path.join(base, 'list');
    await put(root, { 'placed.mp3': '1234', 'replaced.mp3': '12', 'restored.mp3': '123', 'mine.txt': 'm', 'Case/Folded.MP3': '12345' });
    await writeCatalog(root, 'dev-1', [
      rec('placed.mp3', 4), rec('replaced.mp3', 999), rec('restored.mp3', 3, { restoredAt: '2025-02-01T00:00:00.000Z' }),
      rec('case/folded.mp3', 5), rec('gone.mp3', 1, { removedAt: '2025-02-01T00:00:00.000Z' }), rec('../outside.mp3', 1), rec('/abs.mp3', 1),
    ]);
    expect(await listDevice(root)).toEqual([
      { path: 'Case/Folded.MP3', size: 5, content: hex('a'), placedBy: 'urn:x:rule' },
      { path: 'mine.txt', size: 1 },
      { path: 'placed.mp3', size: 4, content: hex('a'), placedBy: 'urn:x:rule' },
      { path: 'replaced.mp3', size: 2 },
      { path: 'restored.mp3', size: 3, content: hex('a') },
    ]);
  });
});
