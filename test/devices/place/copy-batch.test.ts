// Copy strategy "batch": small local files copied in batches, synchronously or on a copy thread; a source whose bytes
// are not its content is refused per file; a source that cannot be opened is left for the single-file copy.
import { randomBytes } from 'node:crypto';
import { promises as fsp, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEMP_PREFIX } from '../../../src/devices/index.js';
import { CopyThread } from '../../../src/devices/copy-thread.js';
import { classify } from '../../../src/devices/place/classify.js';
import { copyBatches } from '../../../src/devices/place/copy-batch.js';
import type { PlacementRun } from '../../../src/devices/place/run.js';
import { makeRecords } from '../../../src/devices/place/space.js';
import type { CopyOp } from '../../../src/devices/place/types.js';
import { allFiles } from '../mounts-helper.js';
import { bench, openRun, type Bench } from './helper.js';

let b: Bench;
beforeAll(async () => {
  b = await bench('batch');
});
afterAll(() => b.cleanup());

/** 150 small files in 3 folders (three batches), one lying about its content, one whose source is gone. */
async function plan(): Promise<{ ops: CopyOp[]; liar: CopyOp; gone: CopyOp }> {
  const ops: CopyOp[] = [];
  for (let i = 0; i < 150; i++) ops.push(await b.source(`F${i % 3}/f${String(i).padStart(3, '0')}.bin`, randomBytes(100 + i)));
  const liar = ops[10];
  await fsp.writeFile(liar.source!, randomBytes(liar.size));
  const gone = ops[20];
  await fsp.rm(gone.source!);
  return { ops, liar, gone };
}

async function prepared(root: string, ops: CopyOp[]): Promise<PlacementRun> {
  const run = await openRun(root, ops);
  classify(run);
  makeRecords(run);
  run.resolveRoot();
  run.writePending();
  return run;
}

async function check(root: string, run: PlacementRun, ops: CopyOp[], liar: CopyOp, gone: CopyOp, later: CopyOp[]) {
  expect(later).toEqual([gone]);
  expect(run.res.errors).toMatchObject([{ target: liar.target, code: 'VerifyError' }]);
  expect(run.res.errors[0].message).toContain(liar.source);
  expect(run.res.copied).toBe(ops.length - 2);
  for (const op of ops) {
    if (op === liar || op === gone) await expect(fsp.stat(path.join(root, op.target))).rejects.toThrow();
    else expect(readFileSync(path.join(root, op.target)).equals(readFileSync(op.source!))).toBe(true);
  }
  expect((await allFiles(root)).filter((f) => path.basename(f).startsWith(TEMP_PREFIX))).toEqual([]);
  // Placed at the planned size: the pending list's record is the catalog's.
  expect(run.catalog.get(ops[0].target)).toBe(run.records[0]);
}

describe('copyBatches', () => {
  it('copies synchronously on the placing thread', async () => {
    const { root } = await b.device();
    const { ops, liar, gone } = await plan();
    const run = await prepared(root, ops);
    const later: CopyOp[] = [];
    await copyBatches(run, run.copies, undefined, later);
    await check(root, run, ops, liar, gone, later);
  });

  it('copies on a copy thread, with the same outcomes', async () => {
    const { root } = await b.device();
    const { ops, liar, gone } = await plan();
    const run = await prepared(root, ops);
    const later: CopyOp[] = [];
    const thread = new CopyThread(true);
    try {
      await copyBatches(run, run.copies, thread, later);
    } finally {
      await thread.close();
    }
    await check(root, run, ops, liar, gone, later);
  });
});
