// makeTargetFolder: a target's folder is made under the nearest existing folder, and a path that cannot be one
// gets a TargetFolderError naming the part that is wrong (never a hang, never a raw EEXIST/ENOTDIR); the CLI exits 2.
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeTargetFolder, TargetFolderError } from '../../src/app/target-folder.js';
import { cli } from '../helpers/cli.js';

const tmp = () => mkdtempSync(path.join(tmpdir(), 'semsync-target-'));

describe('makeTargetFolder', () => {
  it('makes a missing folder and its parents', async () => {
    const dir = path.join(tmp(), 'a', 'b', 'c');
    await makeTargetFolder(dir);
    expect(statSync(dir).isDirectory()).toBe(true);
    await makeTargetFolder(dir); // an existing folder is fine
  });

  it('refuses a file, and a path below a file, naming the file', async () => {
    const file = path.join(tmp(), 'notes.txt');
    writeFileSync(file, 'x');
    await expect(makeTargetFolder(file)).rejects.toThrow(new TargetFolderError(`${file} is a file, not a folder; give a folder (or a new folder's path) as the target`));
    await expect(makeTargetFolder(path.join(file, 'sub'))).rejects.toThrow(/notes\.txt is a file, so .*notes\.txt\/sub cannot be made below it/);
  });

  it('refuses a path under /proc at once (Node\'s recursive mkdir never returns there)', async () => {
    await expect(makeTargetFolder('/proc/nope')).rejects.toThrow(/kernel's view of the system/);
  });
});

describe('semsync target add', () => {
  it('exits 2 with a clear message for /proc/nope, a file and a path under a file', async () => {
    const home = tmp();
    const file = path.join(tmp(), 'f');
    writeFileSync(file, 'x');
    for (const [arg, re] of [
      ['/proc/nope', /\/proc\/nope is inside \/proc/],
      [file, /is a file, not a folder/],
      [path.join(file, 'x'), /is a file, so/],
    ] as const) {
      const r = await cli(home, ['target', 'add', arg], { timeoutMs: 30_000 });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(re);
      expect(r.stderr).not.toMatch(/EEXIST|ENOTDIR/);
    }
  });
});
