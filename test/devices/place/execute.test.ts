// executePlan runs the stages in order: a removal frees the room a copy needs (removals come first), and an
// interrupted run's pending list is finished by the next run before the plan is classified.
import { promises as fsp, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { catalogBytes } from '../../../src/devices/catalog.js';
import { DeviceFullError, executePlan, PENDING_FILE, readCatalogRecords, readDeviceProfile } from '../../../src/devices/index.js';
import { bench, type Bench } from './helper.js';

let b: Bench;
beforeAll(async () => {
  b = await bench('execute');
});
afterAll(() => b.cleanup());

it('removes before it copies, so a removal makes the room a copy needs', async () => {
  const { root } = await b.device('8m');
  const old = await b.source('O/old.bin', Buffer.alloc(5 << 20, 1));
  await executePlan(root, [old]);
  const next = await b.source('N/next.bin', Buffer.alloc(5 << 20, 2));
  await expect(executePlan(root, [next], { trash: false })).rejects.toThrow(DeviceFullError);
  const r = await executePlan(root, [{ kind: 'remove', target: old.target, reason: 'replaced' }, next], { trash: false });
  expect(r).toMatchObject({ removed: 1, copied: 1, errors: [] });
  expect(readFileSync(path.join(root, next.target)).equals(readFileSync(next.source!))).toBe(true);
  expect((await readCatalogRecords(root)).map((x) => x.path)).toEqual([next.target]);
});

it('finishes an interrupted run first: the file it placed is already in place for the plan', async () => {
  const { root } = await b.device();
  const a = await b.source('A/a.txt', 'placed before the card was pulled');
  await fsp.mkdir(path.join(root, 'A'));
  await fsp.copyFile(a.source!, path.join(root, a.target));
  const profile = (await readDeviceProfile(root))!;
  await fsp.writeFile(path.join(root, PENDING_FILE), catalogBytes(profile.id, [{ path: a.target, content: a.content, size: a.size, rule: a.rule, values: a.values, placedAt: new Date().toISOString() }]));
  const r = await executePlan(root, [a]);
  expect(r).toMatchObject({ recovered: 1, copied: 0, skipped: 1, skips: [{ reason: 'already in place' }] });
  await expect(fsp.stat(path.join(root, PENDING_FILE))).rejects.toThrow();
});
