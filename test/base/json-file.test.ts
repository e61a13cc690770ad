// base/json-file: small JSON files read with a fallback and written atomically.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { JsonFileError, readJsonFile, writeJsonFile } from '../../src/base/json-file.js';

it('gives the fallback for a missing file, round-trips a value, and names a damaged file', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'json-file-'));
  const file = path.join(dir, 'sub', 'a.json');
  expect(await readJsonFile(file, { none: true })).toEqual({ none: true });
  await writeJsonFile(file, { a: [1, 2] }, { indent: 2 });
  expect(fs.readFileSync(file, 'utf8')).toBe('{\n  "a": [\n    1,\n    2\n  ]\n}\n');
  expect(await readJsonFile(file, {})).toEqual({ a: [1, 2] });
  fs.writeFileSync(file, '{"a": [1,');
  await expect(readJsonFile(file, {})).rejects.toThrow(JsonFileError);
  await expect(readJsonFile(file, {})).rejects.toThrow(`${file}: not JSON`);
  class Mine extends Error {}
  await expect(readJsonFile(file, {}, Mine)).rejects.toThrow(Mine);
  fs.rmSync(dir, { recursive: true, force: true });
});
