// The trash use cases over the devices a listing gives: list, restore (the catalog graph loaded again), empty.
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { addToTrash, moveToTrash } from '../../src/devices/index.js';
import { DeviceTrash } from '../../src/app/device-trash.js';
import type { DeviceRow } from '../../src/app/device-rows.js';

let root: string;
let row: DeviceRow;
beforeEach(async () => {
  root = await fsp.mkdtemp(path.join(os.tmpdir(), 'semsync-trashapp-'));
  row = { id: 'card-1', name: 'card', root, state: 'claimed', kind: 'folder', fsType: 'ext4', filesystem: 'posix' };
});
afterEach(async () => fsp.rm(root, { recursive: true, force: true }));

async function trashOne(name: string): Promise<string> {
  await fsp.mkdir(path.join(root, 'Music'), { recursive: true });
  await fsp.writeFile(path.join(root, 'Music', name), 'bytes');
  const rec = { path: `Music/${name}`, content: `urn:sha256:${'b'.repeat(64)}`, size: 5, rule: 'urn:r', values: {}, placedAt: new Date().toISOString() };
  const e = moveToTrash(root, rec, { kind: 'device' }, 'its source left', new Date());
  await addToTrash(root, [e]);
  return e.id;
}

it('lists, restores (loading the catalog graph again) and empties; an unknown id is named', async () => {
  const loaded: string[] = [];
  const trash = new DeviceTrash({ listing: { list: async () => [row], find: async () => row }, loadGraph: async (d) => void loaded.push(d.root) });
  const id = await trashOne('a.mp3');
  await trashOne('b.mp3');
  expect((await trash.list()).map((r) => [r.path, r.deviceName, r.reason])).toEqual([['Music/a.mp3', 'card', 'its source left'], ['Music/b.mp3', 'card', 'its source left']]);
  const r = await trash.restore([id, 'nope']);
  expect(r.restored.map((x) => x.path)).toEqual(['Music/a.mp3']);
  expect(r.errors).toEqual(['no trashed file with id nope (see `semsync trash list`)']);
  expect(await fsp.readFile(path.join(root, 'Music', 'a.mp3'), 'utf8')).toBe('bytes');
  expect(loaded).toEqual([root]);
  expect((await trash.empty()).map((x) => x.path)).toEqual(['Music/b.mp3']);
  expect(await trash.list()).toEqual([]);
});
