// Copy strategy "file": one file at a time (large local files, fetched sources, streams): atomic, checked against the
// content's hash, a missing source or lying stream a per-file error.
import { randomBytes } from 'node:crypto';
import { promises as fsp, readFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { TEMP_PREFIX } from '../../../src/devices/index.js';
import { classify } from '../../../src/devices/place/classify.js';
import { copyEach } from '../../../src/devices/place/copy-file.js';
import { makeRecords } from '../../../src/devices/place/space.js';
import { allFiles } from '../mounts-helper.js';
import { bench, openRun, type Bench } from './helper.js';

let b: Bench;
beforeAll(async () => {
  b = await bench('file');
});
afterAll(() => b.cleanup());

it('copies a large local file, a streamed source and a fetched path; refuses a lying stream and a missing source', async () => {
  const { root } = await b.device('32m');
  const large = await b.source('L/large.bin', randomBytes(5 << 20));
  const streamed = { ...(await b.source('S/streamed.bin', randomBytes(3000))) };
  const streamBytes = readFileSync(streamed.source!);
  streamed.source = undefined;
  const fetched = await b.source('S/fetched.bin', randomBytes(2000));
  const fetchedPath = fetched.source!;
  fetched.source = path.join(b.base, 'not-here');
  const liar = { ...(await b.source('S/liar.bin', randomBytes(100))), source: undefined };
  const none = { ...(await b.source('S/none.bin', 'x')), source: undefined };
  const ops = [large, streamed, fetched, liar, none];
  const run = await openRun(root, ops, {
    readSource: (content) => {
      if (content === streamed.content) return Readable.from([streamBytes.subarray(0, 1000), streamBytes.subarray(1000)]);
      if (content === fetched.content) return fetchedPath;
      if (content === liar.content) return Buffer.alloc(100, 7);
      return undefined;
    },
  });
  classify(run);
  makeRecords(run);
  run.resolveRoot();
  await copyEach(run, run.copies);
  expect(run.res.copied).toBe(3);
  expect(readFileSync(path.join(root, large.target)).equals(readFileSync(large.source!))).toBe(true);
  expect(readFileSync(path.join(root, streamed.target)).equals(streamBytes)).toBe(true);
  expect(readFileSync(path.join(root, fetched.target)).equals(readFileSync(fetchedPath))).toBe(true);
  expect(run.res.errors.map((e) => `${e.code} ${e.target}`).sort()).toEqual(['ENOSOURCE S/none.bin', 'VerifyError S/liar.bin']);
  await expect(fsp.stat(path.join(root, liar.target))).rejects.toThrow();
  expect((await allFiles(root)).filter((f) => path.basename(f).startsWith(TEMP_PREFIX))).toEqual([]);
  // Placed one by one: each gets its own record, at the planned size.
  expect(run.catalog.get(large.target)).toMatchObject({ content: large.content, size: large.size });
});
