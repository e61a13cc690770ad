// Copy strategy "tree": copies into folders the device lacks are written into a tree in the staging folder and each
// new top folder is renamed into place once; copies into existing folders are left to the other strategies; a tree
// whose top folder appeared meanwhile is copied one by one (never renamed over the person's folder).
import { randomBytes } from 'node:crypto';
import { promises as fsp, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { STAGING_DIR, TEMP_PREFIX } from '../../../src/devices/index.js';
import { CopyThread } from '../../../src/devices/copy-thread.js';
import { classify } from '../../../src/devices/place/classify.js';
import { copyEach } from '../../../src/devices/place/copy-file.js';
import { copyTrees } from '../../../src/devices/place/copy-tree.js';
import type { PlacementRun } from '../../../src/devices/place/run.js';
import { makeRecords } from '../../../src/devices/place/space.js';
import type { CopyOp, ExecuteOptions } from '../../../src/devices/place/types.js';
import { allFiles } from '../mounts-helper.js';
import { bench, openRun, type Bench } from './helper.js';

let b: Bench;
beforeAll(async () => {
  b = await bench('tree');
});
afterAll(() => b.cleanup());

async function prepared(root: string, ops: CopyOp[], opts: ExecuteOptions = {}): Promise<PlacementRun> {
  const run = await openRun(root, ops, opts);
  classify(run);
  makeRecords(run);
  run.resolveRoot();
  run.writePending();
  return run;
}

const same = (root: string, op: CopyOp) => readFileSync(path.join(root, op.target)).equals(readFileSync(op.source!));
const staged = async (root: string) => (await allFiles(root)).filter((f) => f.startsWith(`${STAGING_DIR}/`) || path.basename(f).startsWith(TEMP_PREFIX));

it('writes copies into new folders as trees renamed into place, leaves the others, reports a lying source', async () => {
  const { root } = await b.device();
  await fsp.mkdir(path.join(root, 'Old'));
  const ops: CopyOp[] = [];
  for (let i = 0; i < 120; i++) ops.push(await b.source(`New/A${i % 3}/f${String(i).padStart(3, '0')}.bin`, randomBytes(50 + i)));
  for (let i = 0; i < 30; i++) ops.push(await b.source(`Other/f${i}.bin`, randomBytes(20 + i)));
  const old = [await b.source('Old/x.bin', 'into an existing folder'), await b.source('top.bin', 'into the root')];
  const liar = ops[7];
  await fsp.writeFile(liar.source!, randomBytes(liar.size));
  const gone = ops[125];
  await fsp.rm(gone.source!);
  const all = [...ops, ...old].sort((x, y) => (x.target < y.target ? -1 : 1));
  const run = await prepared(root, all);
  const thread = new CopyThread(false);
  const later: CopyOp[] = [];
  try {
    const rest = await copyTrees(run, run.copies, thread, later);
    expect(rest.map((o) => o.target).sort()).toEqual(['Old/x.bin', 'top.bin']);
  } finally {
    await thread.close();
  }
  expect(later).toEqual([gone]); // its source could not be opened: copied one by one, which says why
  expect(run.res.errors).toMatchObject([{ target: liar.target, code: 'VerifyError' }]);
  expect(run.res.copied).toBe(ops.length - 2);
  for (const op of ops) {
    if (op === liar || op === gone) await expect(fsp.stat(path.join(root, op.target))).rejects.toThrow();
    else expect(same(root, op)).toBe(true);
  }
  expect(await staged(root)).toEqual([]);
  expect(run.catalog.get(ops[0].target)).toBe(run.records[run.copies.indexOf(ops[0])]); // the pending list's record
});

it('copies a tree one by one when its top folder appeared before the rename, leaving the person\'s file alone', async () => {
  const { root } = await b.device();
  const ops: CopyOp[] = [];
  for (let i = 0; i < 40; i++) ops.push(await b.source(`Music/B${i % 2}/t${String(i).padStart(2, '0')}.bin`, randomBytes(30 + i)));
  let made = false;
  // Asked for each copy while its batch is built (before the copy thread writes it): the person makes the folder now.
  const scanned = () => {
    if (!made) {
      made = true;
      mkdirSync(path.join(root, 'Music', 'B0'), { recursive: true });
      writeFileSync(path.join(root, 'Music', 'B0', 'mine.txt'), 'the person\'s file');
    }
    return undefined;
  };
  const run = await prepared(root, ops, { scanned });
  const thread = new CopyThread(false);
  const later: CopyOp[] = [];
  try {
    expect(await copyTrees(run, run.copies, thread, later)).toEqual([]);
  } finally {
    await thread.close();
  }
  expect(run.res.copied).toBe(0);
  expect(later.length).toBe(ops.length);
  expect(await staged(root)).toEqual([]);
  await copyEach(run, later);
  expect(run.res.copied).toBe(ops.length);
  for (const op of ops) expect(same(root, op)).toBe(true);
  expect(readFileSync(path.join(root, 'Music', 'B0', 'mine.txt'), 'utf8')).toBe('the person\'s file');
});
