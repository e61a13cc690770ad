// `semsync dav serve add|list|passwd|remove` through the real CLI: passwords shown once and stored hashed, usage errors exit 2.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';

describe('semsync dav serve', () => {
  let home: string;
  beforeAll(async () => {
    home = await mkdtemp(path.join(os.tmpdir(), 'semsync-davserve-cli-'));
  });
  afterAll(async () => {
    if (home) await rm(home, { recursive: true, force: true });
  });

  it('adds an account with a generated password shown once, lists it, renews and removes it', async () => {
    const add = await cli(home, ['dav', 'serve', 'add', 'phone']);
    expect(add.code).toBe(0);
    const password = /^password: (\S+)$/m.exec(add.stdout)![1];
    expect(password).toMatch(/^[a-z2-9]{5}(-[a-z2-9]{5}){3}$/);
    expect(add.stdout).toContain('/dav/phone/');
    const file = await readFile(path.join(home, 'dav-server', 'accounts.json'), 'utf8');
    expect(file).not.toContain(password);
    const list = await cli(home, ['dav', 'serve', 'list']);
    expect(list.stdout).toMatch(/^phone\s+personal\s+\S+\s+never/m);
    expect(list.stdout).not.toContain(password);
    const renewed = await cli(home, ['dav', 'serve', 'passwd', 'phone']);
    expect(renewed.code).toBe(0);
    expect(/^password: (\S+)$/m.exec(renewed.stdout)![1]).not.toBe(password);
    expect((await cli(home, ['dav', 'serve', 'remove', 'phone'])).code).toBe(0);
    expect((await cli(home, ['dav', 'serve', 'list', '--json'])).stdout.trim()).toBe('[]');
  });

  it('takes a policy file, and exits 2 naming what is wrong', async () => {
    const policy = path.join(home, 'policy.json');
    await writeFile(policy, JSON.stringify({ exclude: { eventClasses: ['PRIVATE'] } }));
    const ok = await cli(home, ['dav', 'serve', 'add', 'tablet', '--policy', policy, '--json']);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout).policy).toEqual({ exclude: { eventClasses: ['PRIVATE'] } });
    const dup = await cli(home, ['dav', 'serve', 'add', 'tablet']);
    expect([dup.code, dup.stderr]).toEqual([2, expect.stringContaining('exists already')]);
    const badName = await cli(home, ['dav', 'serve', 'add', '../evil']);
    expect([badName.code, badName.stderr]).toEqual([2, expect.stringContaining('account name')]);
    const badPolicy = await cli(home, ['dav', 'serve', 'add', 'x', '--policy', path.join(home, 'nope.json')]);
    expect([badPolicy.code, badPolicy.stderr]).toEqual([2, expect.stringContaining('--policy')]);
    await writeFile(policy, JSON.stringify({ exclude: { colours: ['red'] } }));
    const unknownKey = await cli(home, ['dav', 'serve', 'add', 'y', '--policy', policy]);
    expect([unknownKey.code, unknownKey.stderr]).toEqual([2, expect.stringContaining('colours')]);
    const gone = await cli(home, ['dav', 'serve', 'remove', 'nobody']);
    expect([gone.code, gone.stderr]).toEqual([2, expect.stringContaining('no served account')]);
  });
});
