// Property: 3 nodes, random edits, random delivery order, duplication and disconnects → identical datasets.
import fc from 'fast-check';
import n3 from 'n3';
import { beforeAll, describe, expect, it } from 'vitest';
import { graphIri } from '../../src/graph/vocab.js';
import { canonical, peerIds, SimLab, SimLink, type SimNode } from './sim.js';

const { namedNode, literal, quad } = n3.DataFactory;
const NAME = namedNode('http://www.w3.org/2006/vcard/ns#fn');
const TAG = namedNode('http://purl.org/dc/terms/subject');

type Op =
  | { k: 'add' | 'set'; n: number; s: number; v: number; priv: boolean }
  | { k: 'del'; n: number; s: number; v: number }
  | { k: 'connect' | 'drop'; i: number; j: number }
  | { k: 'deliver'; i: number; j: number; dir: 0 | 1; skip: number }
  | { k: 'dup'; i: number; j: number; dir: 0 | 1; idx: number };

const node = fc.integer({ min: 0, max: 2 });
const pair = fc.tuple(node, node).filter(([i, j]) => i !== j);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ k: fc.constantFrom('add' as const, 'set' as const), n: node, s: fc.integer({ min: 0, max: 2 }), v: fc.integer({ min: 0, max: 3 }), priv: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('del' as const), n: node, s: fc.integer({ min: 0, max: 2 }), v: fc.integer({ min: 0, max: 3 }) }) },
  { weight: 2, arbitrary: pair.map(([i, j]) => ({ k: 'connect' as const, i, j })) },
  { weight: 1, arbitrary: pair.map(([i, j]) => ({ k: 'drop' as const, i, j })) },
  { weight: 6, arbitrary: fc.record({ ij: pair, dir: fc.constantFrom(0 as const, 1 as const), skip: fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 3 }) }) }).map(({ ij, dir, skip }) => ({ k: 'deliver' as const, i: ij[0], j: ij[1], dir, skip })) },
  { weight: 1, arbitrary: fc.record({ ij: pair, dir: fc.constantFrom(0 as const, 1 as const), idx: fc.nat(50) }).map(({ ij, dir, idx }) => ({ k: 'dup' as const, i: ij[0], j: ij[1], dir, idx })) },
);

let ids: string[];
beforeAll(async () => {
  ids = await peerIds(3);
});

const shared = (n: SimNode) => graphIri(n.id, 'share/s');
const priv = (n: SimNode) => graphIri(n.id, 'share/private');
const subject = (s: number) => namedNode(`https://w3id.org/semsync/id/contact/c${s}`);

async function edit(n: SimNode, op: Extract<Op, { n: number }>): Promise<boolean> {
  const g = 'priv' in op && op.priv ? priv(n) : shared(n);
  const s = subject(op.s);
  let changes;
  if (op.k === 'add') changes = [{ op: 'A' as const, quad: quad(s, TAG, literal(`t${op.v}`), g) }];
  else if (op.k === 'set') {
    const old = n.store.match(s, NAME, null, g).map((q) => ({ op: 'D' as const, quad: q }));
    changes = [...old, { op: 'A' as const, quad: quad(s, NAME, literal(`name ${op.v} by ${n.id.slice(-4)}`), g) }];
  } else changes = n.store.match(s, null, null, g).slice(0, 1).map((q) => ({ op: 'D' as const, quad: q }));
  return (await n.store.commit(changes)) !== null;
}

describe('convergence', () => {
  it('all nodes end with identical canonical datasets of the shared graphs, and private graphs stay home', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 5, maxLength: 80 }), async (ops) => {
        const lab = new SimLab();
        try {
          const nodes = await Promise.all(ids.map((id) => lab.node(id, ['s'], ids.filter((x) => x !== id))));
          const links = new Map<string, SimLink>();
          const key = (i: number, j: number) => `${Math.min(i, j)}-${Math.max(i, j)}`;
          const link = (i: number, j: number) => links.get(key(i, j));
          for (const op of ops) {
            if (op.k === 'add' || op.k === 'set' || op.k === 'del') {
              if (await edit(nodes[op.n], op)) for (const l of links.values()) if (l.a === nodes[op.n] || l.b === nodes[op.n]) await l.push(nodes[op.n]);
            } else if (op.k === 'connect') {
              if (!link(op.i, op.j) || link(op.i, op.j)!.closed) {
                const l = new SimLink(nodes[Math.min(op.i, op.j)], nodes[Math.max(op.i, op.j)]);
                links.set(key(op.i, op.j), l);
                await l.start();
              }
            } else if (op.k === 'drop') links.delete(key(op.i, op.j));
            else if (op.k === 'deliver') await link(op.i, op.j)?.deliver(op.dir, op.skip);
            else await link(op.i, op.j)?.duplicate(op.dir, op.idx);
          }
          // Heal: every pair reconnects and drains in order, until nothing moves (a full state may bump a seq).
          for (let round = 0, before = ''; round < 4; round++) {
            const now = JSON.stringify(nodes.map((n) => n.store.versionVector()));
            if (now === before) break;
            before = now;
            for (let i = 0; i < 3; i++)
              for (let j = i + 1; j < 3; j++) {
                const l = new SimLink(nodes[i], nodes[j]);
                await l.start();
                await l.drain();
                expect(l.errors).toEqual([]);
              }
          }
          const views = nodes.map((n) => canonical(n.store.match(null, null, null, null).filter((q) => !nodes.some((m) => q.graph.value === priv(m).value && m !== n))));
          const sharedViews = nodes.map((n) => canonical(n.store.match(null, null, null, null).filter((q) => nodes.some((m) => q.graph.value === shared(m).value))));
          expect(sharedViews[1]).toEqual(sharedViews[0]);
          expect(sharedViews[2]).toEqual(sharedViews[0]);
          for (const [i, n] of nodes.entries()) {
            for (const m of nodes) if (m !== n) expect(n.store.match(null, null, null, priv(m))).toEqual([]);
            expect(views[i].length).toBeGreaterThanOrEqual(sharedViews[i].length);
          }
          const vv = nodes.map((n) => n.store.versionVector());
          for (const id of ids) expect(new Set(vv.map((v) => v[id] ?? 0)).size, JSON.stringify(vv)).toBe(1);
        } finally {
          await lab.close();
        }
      }),
      { numRuns: 120, seed: 20261122 },
    );
  });
});
