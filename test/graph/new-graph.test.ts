// Rows for graphs that hold nothing yet (src/graph/new-graph.ts) and GraphStore.commit's bulk path for them: the same
// statements, checks and durability as a change list, one patch, and a graph that holds something checked row by row.
import n3 from 'n3';
import { afterEach, describe, expect, it } from 'vitest';
import { NewGraphRows, rowOf, StoreError } from '../../src/graph/index.js';
import { loadParts, utf8 } from '../../src/graph/rows.js';
import { GraphStore } from '../../src/graph/store.js';
import { G, q, tempDir } from './helpers.js';

const { namedNode, literal, blankNode, defaultGraph, quad } = n3.DataFactory;
const open: GraphStore[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close().catch(() => undefined);
});
async function openStore(dir: string, pagedAbove?: number): Promise<GraphStore> {
  const s = await GraphStore.open({ dir, nodeId: 'nodeA', ...(pagedAbove !== undefined ? { pagedAbove } : {}) });
  open.push(s);
  return s;
}
function rowsOf(quads: n3.Quad[]): NewGraphRows {
  const rows = new NewGraphRows();
  for (const x of quads) rows.addQuad(x);
  return rows;
}
const many = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => q(from + i));
const sorted = (quads: n3.Quad[]) => quads.map(rowOf).sort();

describe('NewGraphRows', () => {
  it('holds each statement once, as the store writes it, and is a change list whose quads are the ones added', () => {
    const quads = [...many(0, 5), q(2), quad(namedNode('http://ex.org/s'), namedNode('http://ex.org/p'), literal('a "b"\n\\ é', 'fr'), G)];
    const rows = rowsOf(quads);
    expect(rows.length).toBe(6);
    expect([...rows.keyed.keys()]).toEqual([...new Set(quads.map(rowOf))]);
    expect(rows.map((c) => [c.op, rowOf(c.quad)])).toEqual([...new Set(quads.map(rowOf))].map((r) => ['A', r]));
    expect(rows.slice(1)).not.toBeInstanceOf(NewGraphRows);
  });

  it('refuses what the store refuses: blank nodes, the default graph, a bad IRI, a lone surrogate', () => {
    const p = namedNode('http://ex.org/p');
    const bad = [
      quad(blankNode('b'), p, literal('x'), G), quad(namedNode('http://ex.org/s'), p, literal('x'), defaultGraph()),
      quad(namedNode('not an iri'), p, literal('x'), G), quad(namedNode('http://ex.org/s'), p, literal('\ud800'), G),
    ];
    for (const x of bad) expect(() => rowsOf([x])).toThrow(StoreError);
  });
});

describe('GraphStore.commit of rows for a new graph', () => {
  for (const paged of [false, true]) {
    it(`adds them in one patch, durable across a reopen${paged ? ' (paged store)' : ''}`, async () => {
      const dir = tempDir('new-graph');
      let s = await openStore(dir, paged ? 0 : undefined);
      if (paged) await s.commit([{ op: 'A', quad: q(1, namedNode('https://w3id.org/semsync/id/graph/nodeA/other')) }]);
      const patch = await s.commit(rowsOf(many(0, 12_000)));
      expect(patch?.changes).toHaveLength(12_000);
      expect(sorted(s.match(null, null, null, G))).toEqual(sorted(many(0, 12_000)));
      await s.close();
      open.pop();
      s = await openStore(dir, paged ? 0 : undefined);
      expect(sorted(s.match(null, null, null, G))).toEqual(sorted(many(0, 12_000)));
    });
  }

  it('logs the rows as a change list\'s commit would: the strict decoder reads them back, and a peer applies them', async () => {
    const s = await openStore(tempDir('new-graph-log'));
    const quads = [...many(0, 50), quad(namedNode('http://ex.org/s'), namedNode('http://ex.org/p'), literal('a "b"\n\\ é', 'fr'), G)];
    const patch = await s.commit(rowsOf(quads));
    const logged = s.patchesSince({});
    expect(logged).toHaveLength(1);
    expect(logged![0].changes.map((c) => [c.op, rowOf(c.quad)])).toEqual(quads.map((x) => ['A', rowOf(x)]));
    expect(logged![0]).toMatchObject({ author: 'nodeA', seq: 1, hlc: patch!.hlc });
    const peer = await GraphStore.open({ dir: tempDir('new-graph-peer'), nodeId: 'nodeB' });
    open.push(peer);
    expect(await peer.applyRemote(logged![0])).toBe('applied');
    expect(sorted(peer.match(null, null, null, G))).toEqual(sorted(quads));
  });

  it('checks them row by row when their graph holds something: only what is new is in the patch', async () => {
    const s = await openStore(tempDir('new-graph-held'));
    await s.commit(many(0, 10).map((quad) => ({ op: 'A' as const, quad })));
    const patch = await s.commit(rowsOf(many(5, 20)));
    expect(patch?.changes.map((c) => rowOf(c.quad)).sort()).toEqual(sorted(many(10, 20)));
    expect(await s.commit(rowsOf(many(0, 20)))).toBeNull();
    expect(s.size).toBe(20);
  });
});

describe('loadParts', () => {
  it('covers every row once, in order: 100 rows first, then twice as many each time, at most 10,000', () => {
    for (const count of [0, 1, 100, 101, 80_013]) {
      const parts = [...loadParts(count)];
      expect(parts.flatMap(([from, to]) => Array.from({ length: to - from }, (_, i) => from + i))).toEqual(Array.from({ length: count }, (_, i) => i));
      if (count > 100) expect(parts.slice(0, 3).map(([from, to]) => to - from)).toEqual([100, Math.min(200, count - 100), Math.min(400, Math.max(0, count - 300))].filter((n) => n > 0));
    }
    expect(Math.max(...[...loadParts(80_013)].map(([from, to]) => to - from))).toBe(10_000);
  });
});

describe('utf8', () => {
  it('gives the UTF-8 bytes of ASCII and of any other text (an é, an emoji, a lone surrogate)', () => {
    for (const t of ['<a> <b> "c" .\n', 'é', '🚀 x', 'x\ud800y', '']) expect(utf8(t).equals(Buffer.from(t, 'utf8'))).toBe(true);
  });
});
