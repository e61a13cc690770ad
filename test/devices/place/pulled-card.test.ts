// A card pulled mid-placement (fusefat answers every call on it with ENOTCONN/ECONNABORTED, the close of a temp file
// included): the run stops with DeviceIoError carrying the first error (so the node can say the device was probably
// detached), never a raw error from a cleanup, and no partial file is left under its final name or as a temp.
import fs, { promises as fsp } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it, vi } from 'vitest';
import { DeviceIoError, executePlan, PENDING_FILE, TEMP_PREFIX } from '../../../src/devices/index.js';
import { allFiles } from '../mounts-helper.js';
import { bench, type Bench } from './helper.js';

let b: Bench;
beforeAll(async () => {
  b = await bench('pulled');
});
afterAll(() => b.cleanup());
afterEach(() => {
  vi.restoreAllMocks();
  syncBuiltinESMExports();
});

const gone = (code: string, call: string) => Object.assign(new Error(`${code}: ${call}`), { code });

/**
 * From now on, every file opened under `root` whose name matches `which` is on a pulled card: its writes fail with
 * ECONNABORTED and its close with ENOTCONN (fs's default export is patched and re-exported to `node:fs`'s named
 * imports, which the copy code uses).
 */
function pullCard(root: string, which: (file: string) => boolean): void {
  const fds = new Set<number>();
  const { openSync, writeSync, closeSync } = fs;
  vi.spyOn(fs, 'openSync').mockImplementation(((file: fs.PathLike, ...rest: never[]) => {
    const f = String(file);
    if (f.startsWith(root) && which(f) && fds.size > 0) throw gone('ENOTCONN', `open ${f}`);
    const fd = (openSync as (...a: unknown[]) => number)(file, ...rest);
    if (f.startsWith(root) && which(f)) fds.add(fd);
    return fd;
  }) as typeof fs.openSync);
  vi.spyOn(fs, 'writeSync').mockImplementation(((fd: number, ...rest: never[]) => {
    if (fds.has(fd)) throw gone('ECONNABORTED', 'write');
    return (writeSync as (...a: unknown[]) => number)(fd, ...rest);
  }) as typeof fs.writeSync);
  vi.spyOn(fs, 'closeSync').mockImplementation((fd: number) => {
    if (fds.has(fd)) {
      (closeSync as (fd: number) => void)(fd); // the descriptor is freed all the same; the call reports the loss
      throw gone('ENOTCONN', 'close');
    }
    closeSync(fd);
  });
  syncBuiltinESMExports();
}

it('a batch copy whose write and then close fail: DeviceIoError with the write error, no file under its name or as a temp', async () => {
  const { root, claims } = await b.device();
  const ops = [await b.source('Books/a.epub', 'bytes of a'), await b.source('Books/b.epub', 'bytes of b')];
  pullCard(root, (f) => path.basename(f).startsWith(TEMP_PREFIX));
  const err = await executePlan(root, ops, { claims, user: 'alice' }).catch((e: unknown) => e);
  vi.restoreAllMocks();
  syncBuiltinESMExports();
  expect(err).toBeInstanceOf(DeviceIoError);
  expect((err as DeviceIoError).code).toBe('ECONNABORTED');
  expect((err as DeviceIoError).target).toBe('Books/a.epub');
  expect((err as DeviceIoError).result.copied).toBe(0);
  const left = (await allFiles(root)).filter((f) => !f.startsWith('.semsync/'));
  expect(left).toEqual([]); // neither Books/a.epub nor a temp name
});

it('a pending list that cannot be written (the card is gone): DeviceIoError naming it, nothing placed', async () => {
  const { root, claims } = await b.device();
  const op = await b.source('Books/c.epub', 'bytes of c');
  pullCard(root, (f) => f.includes('pending'));
  // The first open of the pending list's temp succeeds and its write fails; the card is then gone for it.
  const err = await executePlan(root, [op], { claims, user: 'alice' }).catch((e: unknown) => e);
  vi.restoreAllMocks();
  syncBuiltinESMExports();
  expect(err).toBeInstanceOf(DeviceIoError);
  expect((err as DeviceIoError).target).toBe(PENDING_FILE);
  expect((err as DeviceIoError).code).toBe('ECONNABORTED');
  await expect(fsp.stat(path.join(root, op.target))).rejects.toThrow();
});
