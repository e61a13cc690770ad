// SyncSession edge cases with real stores and a controlled frame queue (see sim.ts).
import n3 from 'n3';
import { afterAll, describe, expect, it } from 'vitest';
import { graphIri } from '../../src/graph/vocab.js';
import { peerIds, SimLab, SimLink } from './sim.js';

const { namedNode, literal, quad } = n3.DataFactory;
const TITLE = namedNode('http://purl.org/dc/terms/title');
const lab = new SimLab();
afterAll(() => lab.close());

describe('full states after grant changes', () => {
  it('a revoke right after a grant, before the peer acknowledged it, sends a state ahead of the one in flight', async () => {
    const [ida, idb] = await peerIds(2);
    const a = await lab.node(ida, ['Tablet'], [idb]);
    const b = await lab.node(idb, ['Tablet'], [ida]);
    await a.store.commit([
      { op: 'A', quad: quad(namedNode('urn:sha256:aa'), TITLE, literal('shared'), graphIri(ida, 'share/Tablet')) },
      { op: 'A', quad: quad(namedNode('urn:sha256:bb'), TITLE, literal('private'), graphIri(ida, 'share/Private')) },
    ]);
    const link = new SimLink(a, b);
    await link.start();
    await link.drain();
    const privateOnB = () => b.store.match(null, null, null, graphIri(ida, 'share/Private')).length;
    expect(privateOnB()).toBe(0);

    // Grant: A sends a full state; B applies it, but its acknowledgement has not reached A yet.
    a.trust.shares = ['Private', 'Tablet'];
    await link.push(a);
    while (link.queue[0].length) await link.deliver(0);
    expect(privateOnB()).toBe(1);
    // Revoke before the ack: the next full state must still be ahead of what B now holds.
    a.trust.shares = ['Tablet'];
    await link.push(a);
    await link.drain();
    expect(link.errors).toEqual([]);
    expect(privateOnB()).toBe(0);
    expect(b.store.match(null, null, null, graphIri(ida, 'share/Tablet')).length).toBe(1);
  });
});
