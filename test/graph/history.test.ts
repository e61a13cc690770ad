// History and undo from patches (pure), and the store's view of its change log.
import n3 from 'n3';
import { afterEach, describe, expect, it } from 'vitest';
import { channelOf, graphSource, historyOf, inverseRows, parseChangeId, recordSubjects } from '../../src/graph/history.js';
import { GraphStore } from '../../src/graph/store.js';
import type { Change, Patch } from '../../src/graph/types.js';
import { graphIri, VCARD } from '../../src/graph/vocab.js';
import { tempDir } from './helpers.js';

const { namedNode, literal, quad } = n3.DataFactory;
const C = namedNode('https://w3id.org/semsync/id/contact/u1');
const NAME = namedNode('https://w3id.org/semsync/id/contact/u1/name');
const OTHER = namedNode('https://w3id.org/semsync/id/contact/u2');
const gA = graphIri('nodeA', 'pim/contacts');
const gB = graphIri('nodeB', 'pim/contacts');
const fn = (s: string, g = gA) => quad(C, VCARD('fn'), literal(s), g);
const email = (s: string, g = gA) => quad(C, VCARD('hasEmail'), namedNode(`mailto:${s}`), g);
const A = (x: ReturnType<typeof quad>): Change => ({ op: 'A', quad: x });
const D = (x: ReturnType<typeof quad>): Change => ({ op: 'D', quad: x });
const patch = (author: string, seq: number, ms: number, changes: Change[]): Patch => ({ author, seq, hlc: `${ms}.0`, changes });

describe('history of one record', () => {
  const p1 = patch('nodeA', 1, 1000, [A(fn('Ann')), A(email('a@x')), A(quad(NAME, VCARD('given-name'), literal('Ann'), gA)), A(quad(OTHER, VCARD('fn'), literal('Bob'), gA))]);
  const p2 = patch('nodeB', 1, 3000, [A(fn('Ann B', gB)), A(email('b@x', gB))]);
  const p3 = patch('nodeA', 2, 2000, [D(fn('Ann')), A(fn('Anne')), A(email('c@x'))]);

  it('lists the changes in time order, by author, with the fields a single-valued change turns from → to', () => {
    const h = historyOf([p1, p2, p3], recordSubjects([C.value]), 'nodeA');
    expect(h.map((e) => e.change)).toEqual(['nodeA:1', 'nodeA:2', 'nodeB:1']);
    expect(h.map((e) => e.channel)).toEqual(['local', 'local', 'peer']);
    expect(h[0].time).toBe('1970-01-01T00:00:01.000Z');
    // the item's parts are its history too; another contact is not
    expect(h[0].fields.map((f) => f.subject)).toContain(NAME.value);
    expect(h[0].fields.some((f) => f.subject === OTHER.value)).toBe(false);
    const renamed = h[1].fields.find((f) => f.predicate === VCARD('fn').value)!;
    expect(renamed).toMatchObject({ from: ['"Ann"'], to: ['"Anne"'] });
    expect(h[1].fields.find((f) => f.predicate === VCARD('hasEmail').value)).toMatchObject({ from: [], to: ['<mailto:c@x>'] });
  });

  it('tells the channel from the graph name and the author', () => {
    expect(channelOf(graphIri('me', 'pim/contacts').value, 'me', 'me')).toBe('local');
    expect(channelOf(graphIri('me', 'share/Books').value, 'me', 'me')).toBe('scan');
    expect(channelOf(graphIri('me', 'device/kobo-1').value, 'me', 'me')).toBe('device');
    expect(channelOf(graphIri('other', 'device/phone').value, 'other', 'me')).toBe('device');
    expect(channelOf(graphIri('other', 'share/Books').value, 'other', 'me')).toBe('peer');
    expect(graphSource(graphIri('n1', 'share/My Books').value)).toEqual({ author: 'n1', source: 'share/My Books' });
    expect(graphSource('http://example.org/g')).toBeNull();
  });

  it('reads change ids and refuses others', () => {
    expect(parseChangeId('12D3KooWabc:17')).toEqual({ author: '12D3KooWabc', seq: 17 });
    for (const bad of ['x', 'a:0', 'a:-1', ':3', 'a b:3']) expect(parseChangeId(bad)).toBeNull();
  });
});

describe('inverse rows', () => {
  const key = (q: ReturnType<typeof quad>) => `${q.subject.value} ${q.predicate.value} ${q.object.value} ${q.graph.value}`;
  const storeOf = (patches: Patch[]) => {
    const held = new Set<string>();
    for (const p of patches) for (const c of p.changes) c.op === 'A' ? held.add(key(c.quad)) : held.delete(key(c.quad));
    return (q: ReturnType<typeof quad>) => held.has(key(q));
  };
  const p1 = patch('nodeA', 1, 1000, [A(fn('Ann')), A(email('a@x'))]);
  const p2 = patch('nodeA', 2, 2000, [D(fn('Ann')), A(fn('Anne')), D(email('a@x'))]);
  const p3 = patch('nodeA', 3, 3000, [D(fn('Anne')), A(fn('Annie'))]);

  it('reverts one change where nothing later touched the field, and reports the field a later change superseded', () => {
    const all = [p1, p2, p3];
    const r = inverseRows([p2], all, storeOf(all));
    // the email comes back; the name was changed again by nodeA:3, so it stays
    expect(r.rows.map((c) => `${c.op} ${c.quad.object.value}`)).toEqual(['A mailto:a@x']);
    expect(r.skipped).toEqual([expect.objectContaining({ change: 'nodeA:2', predicate: VCARD('fn').value, reason: 'changed again later by nodeA:3' })]);
  });

  it('reverts a window to the state before its first change', () => {
    const all = [p1, p2, p3];
    const r = inverseRows([p2, p3], all, storeOf(all));
    expect(r.skipped).toEqual([]);
    expect(r.rows.map((c) => `${c.op} ${c.quad.object.value}`).sort()).toEqual(['A Ann', 'A mailto:a@x', 'D Annie']);
  });

  it('leaves out rows whose effect is already gone', () => {
    const all = [p1, p2];
    const present = storeOf([p1]); // as if p2's deletions were already put back by hand
    const r = inverseRows([p2], all, present);
    expect(r.rows.map((c) => `${c.op} ${c.quad.object.value}`)).toEqual([]);
  });
});

describe('GraphStore.logPatches', () => {
  let store: GraphStore | undefined;
  afterEach(async () => {
    await store?.close();
    store = undefined;
  });

  it('gives every patch in the log, filtered by what its text mentions, and says when the log was compacted', async () => {
    const dir = tempDir('history');
    store = await GraphStore.open({ dir, nodeId: 'nodeA', segmentBytes: 200, keepSegments: 0, historyDays: 0 });
    await store.commit([A(fn('Ann'))]);
    await store.commit([A(quad(OTHER, VCARD('fn'), literal('Bob'), gA))]);
    await store.commit([D(fn('Ann')), A(fn('Anne'))]);
    const all = store.logPatches();
    expect(all.complete).toBe(true);
    expect(all.patches.map((p) => p.seq)).toEqual([1, 2, 3]);
    expect(store.logPatches([C.value]).patches.map((p) => p.seq)).toEqual([1, 3]);
    await store.snapshot();
    await store.commit([A(email('a@x'))]);
    const after = store.logPatches();
    expect(after.complete).toBe(false);
    expect(after.patches.map((p) => p.seq)).not.toContain(1);
  });
});
