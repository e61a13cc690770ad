// The store's `commit` event (store.ts): one after every durable write, a local commit, another author's patch or
// a full state, with its author and seq; none for a write that changed nothing, a duplicate or a gap.
import { afterEach, describe, expect, it } from 'vitest';
import { GraphStore } from '../../src/graph/store.js';
import { graphIri } from '../../src/graph/vocab.js';
import type { StoreEvents } from '../../src/graph/store.js';
import { adds, q, tempDir } from './helpers.js';

const open: GraphStore[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close().catch(() => undefined);
});

async function store(nodeId = 'nodeA'): Promise<GraphStore> {
  const s = await GraphStore.open({ dir: tempDir('events'), nodeId });
  open.push(s);
  return s;
}

function record(s: GraphStore): Array<StoreEvents['commit'] & { vv: Record<string, number> }> {
  const seen: Array<StoreEvents['commit'] & { vv: Record<string, number> }> = [];
  s.events.on('commit', (c) => seen.push({ ...c, vv: s.versionVector() }));
  return seen;
}

describe('the commit event', () => {
  it('follows a local commit once it is durable and applied, and nothing that changed nothing', async () => {
    const s = await store();
    const seen = record(s);
    await s.commit(adds(0, 2));
    expect(seen).toEqual([{ author: 'nodeA', seq: 1, local: true, vv: { nodeA: 1 } }]); // the version already counts it
    await s.commit(adds(0, 2)); // all held: no patch
    expect(seen).toHaveLength(1);
  });

  it("follows another author's patch applied, not a duplicate or a gap", async () => {
    const a = await store('nodeA');
    const b = await store('nodeB');
    const seen = record(b);
    const p1 = (await a.commit(adds(0, 1)))!;
    const p2 = (await a.commit(adds(1, 2)))!;
    expect(await b.applyRemote(p2)).toBe('gap');
    expect(await b.applyRemote(p1)).toBe('applied');
    expect(await b.applyRemote(p1)).toBe('duplicate');
    expect(seen).toEqual([{ author: 'nodeA', seq: 1, local: false, vv: { nodeA: 1 } }]);
  });

  it("follows a full state of another author", async () => {
    const b = await store('nodeB');
    const seen = record(b);
    await b.replaceAuthor('nodeA', 5, '10.0', [q(1, graphIri('nodeA', 'test'))]);
    expect(seen).toEqual([{ author: 'nodeA', seq: 5, local: false, vv: { nodeA: 5 } }]);
  });

  it('stops calling a listener once it stopped listening', async () => {
    const s = await store();
    const before = s.events.listenerCount('commit');
    let calls = 0;
    const off = s.events.on('commit', () => calls++);
    await s.commit(adds(0, 1));
    off();
    await s.commit(adds(1, 2));
    expect(calls).toBe(1);
    expect(s.events.listenerCount('commit')).toBe(before);
  });
});
