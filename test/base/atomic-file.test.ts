// base/atomic-file: the one atomic writer.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { isAtomicTemp, tempNameFor, writeFileAtomic, writeFileAtomicSync } from '../../src/base/atomic-file.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atomic-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

it('writes a new file whole, private by default, making its folder', async () => {
  const file = path.join(dir, 'a', 'b', 'x.json');
  await writeFileAtomic(file, '{"a":1}\n');
  expect(fs.readFileSync(file, 'utf8')).toBe('{"a":1}\n');
  expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  expect(fs.readdirSync(path.dirname(file))).toEqual(['x.json']);
});

it('replaces an existing file and honours the mode asked for', async () => {
  const file = path.join(dir, 'x');
  fs.writeFileSync(file, 'old');
  await writeFileAtomic(file, Buffer.from('new'), { mode: 0o644 });
  expect(fs.readFileSync(file, 'utf8')).toBe('new');
  expect(fs.statSync(file).mode & 0o777).toBe(0o644);
});

it('writes chunks from a generator and an async generator', async () => {
  const file = path.join(dir, 'chunks');
  await writeFileAtomic(file, (function* () { yield 'a'; yield Buffer.from('b'); })());
  expect(fs.readFileSync(file, 'utf8')).toBe('ab');
  await writeFileAtomic(file, (async function* () { yield 'c'; yield 'd'; })());
  expect(fs.readFileSync(file, 'utf8')).toBe('cd');
});

it('leaves the old file and no temp when the data source fails', async () => {
  const file = path.join(dir, 'x');
  fs.writeFileSync(file, 'old');
  const failing = (function* () { yield 'partial'; throw new Error('source broke'); })();
  await expect(writeFileAtomic(file, failing)).rejects.toThrow('source broke');
  expect(fs.readFileSync(file, 'utf8')).toBe('old');
  expect(fs.readdirSync(dir)).toEqual(['x']);
});

it('never writes through a symbolic link planted at the temp name or the target', async () => {
  const outside = path.join(dir, 'outside');
  fs.writeFileSync(outside, 'precious');
  const file = path.join(dir, 'target');
  fs.symlinkSync(outside, file);
  await writeFileAtomic(file, 'replaced');
  expect(fs.readFileSync(outside, 'utf8')).toBe('precious');
  expect(fs.lstatSync(file).isSymbolicLink()).toBe(false);
  expect(fs.readFileSync(file, 'utf8')).toBe('replaced');
});

it('has a sync form with the same result', () => {
  const file = path.join(dir, 'sync', 'x');
  writeFileAtomicSync(file, 'one');
  writeFileAtomicSync(file, 'two', { mode: 0o640 });
  expect(fs.readFileSync(file, 'utf8')).toBe('two');
  expect(fs.statSync(file).mode & 0o777).toBe(0o640);
  expect(fs.readdirSync(path.dirname(file))).toEqual(['x']);
});

it('names temps so a sweep can tell them from real files', () => {
  const t = path.basename(tempNameFor(path.join(dir, 'catalog.trig')));
  expect(isAtomicTemp(t)).toBe(true);
  expect(isAtomicTemp('catalog.trig')).toBe(false);
  expect(isAtomicTemp('.hidden')).toBe(false);
});
