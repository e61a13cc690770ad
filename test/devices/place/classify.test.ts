// Classification stage: the plan sorted against the device and its catalog: new copies, what is already in place,
// removals of semsync's own unchanged files only, and refusals (unsafe names, a stranger's file, two copies to one name).
import { promises as fsp, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { executePlan, TEMP_PREFIX } from '../../../src/devices/index.js';
import { classify } from '../../../src/devices/place/classify.js';
import type { Operation } from '../../../src/rules/types.js';
import { bench, openRun, type Bench } from './helper.js';

let b: Bench;
beforeAll(async () => {
  b = await bench('classify');
});
afterAll(() => b.cleanup());

it('sorts copies by target and refuses what it must, touching nothing but a planned folder\'s temp files', async () => {
  const { root } = await b.device();
  const placed = await b.source('M/placed.txt', 'placed by semsync');
  const changed = await b.source('M/changed.txt', 'placed, then edited');
  await executePlan(root, [placed, changed]);
  writeFileSync(path.join(root, 'M/changed.txt'), 'placed, then edited by the person');
  writeFileSync(path.join(root, 'M/stranger.txt'), 'the person put this here');
  writeFileSync(path.join(root, 'M', `${TEMP_PREFIX}old`), 'an interrupted run left this');
  const z = await b.source('Z/z.txt', 'z');
  const a = await b.source('A/a.txt', 'a');
  const stranger = await b.source('M/stranger.txt', 'other bytes');
  const ops: Operation[] = [
    z, a, placed, stranger, { ...a, target: 'A/a.txt' }, { ...a, target: '../out.txt' },
    { kind: 'remove', target: 'M/changed.txt', reason: 'gone' }, { kind: 'remove', target: 'M/stranger.txt', reason: 'gone' },
    { kind: 'skip', content: a.content, reason: 'not for this device' }, { ...z, target: 'M/new.txt' },
  ];
  const run = await openRun(root, ops);
  classify(run);
  expect(run.copies.map((c) => c.target)).toEqual(['A/a.txt', 'M/new.txt', 'Z/z.txt']);
  expect(run.removes).toEqual([]);
  expect(run.res.errors.map((e) => `${e.code} ${e.target}`).sort()).toEqual(['EDUP A/a.txt', 'EEXIST M/stranger.txt', 'EUNSAFE ../out.txt']);
  expect(run.res.skips.map((s) => s.reason).sort()).toEqual([
    'already in place', 'changed on the device since semsync placed it, left alone', 'not for this device', 'not placed by semsync, left alone (gone)',
  ]);
  expect(run.res.tempRemoved).toBe(1);
  expect((await fsp.readdir(path.join(root, 'M'))).sort()).toEqual(['changed.txt', 'placed.txt', 'stranger.txt']);
});

it('removes from the catalog a placed file that is already gone, and plans the removal of an unchanged one', async () => {
  const { root } = await b.device();
  const gone = await b.source('G/gone.txt', 'gone');
  const kept = await b.source('G/kept.txt', 'kept');
  await executePlan(root, [gone, kept]);
  await fsp.rm(path.join(root, gone.target));
  const run = await openRun(root, [{ kind: 'remove', target: gone.target, reason: 'r' }, { kind: 'remove', target: kept.target, reason: 'source deleted' }]);
  classify(run);
  expect(run.catalog.has(gone.target)).toBe(false);
  expect(run.dirty).toBe(true);
  expect(run.removes.map((r) => r.path)).toEqual([kept.target]);
  expect(run.removeReasons.get(kept.target)).toBe('source deleted');
});

it('moves a file semsync placed to the trash before other content of the same size is copied onto its name, once', async () => {
  const { root } = await b.device();
  const first = await b.source('M/song.mp3', 'ID3 tag: old title');
  await executePlan(root, [first]);
  // The person retagged the device's copy in place (same size): the file on the device is no longer what semsync wrote.
  writeFileSync(path.join(root, first.target), 'ID3 tag: my  title');
  const next = { ...(await b.source('M/song.mp3', 'ID3 tag: new title')), target: first.target };
  const run = await openRun(root, [next]);
  classify(run);
  expect(run.removes.map((r) => r.path)).toEqual([first.target]);
  expect(run.copies).toEqual([next]);
  // A plan that also removes that name removes it once.
  const both = await openRun(root, [next, { kind: 'remove', target: first.target, reason: 'source deleted' }]);
  classify(both);
  expect(both.removes.map((r) => r.path)).toEqual([first.target]);
  const r = await executePlan(root, [next]);
  expect(r).toMatchObject({ copied: 1, removed: 1, errors: [] });
  expect(await fsp.readFile(path.join(root, first.target), 'utf8')).toBe('ID3 tag: new title');
  // The person's version is in the device's trash, not gone.
  expect(r.trashed.map((t) => t.path)).toEqual([first.target]);
  expect(await fsp.readFile(path.join(root, r.trashed[0].file), 'utf8')).toBe('ID3 tag: my  title');
});
