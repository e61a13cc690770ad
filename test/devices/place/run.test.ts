// The placement run object: its pending list (written once; its error repeated), temp names, folders made only
// inside the device, per-file versus device errors, and the last stage (catalog written, DeviceIoError, pending removed).
import { promises as fsp, symlinkSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DeviceIoError, PENDING_FILE, readCatalogRecords, TEMP_PREFIX } from '../../../src/devices/index.js';
import { classify } from '../../../src/devices/place/classify.js';
import { makeRecords } from '../../../src/devices/place/space.js';
import { bench, openRun, type Bench } from './helper.js';

let b: Bench;
beforeAll(async () => {
  b = await bench('run');
});
afterAll(() => b.cleanup());

it('writes the pending list once, catalogues what was placed, and removes the pending list at the end', async () => {
  const { root } = await b.device();
  const a = await b.source('A/a.txt', 'aaa');
  const seen: string[] = [];
  const run = await openRun(root, [a], { onProgress: (p) => seen.push(`${p.phase} ${p.done}/${p.total}`) });
  classify(run);
  makeRecords(run);
  run.writePending();
  const pending = await fsp.readFile(path.join(root, PENDING_FILE), 'utf8');
  expect(pending).toContain('A/a.txt');
  await fsp.rm(path.join(root, PENDING_FILE));
  run.writePending(); // once per run
  await expect(fsp.stat(path.join(root, PENDING_FILE))).rejects.toThrow();
  run.resolveRoot();
  await run.ensureDir('A');
  await fsp.copyFile(a.source!, path.join(root, a.target));
  run.placed(a, a.size, run.recordOf(a, a.size));
  const res = await run.finish();
  expect(res).toMatchObject({ copied: 1, bytes: 3 });
  expect(seen).toEqual(['copy 1/1', 'done 1/1']);
  expect((await readCatalogRecords(root)).map((r) => r.path)).toEqual(['A/a.txt']);
});

it('repeats a pending-list write error on every call and writes nothing else', async () => {
  const { root } = await b.device();
  const a = await b.source('A/a.txt', 'aaa');
  const run = await openRun(root, [a]);
  classify(run);
  makeRecords(run);
  // A folder where the pending list goes: the atomic rename onto it fails, whoever runs the test.
  await fsp.mkdir(path.join(root, PENDING_FILE));
  expect(() => run.writePending()).toThrow();
  await fsp.rmdir(path.join(root, PENDING_FILE));
  expect(() => run.writePending()).toThrow(); // not tried again: the run stops at the first failure
  await expect(fsp.stat(path.join(root, PENDING_FILE))).rejects.toThrow();
});

it('makes temp names with the temp prefix, unique in the run, in the target folder', async () => {
  const { root } = await b.device();
  const a = await b.source('D/x.txt', 'x');
  const run = await openRun(root, [a]);
  const t1 = run.tmpOf(a);
  const t2 = run.tmpOf(a);
  expect(t1).not.toBe(t2);
  expect(path.dirname(t1)).toBe(path.join(root, 'D'));
  expect(path.basename(t1).startsWith(TEMP_PREFIX)).toBe(true);
});

it('refuses a folder that leads outside the device, and keeps per-file errors apart from device errors', async () => {
  const { root } = await b.device();
  const outside = path.join(b.base, 'outside');
  await fsp.mkdir(outside);
  symlinkSync(outside, path.join(root, 'L'));
  const a = await b.source('L/x.txt', 'x');
  const c = await b.source('C/c.txt', 'c');
  const run = await openRun(root, [a, c]);
  run.resolveRoot();
  const err = await run.ensureDir('L/sub').catch((e: unknown) => e);
  expect((err as NodeJS.ErrnoException).code).toBe('EUNSAFE');
  expect(await fsp.readdir(outside)).toEqual([]);
  run.failed(a, err);
  expect(run.res.errors).toMatchObject([{ target: 'L/x.txt', code: 'EUNSAFE' }]);
  expect(run.stopped()).toBe(false);
  run.failed(c, Object.assign(new Error('no space left'), { code: 'ENOSPC' }));
  expect(run.stopped()).toBe(true);
  const end = await run.finish().catch((e: unknown) => e);
  expect(end).toBeInstanceOf(DeviceIoError);
  expect(end).toMatchObject({ target: 'C/c.txt', code: 'ENOSPC' });
  expect((end as DeviceIoError).result.copied).toBe(0);
});
