// The CalDAV/CardDAV accounts over a bare store: the running schedule syncs an account as soon as it is added (no
// once-a-second tick to wait for), records the result, and stops.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { GraphStore } from '../../src/graph/store.js';
import { DavAccounts } from '../../src/app/pim-dav.js';
import { PimError } from '../../src/app/pim-files.js';

let dir: string;
let store: GraphStore;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'semsync-davaccounts-'));
  store = await GraphStore.open({ dir: path.join(dir, 'store'), nodeId: 'node-a' });
});
afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

it('syncs a newly added account at once in a running node, logs its failure and records it', async () => {
  let changes = 0;
  const dav = new DavAccounts({ store, dir: path.join(dir, 'pim'), afterChange: async () => void changes++ });
  const lines: string[] = [];
  dav.start((line) => lines.push(line));
  try {
    // port 9 on loopback: nothing listens, so the sync fails (and says so)
    await dav.add('http://127.0.0.1:9/dav/', { name: 'down' }, dir);
    await expect.poll(async () => (await dav.status())[0]?.lastSync, { timeout: 15_000 }).toBeDefined();
    const [st] = await dav.status();
    expect(st).toMatchObject({ name: 'down', ok: false, result: 'failed', policy: 'personal' });
    expect(lines.some((l) => l.startsWith('dav down:'))).toBe(true);
    expect(changes).toBe(0);
  } finally {
    await dav.stop();
  }
});

it('refuses a second account for the same server folder and an unknown name', async () => {
  const dav = new DavAccounts({ store, dir: path.join(dir, 'pim'), afterChange: async () => {} });
  await dav.add('http://127.0.0.1:9/dav/', { name: 'one' }, dir);
  await expect(dav.add('http://127.0.0.1:9/dav/cal/', { name: 'two' }, dir)).rejects.toThrow(/overlaps the account "one"/);
  await expect(dav.sync('nope')).rejects.toThrow(PimError);
  expect((await dav.remove('one')).name).toBe('one');
  expect(await dav.accounts()).toEqual([]);
});

it('refuses a password written into the URL (it would be stored and listed in plain text) and says how to give it', async () => {
  const dav = new DavAccounts({ store, dir: path.join(dir, 'pim'), afterChange: async () => {} });
  const err = await dav.add('https://ivan:s3cret@dav.example.com/ivan/', {}, dir).catch((e: Error) => e);
  expect(err).toBeInstanceOf(PimError);
  expect((err as Error).message).not.toContain('s3cret');
  expect((err as Error).message).toContain('semsync dav add https://dav.example.com/ivan/ --user NAME --password-file FILE');
  expect(await dav.accounts()).toEqual([]);
});
