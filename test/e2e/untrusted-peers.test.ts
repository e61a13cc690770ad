// E2E, real processes: a revoked, an unpaired and an impersonating peer (another key on a known peer's address and name) get zero bytes of graph or file data, even knowing a content hash.
import { randomBytes } from 'node:crypto';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, Lab } from './fixtures/peer-harness.js';

const lab = new Lab();
afterAll(() => lab.cleanup());
const partSize = (f: string) => stat(f + '.semsync-part').then((s) => s.size, () => 0);
const exists = (f: string) => stat(f).then(() => true, () => false);

describe('untrusted peers get nothing', () => {
  it('revoked, then unpaired, then impersonated: no graph and no file bytes', async () => {
    const [pa, pb] = [await freePort(), await freePort()];
    const aListen = `/ip4/127.0.0.1/tcp/${pa}`;
    const bListen = `/ip4/127.0.0.1/tcp/${pb}`;
    const a = await lab.start(await lab.home(), { listen: aListen });
    const b = await lab.start(await lab.home(), { listen: bListen });
    const aAddr = `${aListen}/p2p/${a.peerId}`;
    const shared = path.join(a.home, 'shared');
    await mkdir(shared, { recursive: true });
    await writeFile(path.join(shared, 'book.epub'), randomBytes(300_000));
    const hash = await a.cmd<string>('describeFile', { share: 'Books', path: path.join(shared, 'book.epub') });
    const prefix = await a.cmd<string>('graph', { source: 'share/' });
    await a.cmd('pair', { peer: b.peerId, addr: `${bListen}/p2p/${b.peerId}`, name: 'laptop' });
    await a.cmd('grant', { share: 'Books', peer: b.peerId });
    await b.cmd('pair', { peer: a.peerId, addr: aAddr });
    await b.until(async () => (await b.cmd<string[]>('dump', { prefix })).length > 0, 30_000, 'B to receive the Books graph');
    const ok = path.join(b.home, 'ok.epub');
    await b.cmd('fetch', { hash, out: ok, peers: [a.peerId] }, 30_000); // the hash is fetchable while granted

    // Revoked: asks by hash, gets nothing; its copy of the graph is dropped.
    await a.cmd('revoke', { share: 'Books', peer: b.peerId });
    const out1 = path.join(b.home, 'revoked.epub');
    await expect(b.cmd('fetch', { hash, out: out1, peers: [a.peerId] }, 30_000)).rejects.toThrow(/not-found|denied|not-paired|could not fetch/);
    expect(await partSize(out1)).toBe(0);
    expect(await exists(out1)).toBe(false);
    await b.until(async () => (await b.cmd<string[]>('dump', { prefix })).length === 0, 30_000, 'B to drop the revoked graph');

    // Unpaired: zero bytes, even knowing the hash.
    await a.cmd('unpair', { peer: b.peerId });
    const out2 = path.join(b.home, 'unpaired.epub');
    await expect(b.cmd('fetch', { hash, out: out2, peers: [a.peerId] }, 30_000)).rejects.toThrow(/not-paired|could not fetch|denied/);
    expect(await partSize(out2)).toBe(0);
    expect(await exists(out2)).toBe(false);

    // Impersonation: A trusts "laptop" (B's id) at B's address again; B goes away and another key takes its address and name.
    await a.cmd('pair', { peer: b.peerId, addr: `${bListen}/p2p/${b.peerId}`, name: 'laptop' });
    await a.cmd('grant', { share: 'Books', peer: b.peerId });
    await b.stop();
    const c = await lab.start(await lab.home(), { listen: bListen });
    expect(c.peerId).not.toBe(b.peerId);
    await c.cmd('pair', { peer: a.peerId, addr: aAddr, name: 'laptop' });
    const out3 = path.join(c.home, 'stolen.epub');
    await expect(c.cmd('fetch', { hash, out: out3, peers: [a.peerId] }, 30_000)).rejects.toThrow(/not-paired|could not fetch|denied/);
    expect(await partSize(out3)).toBe(0);
    expect(await exists(out3)).toBe(false);
    await new Promise((r) => setTimeout(r, 4000)); // A redials "laptop" at its address: Noise finds C's key, not B's
    expect(await c.cmd<string[]>('dump', { prefix })).toEqual([]);
    const peersOfA = await a.cmd<{ paired: Array<{ peerId: string; connected?: boolean }> }>('peers');
    expect(peersOfA.paired.map((p) => p.peerId)).not.toContain(c.peerId);

  }, 180_000);
});
