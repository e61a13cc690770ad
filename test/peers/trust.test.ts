// Trust file and identity: persistence, atomic 0600 writes, pair/grant/revoke, waiting state.
import { mkdtemp, rm, stat, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadOrCreateIdentity } from '../../src/peers/identity.js';
import { TrustStore, TrustError } from '../../src/peers/trust.js';

const dirs: string[] = [];
async function tmp(): Promise<string> {
  const d = await mkdtemp(path.join(os.tmpdir(), 'semsync-trust-'));
  dirs.push(d);
  return d;
}
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('identity', () => {
  it('creates an Ed25519 key once, 0600, and loads the same peer id again', async () => {
    const d = await tmp();
    const file = path.join(d, 'identity.key');
    const a = await loadOrCreateIdentity(file);
    const b = await loadOrCreateIdentity(file);
    expect(a.peerId).toMatch(/^12D3KooW/);
    expect(b.peerId).toBe(a.peerId);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });
  it('refuses a file that is not a key', async () => {
    const d = await tmp();
    const file = path.join(d, 'identity.key');
    await import('node:fs/promises').then((fs) => fs.writeFile(file, 'garbage'));
    await expect(loadOrCreateIdentity(file)).rejects.toThrow(/not a libp2p private key/);
  });
});

describe('trust', () => {
  it('pairs, grants, revokes, unpairs, and persists', async () => {
    const d = await tmp();
    const file = path.join(d, 'trust.json');
    const a = (await loadOrCreateIdentity(path.join(d, 'a.key'))).peerId;
    const t = await TrustStore.open(file);
    await t.pair(a, { name: 'tablet', addrs: ['/ip4/127.0.0.1/tcp/4001'] });
    expect(t.state(a)).toBe('waiting');
    await t.grant('Books', a);
    await t.grant('Music', a);
    expect(t.grantsFor(a)).toEqual(['Books', 'Music']);
    await t.setRemote(a, 'accepted');
    const again = await TrustStore.open(file);
    expect(again.state(a)).toBe('paired');
    expect(again.peer(a)).toMatchObject({ name: 'tablet', addrs: ['/ip4/127.0.0.1/tcp/4001'] });
    await again.revoke('Music', a);
    expect(again.grantsFor(a)).toEqual(['Books']);
    expect(await t.reload()).toBe(true);
    expect(t.grantsFor(a)).toEqual(['Books']);
    await t.unpair(a);
    expect(t.isPaired(a)).toBe(false);
    expect(t.grantsFor(a)).toEqual([]);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(file, 'utf8')).version).toBe(1);
  });
  it('rejects bad peer ids and share names', async () => {
    const t = await TrustStore.open(path.join(await tmp(), 'trust.json'));
    await expect(t.pair('nope')).rejects.toThrow(TrustError);
    await expect(t.grant('a/b', '12D3KooWGzxzKZYveHXtpG6AsrUJBcWxHBFS2HsEoGTxrMLvKXtf')).rejects.toThrow(TrustError);
  });
  it('serialises concurrent writers', async () => {
    const d = await tmp();
    const file = path.join(d, 'trust.json');
    const ids = await Promise.all([1, 2, 3, 4, 5].map(async (i) => (await loadOrCreateIdentity(path.join(d, `${i}.key`))).peerId));
    const stores = await Promise.all(ids.map(() => TrustStore.open(file)));
    await Promise.all(ids.map((id, i) => stores[i].pair(id)));
    const t = await TrustStore.open(file);
    expect(t.peers().map((p) => p.id).sort()).toEqual([...ids].sort());
  });
});
