// E2E: real peer nodes in separate processes on 127.0.0.1: pairing, one-sided pairing, grants, restart.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bookQuads, freePort, Lab, type Peer } from './fixtures/peer-harness.js';

const lab = new Lab();
afterAll(() => lab.cleanup());

async function graphs(p: Peer, node: Peer, share: string): Promise<string> {
  return p.cmd<string>('graph', { node: node.peerId, source: 'share/' + share });
}
async function dumpOf(p: Peer, g: string): Promise<string[]> {
  return p.cmd<string[]>('dump', { prefix: g });
}

describe('peers over real processes', () => {
  let a: Peer;
  let b: Peer;
  let aAddr: string;
  let bAddr: string;
  let bHome: string;
  let bListen: string;

  beforeAll(async () => {
    const [pa, pb] = [await freePort(), await freePort()];
    bListen = `/ip4/127.0.0.1/tcp/${pb}`;
    bHome = await lab.home();
    [a, b] = await Promise.all([lab.start(await lab.home(), { listen: `/ip4/127.0.0.1/tcp/${pa}` }), lab.start(bHome, { listen: bListen })]);
    aAddr = `/ip4/127.0.0.1/tcp/${pa}/p2p/${a.peerId}`;
    bAddr = `/ip4/127.0.0.1/tcp/${pb}/p2p/${b.peerId}`;
  });

  it('one-sided pairing shows waiting and sends nothing; pairing both ways syncs granted shares only', async () => {
    const gBooks = await graphs(a, a, 'Books');
    const gPrivate = await graphs(a, a, 'Private');
    await a.cmd('commit', { add: bookQuads(gBooks, 'a', 3) + bookQuads(gPrivate, 'secret', 2) });
    await a.cmd('grant', { share: 'Books', peer: b.peerId });
    await a.cmd('pair', { peer: b.peerId, addr: bAddr, name: 'b' });
    // B has not paired A: A learns "waiting"; B gets nothing and sees A as nearby.
    await a.waitEvent((m) => m.event === 'peer:paired' && m.peerId === b.peerId && m.state === 'waiting', 20_000, 'waiting');
    const listed = await a.cmd<{ paired: Array<{ peerId: string; state: string }> }>('peers');
    expect(listed.paired.find((p) => p.peerId === b.peerId)?.state).toBe('waiting');
    expect(await dumpOf(b, `https://w3id.org/semsync/id/graph/${a.peerId}/`)).toEqual([]);
    await b.until(async () => (await b.cmd<{ nearby: Array<{ peerId: string }> }>('peers')).nearby.some((p) => p.peerId === a.peerId), 10_000, 'A nearby on B');

    // B pairs A (and grants its own share back): both directions flow.
    const gB = await graphs(b, b, 'Music');
    await b.cmd('commit', { add: bookQuads(gB, 'b', 2) });
    await b.cmd('grant', { share: 'Music', peer: a.peerId });
    await b.cmd('pair', { peer: a.peerId, addr: aAddr });
    await b.until(async () => (await dumpOf(b, gBooks)).length === 3, 20_000, 'A books on B');
    await a.until(async () => (await dumpOf(a, gB)).length === 2, 20_000, 'B music on A');
    await a.waitEvent((m) => m.event === 'peer:paired' && m.peerId === b.peerId && m.state === 'paired', 20_000, 'paired');
    expect(await dumpOf(b, gPrivate)).toEqual([]);

    // Live changes are pushed.
    await a.cmd('commit', { add: bookQuads(gBooks, 'live', 1), del: bookQuads(gBooks, 'a', 1) });
    await b.until(async () => {
      const d = await dumpOf(b, gBooks);
      return d.some((l) => l.includes('book:live:0')) && !d.some((l) => l.includes('book:a:0>'));
    }, 20_000, 'live change on B');
    expect(await dumpOf(b, gBooks)).toEqual(await dumpOf(a, gBooks));
  });

  it('revoking a share stops it flowing and withdraws it; other grants keep flowing', async () => {
    const gBooks = await graphs(a, a, 'Books');
    const gMusic = await graphs(a, a, 'Music');
    await a.cmd('grant', { share: 'Music', peer: b.peerId });
    await a.cmd('commit', { add: bookQuads(gMusic, 'm', 1) });
    await b.until(async () => (await dumpOf(b, gMusic)).length === 1, 20_000, 'music on B');
    await a.cmd('revoke', { share: 'Books', peer: b.peerId });
    await b.until(async () => (await dumpOf(b, gBooks)).length === 0, 20_000, 'books withdrawn on B');
    await a.cmd('commit', { add: bookQuads(gBooks, 'after-revoke', 1) });
    await a.cmd('commit', { add: bookQuads(gMusic, 'm2', 1) });
    await b.until(async () => (await dumpOf(b, gMusic)).length === 2, 20_000, 'music keeps flowing');
    expect(await dumpOf(b, gBooks)).toEqual([]);
  });

  it('a restart in the middle of a sync resumes and converges', async () => {
    const gMusic = await graphs(a, a, 'Music');
    await b.stop();
    for (let i = 0; i < 200; i++) await a.cmd('commit', { add: bookQuads(gMusic, `bulk${i}`, 5) });
    b = await lab.start(bHome, { listen: bListen });
    await b.waitEvent((m) => m.event === 'sync:progress' && m.direction === 'in', 30_000, 'some progress');
    b.kill();
    await b.exited;
    b = await lab.start(bHome, { listen: bListen });
    await b.until(async () => (await dumpOf(b, gMusic)).length === 2 + 1000, 60_000, 'B converges after restart');
    expect(await dumpOf(b, gMusic)).toEqual(await dumpOf(a, gMusic));
  });
});
