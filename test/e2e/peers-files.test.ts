// E2E: a file fetched by content hash between real processes: granted only, chunked, verified, resumed.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, Lab } from './fixtures/peer-harness.js';

const lab = new Lab();
afterAll(() => lab.cleanup());

describe('files by content hash', () => {
  it('serves granted content only, verifies it, and resumes after the server dies mid-transfer', async () => {
    const [pa, pb, pc] = [await freePort(), await freePort(), await freePort()];
    const aHome = await lab.home();
    const aListen = `/ip4/127.0.0.1/tcp/${pa}`;
    let a = await lab.start(aHome, { listen: aListen, serveDelayMs: 40 });
    const b = await lab.start(await lab.home(), { listen: `/ip4/127.0.0.1/tcp/${pb}` });
    const c = await lab.start(await lab.home(), { listen: `/ip4/127.0.0.1/tcp/${pc}` });
    const aAddr = `${aListen}/p2p/${a.peerId}`;

    const shared = path.join(aHome, 'shared');
    await mkdir(shared, { recursive: true });
    const bytes = randomBytes(6 * 1024 * 1024 + 123);
    const hash = createHash('sha256').update(bytes).digest('hex');
    await writeFile(path.join(shared, 'book.epub'), bytes);
    const secret = randomBytes(1000);
    await writeFile(path.join(shared, 'secret.bin'), secret);
    expect(await a.cmd('describeFile', { share: 'Books', path: path.join(shared, 'book.epub') })).toBe(hash);
    const secretHash = await a.cmd<string>('describeFile', { share: 'Private', path: path.join(shared, 'secret.bin') });

    await a.cmd('pair', { peer: b.peerId, addr: `/ip4/127.0.0.1/tcp/${pb}/p2p/${b.peerId}` });
    await a.cmd('grant', { share: 'Books', peer: b.peerId });
    await b.cmd('pair', { peer: a.peerId, addr: aAddr });
    await c.cmd('pair', { peer: a.peerId, addr: aAddr });

    // C is not paired by A: zero bytes, even knowing the hash. B may not have the ungranted share's file.
    const outC = path.join(c.home, 'got.epub');
    await expect(c.cmd('fetch', { hash: `urn:sha256:${hash}`, out: outC, peers: [a.peerId] })).rejects.toThrow(/not-paired/);
    await expect(stat(outC + '.semsync-part').then((s) => s.size)).resolves.toBe(0);
    const outS = path.join(b.home, 'secret.bin');
    await expect(b.cmd('fetch', { hash: secretHash, out: outS, peers: [a.peerId] })).rejects.toThrow(/not-found/);

    // B fetches; A is killed midway; the part file stays; A comes back; B resumes and verifies.
    const out = path.join(b.home, 'fetched', 'book.epub');
    const first = b.cmd('fetch', { hash: `urn:sha256:${hash}`, out, peers: [a.peerId] }, 60_000).then(
      () => 'finished',
      (e: Error) => e.message,
    );
    await b.until(async () => ((await stat(out + '.semsync-part').catch(() => undefined))?.size ?? 0) > 1024 * 1024, 30_000, 'partial data');
    a.kill();
    await a.exited;
    expect(await first).toMatch(/interrupted|could not fetch/);
    const partial = (await stat(out + '.semsync-part')).size;
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(bytes.length);
    await expect(stat(out)).rejects.toThrow();

    a = await lab.start(aHome, { listen: aListen });
    const res = await b.cmd<{ peerId: string; bytes: number }>('fetch', { hash, out, peers: [a.peerId] }, 60_000);
    expect(res.peerId).toBe(a.peerId);
    expect(res.bytes).toBe(bytes.length - partial);
    expect(createHash('sha256').update(await readFile(out)).digest('hex')).toBe(hash);
    await expect(stat(out + '.semsync-part')).rejects.toThrow();
  });
});
