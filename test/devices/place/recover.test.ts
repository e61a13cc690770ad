// Recovery stage: an interrupted run's pending list is finished: files it renamed into place are catalogued when
// intact (size and hash), a tampered one is not, and its temp files and staged bytes are removed.
import { promises as fsp, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { catalogBytes } from '../../../src/devices/catalog.js';
import { PENDING_FILE, readDeviceProfile, STAGING_DIR, TEMP_PREFIX } from '../../../src/devices/index.js';
import { recoverInterrupted } from '../../../src/devices/place/recover.js';
import type { CopyOp } from '../../../src/devices/place/types.js';
import { bench, openRun, type Bench } from './helper.js';

let b: Bench;
beforeAll(async () => {
  b = await bench('recover');
});
afterAll(() => b.cleanup());

const record = (op: CopyOp) => ({ path: op.target, content: op.content, size: op.size, rule: op.rule, values: op.values, placedAt: '2026-01-01T00:00:00.000Z' });

it('catalogues what an interrupted run placed intact, not a file changed since, and drops its temp files', async () => {
  const { root } = await b.device();
  const good = await b.source('A/good.txt', 'the good bytes');
  const bad = await b.source('A/bad.txt', 'the original bytes');
  const missing = await b.source('B/missing.txt', 'never renamed into place');
  const profile = (await readDeviceProfile(root))!;
  await fsp.mkdir(path.join(root, 'A'));
  await fsp.mkdir(path.join(root, 'B'));
  await fsp.copyFile(good.source!, path.join(root, good.target));
  writeFileSync(path.join(root, bad.target), 'the ORIGINAL bytes'); // same size, other bytes
  writeFileSync(path.join(root, 'B', `${TEMP_PREFIX}left`), 'half a file');
  await fsp.mkdir(path.join(root, STAGING_DIR), { recursive: true });
  writeFileSync(path.join(root, STAGING_DIR, 'x'), 'staged');
  writeFileSync(path.join(root, PENDING_FILE), catalogBytes(profile.id, [good, bad, missing].map(record)));

  const run = await openRun(root, []);
  await recoverInterrupted(run);
  expect(run.res.recovered).toBe(1);
  expect(run.catalog.get(good.target)).toMatchObject({ content: good.content, size: good.size });
  expect(run.catalog.has(bad.target)).toBe(false);
  expect(run.catalog.has(missing.target)).toBe(false);
  expect(run.dirty).toBe(true);
  expect(run.prev?.copies.map((c) => c.target).sort()).toEqual(['A/bad.txt', 'A/good.txt', 'B/missing.txt']);
  expect(run.res.tempRemoved).toBe(1);
  expect(await fsp.readdir(path.join(root, 'B'))).toEqual([]);
  await expect(fsp.stat(path.join(root, STAGING_DIR))).rejects.toThrow();
});

it('does not follow a pending list that names paths outside the device', async () => {
  const { root } = await b.device();
  const outside = path.join(b.base, 'outside');
  await fsp.mkdir(outside);
  writeFileSync(path.join(outside, `${TEMP_PREFIX}keep`), 'not the device');
  await fsp.mkdir(path.join(root, '.semsync'), { recursive: true });
  writeFileSync(path.join(root, '.semsync', 'pending.json'), JSON.stringify({ dirs: ['../outside', outside], copies: [{ target: '../outside/x', content: 'urn:sha256:00', size: 1 }] }));
  const run = await openRun(root, []);
  await recoverInterrupted(run);
  expect(run.res).toMatchObject({ recovered: 0, tempRemoved: 0 });
  expect(await fsp.readdir(outside)).toEqual([`${TEMP_PREFIX}keep`]);
});
