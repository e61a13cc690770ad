// "Why is this file here" (src/devices/catalog/explain.ts): the catalog record of a file on the device, found by a
// relative or absolute path inside the device only.
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { explainPath } from '../../../src/devices/catalog/explain.js';
import { writeCatalog } from '../../../src/devices/catalog/file.js';
import { awkward } from './records-helper.js';

let base: string;
let root: string;
beforeAll(async () => {
  base = await fsp.mkdtemp(path.join(os.tmpdir(), 'semsync-catalog-explain-'));
  root = path.join(base, 'dev');
  await fsp.mkdir(root);
  await writeCatalog(root, 'dev-1', [...awkward, { ...awkward[0], path: '../escape.mp3' }]);
});
afterAll(async () => {
  await fsp.rm(base, { recursive: true, force: true });
});

describe('explainPath', () => {
  it('gives the record and the device of a file, by a relative or an absolute path, in any letter case', async () => {
    const want = { ...awkward[0], device: 'https://w3id.org/semsync/id/device/dev-1' };
    expect(await explainPath(root, awkward[0].path)).toEqual(want);
    expect(await explainPath(root, path.join(root, awkward[0].path))).toEqual(want);
    expect(await explainPath(root, awkward[0].path.toUpperCase())).toEqual(want);
    expect(await explainPath(root, 'eBooks/SciFi/Ñandú – 🚀 ; x .epub'.normalize('NFD'))).toMatchObject({ path: awkward[1].path });
  });

  it('explains nothing outside the device, nothing the person removed, nothing unknown', async () => {
    expect(await explainPath(root, '../escape.mp3')).toBeUndefined();
    expect(await explainPath(path.join(root, 'Music'), '../escape.mp3')).toBeUndefined();
    expect(await explainPath(root, awkward[3].path)).toBeUndefined(); // removedAt
    expect(await explainPath(root, 'not/there.mp3')).toBeUndefined();
    expect(await explainPath(base, 'anything')).toBeUndefined(); // no catalog
  });
});
