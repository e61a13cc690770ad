// Copy strategy "staged": content staged while the plan was made is renamed onto its targets (by the placing thread
// and the copy thread, each batch by one side); a second target of the same content, and content not staged, are
// returned to be copied.
import { randomBytes } from 'node:crypto';
import { promises as fsp, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PENDING_FILE, Stager, STAGING_DIR } from '../../../src/devices/index.js';
import { classify } from '../../../src/devices/place/classify.js';
import { placeStaged } from '../../../src/devices/place/copy-staged.js';
import { makeRecords } from '../../../src/devices/place/space.js';
import type { CopyOp } from '../../../src/devices/place/types.js';
import { bench, openRun, type Bench } from './helper.js';

let b: Bench;
beforeAll(async () => {
  b = await bench('staged');
});
afterAll(() => b.cleanup());

it('renames staged content into place and returns what it did not place, sorted', async () => {
  const { root } = await b.device('16m');
  const ops: CopyOp[] = [];
  for (let i = 0; i < 300; i++) ops.push(await b.source(`P${i % 5}/p${String(i).padStart(3, '0')}.bin`, randomBytes(200 + i)));
  const twin = { ...ops[0], target: 'P9/twin.bin' }; // same content, second target: copied, not renamed
  const unstaged = ops[299]; // not handed to the stager
  const stager = new Stager(root, true);
  for (const op of ops.slice(0, 299)) stager.add(op.content, op.source!, op.size);
  expect(stager.thread).toBeDefined();
  const all = [...ops, twin];
  const run = await openRun(root, all, { staging: stager });
  try {
    classify(run);
    makeRecords(run);
    run.resolveRoot();
    const rest = await placeStaged(run, run.copies, stager, stager.thread!);
    expect(rest.map((o) => o.target)).toEqual([unstaged.target, twin.target].sort());
    expect(run.res.copied).toBe(299);
    expect(run.res.errors).toEqual([]);
    for (const op of ops.slice(0, 299)) expect(readFileSync(path.join(root, op.target)).equals(readFileSync(op.source!))).toBe(true);
    await fsp.stat(path.join(root, PENDING_FILE)); // durable before the first rename
    expect(run.catalog.get(ops[5].target)).toBe(run.recordByOp.get(ops[5]));
  } finally {
    await stager.close();
  }
  await expect(fsp.stat(path.join(root, STAGING_DIR))).rejects.toThrow();
});
