import { mkdtemp, mkdir, writeFile, symlink, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { walkShare, type WalkProblem } from '../../src/library/walk.js';
import { hashFile } from '../../src/library/hash.js';
import { createHash } from 'node:crypto';

let dir: string;
let outside: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'semsync-walk-'));
  outside = await mkdtemp(path.join(os.tmpdir(), 'semsync-outside-'));
  await writeFile(path.join(outside, 'secret.txt'), 'not yours');
  await mkdir(path.join(dir, 'a', 'b'), { recursive: true });
  await writeFile(path.join(dir, 'a', 'b', 'deep.txt'), 'deep');
  await writeFile(path.join(dir, 'top.txt'), 'top');
  await writeFile(path.join(dir, 'Zoë.txt'.normalize('NFD')), 'nfd name');
  await mkdir(path.join(dir, '.semsync'));
  await writeFile(path.join(dir, '.semsync', 'catalog.nq'), '');
  await writeFile(path.join(dir, 'x.semsync-part'), 'partial');
  await symlink(outside, path.join(dir, 'out-dir'));
  await symlink(path.join(outside, 'secret.txt'), path.join(dir, 'out-file'));
  await symlink(path.join(dir, 'a'), path.join(dir, 'a', 'b', 'loop'));
  await symlink(path.join(dir, 'top.txt'), path.join(dir, 'inside-link.txt'));
  await symlink(path.join(dir, 'missing'), path.join(dir, 'broken'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await rm(outside, { recursive: true, force: true });
});

describe('walkShare', () => {
  it('yields every file once, in NFC, never following links out of the share', async () => {
    const problems: WalkProblem[] = [];
    const seen: string[] = [];
    for await (const e of walkShare(dir, (p) => problems.push(p))) seen.push(e.relPath);
    expect(seen.sort()).toEqual(['Zoë.txt'.normalize('NFC'), 'a/b/deep.txt', 'inside-link.txt', 'top.txt'].sort());
    const messages = problems.map((p) => `${path.basename(p.path)}: ${p.message}`).join('\n');
    expect(messages).toMatch(/out-dir: link points outside the share/);
    expect(messages).toMatch(/out-file: link points outside the share/);
    expect(messages).toMatch(/loop: link to a folder inside the share/);
    expect(messages).toMatch(/broken: broken link/);
  });
});

describe('hashFile', () => {
  it('gives the SHA-256 of the bytes and the head', async () => {
    const big = Buffer.alloc(3 * 1024 * 1024 + 17, 7);
    const file = path.join(dir, 'big.bin');
    await writeFile(file, big);
    const r = await hashFile(file);
    expect(r.sha256).toBe(createHash('sha256').update(big).digest('hex'));
    expect(r.size).toBe(big.length);
    expect(r.head.length).toBe(4100);
    await rm(file);
  });
});
