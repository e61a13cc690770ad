// Free-space stage and the pending list's records: a plan that does not fit is refused before anything is written;
// the device's trash gives way first; records are made once, at the run's time.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DeviceFullError, executePlan, PENDING_FILE, readTrash } from '../../../src/devices/index.js';
import { classify } from '../../../src/devices/place/classify.js';
import { checkFreeSpace, makeRecords } from '../../../src/devices/place/space.js';
import { bench, openRun, type Bench } from './helper.js';

let b: Bench;
beforeAll(async () => {
  b = await bench('space');
});
afterAll(() => b.cleanup());

const mib = (n: number, fill: number) => Buffer.alloc(n << 20, fill);

it('refuses a plan larger than the free space, naming both, with nothing written', async () => {
  const { root } = await b.device('4m');
  const big = await b.source('Big/big.bin', mib(6, 1));
  const run = await openRun(root, [big]);
  classify(run);
  makeRecords(run);
  const err = await checkFreeSpace(run).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(DeviceFullError);
  expect((err as DeviceFullError).need).toBeGreaterThan(6 << 20);
  expect((err as DeviceFullError).message).toMatch(new RegExp(`device ${root} is too full`));
  await expect(fsp.stat(path.join(root, 'Big'))).rejects.toThrow();
  await expect(fsp.stat(path.join(root, PENDING_FILE))).rejects.toThrow();
});

it('lets the oldest trash entries give way, and refuses removals it cannot keep in the trash (never deletes them)', async () => {
  const { root } = await b.device('8m');
  const old = await b.source('T/old.bin', mib(3, 2));
  await executePlan(root, [old]);
  await executePlan(root, [{ kind: 'remove', target: old.target, reason: 'old' }]);
  expect((await readTrash(root)).map((e) => e.path)).toEqual([old.target]);
  const keep = await b.source('T/keep.bin', mib(2, 3));
  await executePlan(root, [keep]);
  // 6 MiB new on 8 MiB: fits only once the trash gives up the 3 MiB it holds and the removed 2 MiB are not kept.
  const next = await b.source('T/next.bin', mib(6, 4));
  const small = await b.source('T/small.txt', 'fits');
  const run = await openRun(root, [next, small, { kind: 'remove', target: keep.target, reason: 'replaced' }]);
  classify(run);
  makeRecords(run);
  await checkFreeSpace(run);
  expect(await readTrash(root)).toEqual([]);
  expect(run.trash).toEqual({ kind: 'device' });
  expect(run.removes).toEqual([]);
  expect(run.copies).toEqual([small]);
  expect(run.records.map((r) => r.path)).toEqual([small.target]);
  expect(run.res.skips.map((s) => s.target)).toEqual([keep.target, next.target]);
  expect(run.res.skips[0].reason).toMatch(/not enough free space to keep it in \.semsync\/trash; it stays: free [1-9]\d* MB/);
});

it('makes one record per copy at the run time, and counts the bytes to place', async () => {
  const { root } = await b.device();
  const a = await b.source('R/a.txt', 'aaa');
  const c = await b.source('R/c.txt', 'ccccc');
  const at = new Date('2026-03-04T05:06:07Z');
  const run = await openRun(root, [c, a], { now: () => at });
  classify(run);
  makeRecords(run);
  expect(run.records.map((r) => [r.path, r.placedAt])).toEqual([['R/a.txt', at.toISOString()], ['R/c.txt', at.toISOString()]]);
  expect(run.recordOf(a, a.size)).toBe(run.records[0]);
  expect(run.recordOf(a, a.size + 1)).toBeUndefined();
  expect(run.totalBytes).toBe(8);
});
