// Removal stage: semsync's own files go to the device's trash (restorable) with the plan's reason, empty folders
// are pruned, the pending list is written first; with no trash they are deleted outright.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { executePlan, PENDING_FILE, readTrash, restoreTrash } from '../../../src/devices/index.js';
import { classify } from '../../../src/devices/place/classify.js';
import { removeFiles } from '../../../src/devices/place/remove.js';
import { makeRecords } from '../../../src/devices/place/space.js';
import { bench, openRun, type Bench } from './helper.js';

let b: Bench;
beforeAll(async () => {
  b = await bench('remove');
});
afterAll(() => b.cleanup());

it('moves removed files to the trash with their reason, prunes empty folders, and the trash restores them', async () => {
  const { root } = await b.device();
  const one = await b.source('Artist/Album/one.txt', 'one');
  const two = await b.source('Artist/two.txt', 'two');
  await executePlan(root, [one, two]);
  const run = await openRun(root, [{ kind: 'remove', target: one.target, reason: 'its source was deleted' }]);
  classify(run);
  makeRecords(run);
  await removeFiles(run);
  expect(run.res.removed).toBe(1);
  expect(run.catalog.has(one.target)).toBe(false);
  await expect(fsp.stat(path.join(root, 'Artist/Album'))).rejects.toThrow();
  expect(await fsp.readdir(path.join(root, 'Artist'))).toEqual(['two.txt']);
  await fsp.stat(path.join(root, PENDING_FILE)); // written before the first removal
  const trash = await readTrash(root);
  expect(trash).toMatchObject([{ path: one.target, content: one.content, reason: 'its source was deleted' }]);
  await run.finish();
  await restoreTrash(root, run.profile.id, [trash[0].id]);
  expect(await fsp.readFile(path.join(root, one.target), 'utf8')).toBe('one');
});

it('deletes outright when the run has no trash', async () => {
  const { root } = await b.device();
  const one = await b.source('X/one.txt', 'one');
  await executePlan(root, [one]);
  const run = await openRun(root, [{ kind: 'remove', target: one.target, reason: 'r' }], { trash: false });
  classify(run);
  await removeFiles(run);
  expect(run.res).toMatchObject({ removed: 1, trashed: [] });
  expect(await readTrash(root)).toEqual([]);
  await expect(fsp.stat(path.join(root, one.target))).rejects.toThrow();
});
