// Property: 3 nodes edit fields of the same contacts (single-valued, sets, deletions, settling conflicts) through the real
// write path, frames are delivered in random order, duplicated and dropped; after healing every node shows the same
// items and the same open conflicts (src/pim/merge.ts).
import fc from 'fast-check';
import type { Quad } from '@rdfjs/types';
import { beforeAll, describe, expect, it } from 'vitest';
import { VCARD } from '../../src/graph/vocab.js';
import { exportItems, mergedView, readPimBytes, writeItems } from '../../src/pim/store.js';
import { peerIds, SimLab, SimLink, type SimNode } from '../peers/sim.js';

type Field = 'FN' | 'NOTE' | 'TEL' | 'EMAIL' | 'CATEGORIES';
type Op =
  | { k: 'edit'; n: number; c: number; f: Field; v: number; remove: boolean }
  | { k: 'del' | 'settle'; n: number; c: number }
  | { k: 'connect' | 'drop'; i: number; j: number }
  | { k: 'deliver'; i: number; j: number; dir: 0 | 1; skip: number }
  | { k: 'dup'; i: number; j: number; dir: 0 | 1; idx: number };

const node = fc.integer({ min: 0, max: 2 });
const pair = fc.tuple(node, node).filter(([i, j]) => i !== j);
const contact = fc.integer({ min: 0, max: 1 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ k: fc.constant('edit' as const), n: node, c: contact, f: fc.constantFrom<Field>('FN', 'NOTE', 'TEL', 'EMAIL', 'CATEGORIES'), v: fc.integer({ min: 0, max: 3 }), remove: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constantFrom('del' as const, 'settle' as const), n: node, c: contact }) },
  { weight: 2, arbitrary: pair.map(([i, j]) => ({ k: 'connect' as const, i, j })) },
  { weight: 1, arbitrary: pair.map(([i, j]) => ({ k: 'drop' as const, i, j })) },
  { weight: 6, arbitrary: fc.record({ ij: pair, dir: fc.constantFrom(0 as const, 1 as const), skip: fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 3 }) }) }).map(({ ij, dir, skip }) => ({ k: 'deliver' as const, i: ij[0], j: ij[1], dir, skip })) },
  { weight: 1, arbitrary: fc.record({ ij: pair, dir: fc.constantFrom(0 as const, 1 as const), idx: fc.nat(50) }).map(({ ij, dir, idx }) => ({ k: 'dup' as const, i: ij[0], j: ij[1], dir, idx })) },
);

const master = (c: number) => `https://w3id.org/semsync/id/contact/c${c}`;
const SINGLE: Record<string, string> = { FN: 'fn', NOTE: 'note' };
const SETS: Record<string, [string, (v: string) => string]> = {
  TEL: ['hasTelephone', (v) => v.replace(/^tel:/, '')],
  EMAIL: ['hasEmail', (v) => v.replace(/^mailto:/, '')],
  CATEGORIES: ['category', (v) => v],
};

/** The contact as node `n` shows it now, with one field edited, as vCard text. */
function edited(n: SimNode, op: Extract<Op, { k: 'edit' }>): string {
  const item = mergedView(n.store, 'contacts').items.get(master(op.c));
  const quads = item && !item.deleted ? item.quads.filter((q: Quad) => q.subject.value === master(op.c)) : [];
  const of = (p: string) => quads.filter((q) => q.predicate.equals(VCARD(p))).map((q) => q.object.value);
  const lines = [`UID:c${op.c}`];
  const value = `${op.f.toLowerCase()}${op.v}`;
  for (const [f, p] of Object.entries(SINGLE)) {
    const now = op.f === f ? (op.remove ? undefined : `${value} by ${n.id.slice(-4)}`) : of(p)[0];
    if (now !== undefined) lines.push(`${f}:${now}`);
  }
  for (const [f, [p, read]] of Object.entries(SETS)) {
    const now = new Set(of(p).map(read));
    const v = f === 'EMAIL' ? `${value}@x.example` : f === 'TEL' ? `+${op.v}${op.v}` : value;
    if (op.f === f) (op.remove ? now.delete(v) : now.add(v));
    for (const x of [...now].sort()) lines.push(`${f}:${x}`);
  }
  return ['BEGIN:VCARD', 'VERSION:3.0', ...lines, 'END:VCARD', ''].join('\r\n');
}

async function act(n: SimNode, op: Extract<Op, { n: number }>): Promise<void> {
  const m = master(op.c);
  if (op.k === 'edit') await writeItems(n.store, 'contacts', readPimBytes('contacts', Buffer.from(edited(n, op))).groups);
  else if (op.k === 'del') {
    if (mergedView(n.store, 'contacts').items.get(m)?.deleted === false) await writeItems(n.store, 'contacts', [], { remove: [m] });
  } else {
    const item = mergedView(n.store, 'contacts').items.get(m);
    const c = item?.conflicts[0];
    if (!item || !c) return;
    // keep the side not shown: the item as shown, with that field's value taken from the other side
    const quads = [...item.quads.filter((q) => !c.sides[0].quads.some((s) => s.equals(q))), ...c.sides[1].quads];
    await writeItems(n.store, 'contacts', [{ master: m, quads, errors: [] }], { settle: new Map([[m, new Set([c.field])]]) });
  }
}

let ids: string[];
beforeAll(async () => {
  ids = await peerIds(3);
});

/** What a node shows: the exported contacts and the open conflicts (ids, fields, sides). */
function shown(n: SimNode): string {
  const view = mergedView(n.store, 'contacts');
  const conflicts = [...view.items.values()].flatMap((i) => i.conflicts.map((c) => `${c.id} ${c.field} ${c.sides.map((s) => `${s.author}@${s.rev}:${s.hash}`).join(' ')}`));
  return exportItems(view) + '\n' + conflicts.sort().join('\n');
}

describe('field-level merge converges', () => {
  it('random field edits on 3 nodes, random delivery: the same contacts and conflicts on every node', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 5, maxLength: 50 }), async (ops) => {
        const lab = new SimLab();
        try {
          const nodes = await Promise.all(ids.map((id) => lab.node(id, [], ids.filter((x) => x !== id))));
          const links = new Map<string, SimLink>();
          const key = (i: number, j: number) => `${Math.min(i, j)}-${Math.max(i, j)}`;
          const link = (i: number, j: number) => links.get(key(i, j));
          for (const op of ops) {
            if (op.k === 'edit' || op.k === 'del' || op.k === 'settle') {
              await act(nodes[op.n], op);
              for (const l of links.values()) if (l.a === nodes[op.n] || l.b === nodes[op.n]) await l.push(nodes[op.n]);
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
          const views = nodes.map(shown);
          expect(views[1]).toBe(views[0]);
          expect(views[2]).toBe(views[0]);
        } finally {
          await lab.close();
        }
      }),
      { numRuns: 60, seed: 20261207 },
    );
  });
});
