// The one merge rule (src/pim/merge.ts): disjoint field edits merge, the same single field edited twice is a conflict
// (both kept, the later shown), sets merge with deletions respected, tombstones, versions without clocks (LWW).
import fc from 'fast-check';
import n3 from 'n3';
import type { Quad } from '@rdfjs/types';
import { describe, expect, it } from 'vitest';
import { SS, VCARD } from '../../src/graph/vocab.js';
import { FIELD_CLOCKS, baseOf, compareDot, compareRev, mergeVersions, replicaMerge, versionClocks, type MergedItem, type Version } from '../../src/pim/merge.js';
import { pimGraph, readPimBytes } from '../../src/pim/store.js';

const { quad, literal, namedNode } = n3.DataFactory;
const MASTER = 'https://w3id.org/semsync/id/contact/u1';

/** A vCard with UID u1 and the given lines. */
const card = (...lines: string[]) => ['BEGIN:VCARD', 'VERSION:3.0', 'UID:u1', ...lines, 'END:VCARD', ''].join('\r\n');

/** The version `author` writes at `rev` having merged `before` (what it had seen), with the item as `text` says. */
function write(author: string, rev: string, before: MergedItem | undefined, text: string, settle?: string[]): Version {
  const g = pimGraph(author, 'contacts');
  const group = readPimBytes('contacts', Buffer.from(text)).groups[0];
  const quads = group.quads.map((q) => quad(q.subject, q.predicate, q.object, g));
  const clocks = versionClocks(MASTER, before, quads, author, rev, { settle: settle && new Set(settle) });
  return { author, quads: [...quads, quad(namedNode(MASTER), SS('revision'), literal(rev), g), quad(namedNode(MASTER), FIELD_CLOCKS, literal(clocks), g)] };
}

/** A tombstone `author` writes at `rev` having merged `before`. */
function tombstone(author: string, rev: string, before: MergedItem | undefined): Version {
  const g = pimGraph(author, 'contacts');
  const m = namedNode(MASTER);
  return { author, quads: [quad(m, SS('deleted'), literal('true'), g), quad(m, SS('revision'), literal(rev), g), quad(m, FIELD_CLOCKS, literal(versionClocks(MASTER, before, [], author, rev)), g)] };
}

const merge = (...vs: Version[]) => mergeVersions(MASTER, vs)!;
const values = (item: MergedItem, p: string) => item.quads.filter((q: Quad) => q.subject.value === MASTER && q.predicate.equals(VCARD(p))).map((q) => q.object.value).sort();

describe('mergeVersions', () => {
  const base = write('A', '100.0', undefined, card('FN:Ann', 'TEL:+111', 'EMAIL:ann@a.example', 'NOTE:n0'));
  const seen = merge(base);

  it('edits of different fields on two nodes merge, in any order, without a conflict', () => {
    const b = write('B', '200.0', seen, card('FN:Ann', 'TEL:+222', 'EMAIL:ann@a.example', 'NOTE:n0'));
    const a = write('A', '150.0', seen, card('FN:Ann', 'TEL:+111', 'EMAIL:ann@a.example', 'NOTE:from A'));
    for (const m of [merge(a, b), merge(b, a)]) {
      expect(values(m, 'hasTelephone')).toEqual(['tel:+222']);
      expect(values(m, 'note')).toEqual(['from A']);
      expect(m.conflicts).toEqual([]);
    }
  });

  it('the same single-valued field on two nodes: a conflict with both values, the later shown, one id everywhere', () => {
    const a = write('A', '300.0', seen, card('FN:Ann A', 'TEL:+111', 'EMAIL:ann@a.example', 'NOTE:n0'));
    const b = write('B', '200.0', seen, card('FN:Ann B', 'TEL:+111', 'EMAIL:ann@a.example', 'NOTE:n0'));
    const m1 = merge(a, b);
    const m2 = merge(b, a);
    expect(values(m1, 'fn')).toEqual(['Ann A']);
    expect(m1.conflicts).toHaveLength(1);
    expect(m1.conflicts[0].field).toBe('FN');
    expect(m1.conflicts[0].sides.map((s) => [s.author, s.rev])).toEqual([['A', '300.0'], ['B', '200.0']]);
    expect(m2.conflicts).toEqual(m1.conflicts);
    // an equal revision: the larger node id is shown
    const c = write('C', '300.0', seen, card('FN:Ann C', 'TEL:+111', 'EMAIL:ann@a.example', 'NOTE:n0'));
    expect(values(merge(a, c), 'fn')).toEqual(['Ann C']);
  });

  it('the same value written on both sides is no conflict', () => {
    const a = write('A', '300.0', seen, card('FN:Ann X', 'TEL:+111', 'EMAIL:ann@a.example', 'NOTE:n0'));
    const b = write('B', '200.0', seen, card('FN:Ann X', 'TEL:+111', 'EMAIL:ann@a.example', 'NOTE:n0'));
    expect(merge(a, b).conflicts).toEqual([]);
  });

  it('a conflict stays open across an unrelated edit, and is settled by an edit that chooses (even the value shown)', () => {
    const a = write('A', '300.0', seen, card('FN:Ann A', 'TEL:+111', 'EMAIL:ann@a.example', 'NOTE:n0'));
    const b = write('B', '200.0', seen, card('FN:Ann B', 'TEL:+111', 'EMAIL:ann@a.example', 'NOTE:n0'));
    const both = merge(a, b);
    const c = write('C', '400.0', both, card('FN:Ann A', 'TEL:+111', 'EMAIL:ann@a.example', 'NOTE:from C'));
    const after = merge(a, b, c);
    expect(after.conflicts.map((x) => x.field)).toEqual(['FN']);
    expect(values(after, 'note')).toEqual(['from C']);
    // C's own graph holds only the value shown; the other side travels in its clocks
    expect(merge(c).conflicts.map((x) => x.sides.length)).toEqual([2]);
    const settled = write('B', '500.0', after, card('FN:Ann A', 'TEL:+111', 'EMAIL:ann@a.example', 'NOTE:from C'), ['FN']);
    const end = merge(a, settled, c);
    expect(end.conflicts).toEqual([]);
    expect(values(end, 'fn')).toEqual(['Ann A']);
    expect(values(end, 'note')).toEqual(['from C']);
  });

  it('multi-valued fields merge as sets: additions on both sides kept, a deletion respected', () => {
    const two = write('A', '110.0', seen, card('FN:Ann', 'TEL:+111', 'EMAIL:ann@a.example', 'EMAIL:old@a.example', 'NOTE:n0'));
    const s = merge(base, two);
    const a = write('A', '300.0', s, card('FN:Ann', 'TEL:+111', 'EMAIL:ann@a.example', 'EMAIL:old@a.example', 'EMAIL:new-a@a.example', 'NOTE:n0'));
    const b = write('B', '200.0', s, card('FN:Ann', 'TEL:+111', 'EMAIL:ann@a.example', 'EMAIL:new-b@b.example', 'NOTE:n0'));
    const m = merge(a, b);
    expect(values(m, 'hasEmail')).toEqual(['mailto:ann@a.example', 'mailto:new-a@a.example', 'mailto:new-b@b.example']);
    expect(m.conflicts).toEqual([]);
  });

  it('a deletion that saw every edit wins; an edit it did not see beats it', () => {
    const t = tombstone('B', '200.0', seen);
    expect(merge(base, t).deleted).toBe(true);
    const edit = write('A', '150.0', seen, card('FN:Ann', 'TEL:+333', 'EMAIL:ann@a.example', 'NOTE:n0'));
    const m = merge(edit, t);
    expect(m.deleted).toBe(false);
    expect(values(m, 'hasTelephone')).toEqual(['tel:+333']);
    expect(values(m, 'fn')).toEqual(['Ann']);
  });

  it('versions without clocks (older semsync, undo) merge whole: latest revision, then the larger node id', () => {
    const legacy = (author: string, rev: string, fn: string): Version => {
      const v = write(author, rev, undefined, card(`FN:${fn}`));
      return { author, quads: v.quads.filter((q) => !q.predicate.equals(FIELD_CLOCKS)) };
    };
    expect(values(merge(legacy('A', '1700000000000.0', 'Ann'), legacy('B', '1700000000001.0', 'Anne'), legacy('C', '1700000000000.5', 'Annie')), 'fn')).toEqual(['Anne']);
    const tie = merge(legacy('peerA', '5.1', 'x'), legacy('peerB', '5.1', 'y'));
    expect([tie.author, values(tie, 'fn')]).toEqual(['peerB', ['y']]);
    expect(tie.conflicts).toEqual([]);
    // a version with clocks written after an undo's whole restore keeps the restore's word on what it had seen
    const restore = legacy('C', '600.0', 'Restored');
    const later = write('B', '700.0', merge(base, restore), card('FN:Restored', 'NOTE:from B'));
    const end = merge(base, restore, later);
    expect([values(end, 'fn'), values(end, 'note'), values(end, 'hasTelephone'), end.conflicts]).toEqual([['Restored'], ['from B'], [], []]);
    expect(compareRev('10.0', '9.9')).toBeGreaterThan(0);
    expect(compareDot({ o: 'b', r: '5.1' }, { o: 'a', r: '5.1' })).toBeGreaterThan(0);
  });

  it('hostile clocks (not JSON, wrong shapes) count as none: no throw, whole-item rule', () => {
    for (const bad of ['{', '[]', '{"c":{"A":1},"f":{}}', '{"c":{},"f":{"FN":[["x"]]}}', '{"c":{},"h":[1],"f":{}}']) {
      const v = write('A', '300.0', seen, card('FN:Hostile'));
      const hostile = { author: 'A', quads: v.quads.map((q) => (q.predicate.equals(FIELD_CLOCKS) ? quad(q.subject, q.predicate, literal(bad), q.graph) : q)) };
      const m = merge(hostile, write('B', '200.0', seen, card('FN:Ann', 'NOTE:b')));
      expect(values(m, 'fn')).toEqual(['Hostile']);
      expect(m.conflicts).toEqual([]);
    }
  });

  it('does not depend on the order of the versions', () => {
    const a = write('A', '300.0', seen, card('FN:Ann A', 'TEL:+111', 'EMAIL:x@a.example', 'NOTE:n0'));
    const b = write('B', '200.0', seen, card('FN:Ann B', 'TEL:+222', 'EMAIL:ann@a.example', 'NOTE:n0'));
    const c = tombstone('C', '250.0', seen);
    const all = [base, a, b, c];
    const key = (m: MergedItem) => JSON.stringify([m.deleted, m.tag, m.quads.map((q) => `${q.subject.value} ${q.predicate.value} ${q.object.value}`).sort(), m.conflicts.map((x) => x.id)]);
    fc.assert(
      fc.property(fc.shuffledSubarray(all, { minLength: 4, maxLength: 4 }), (vs) => {
        expect(key(merge(...vs))).toBe(key(merge(...all)));
      }),
    );
  });
});

describe('replicaMerge (a CalDAV/CardDAV server against local edits, from the base of the last sync)', () => {
  const quadsOf = (text: string) => readPimBytes('contacts', Buffer.from(text)).groups[0].quads;
  const synced = card('FN:Ann', 'TEL:+111', 'EMAIL:a@x.example', 'EMAIL:b@x.example', 'NOTE:n0', 'TITLE:t0');
  const base = baseOf(MASTER, quadsOf(synced));
  const local = merge(write('A', '300.0', merge(write('A', '100.0', undefined, synced)), card('FN:Ann', 'TEL:+222', 'EMAIL:a@x.example', 'EMAIL:b@x.example', 'EMAIL:c@x.example', 'NOTE:ours', 'TITLE:t0')));
  const server = quadsOf(card('FN:Ann', 'TEL:+111', 'EMAIL:a@x.example', 'EMAIL:d@x.example', 'NOTE:theirs'));

  it('takes each side\'s changes, merges sets with removals, and keeps both values of a field changed on both', () => {
    const m = replicaMerge(MASTER, local, server, base);
    const item = { ...local, quads: m.quads };
    expect(values(item, 'hasTelephone')).toEqual(['tel:+222']); // ours (the server did not change it)
    expect(values(item, 'hasEmail')).toEqual(['mailto:a@x.example', 'mailto:c@x.example', 'mailto:d@x.example']); // b removed there, c added here, d there
    expect(values(item, 'title')).toEqual([]); // removed there, unchanged here
    expect(values(item, 'note')).toEqual(['theirs']);
    expect(m.conflicts).toEqual(['NOTE']);
    expect(m.keep.get('NOTE')!.map((e) => values({ ...local, quads: e.quads }, 'note'))).toEqual([['ours']]);
    // written with the kept side and a server origin, the item lists the conflict
    const g = pimGraph('A', 'contacts');
    const quads = m.quads.map((q) => quad(q.subject, q.predicate, q.object, g));
    const clocks = versionClocks(MASTER, local, quads, 'A', '400.0', { keep: m.keep, via: 'https://dav.example/cal/' });
    const after = merge({ author: 'A', quads: [...quads, quad(namedNode(MASTER), SS('revision'), literal('400.0'), g), quad(namedNode(MASTER), FIELD_CLOCKS, literal(clocks), g)] });
    expect(after.conflicts.map((c) => c.sides.map((x) => [x.author, x.via ?? '']))).toEqual([[['A', 'https://dav.example/cal/'], ['A', '']]]);
  });

  it('a change beats a removal on the other side', () => {
    const gone = quadsOf(card('FN:Ann', 'TEL:+111', 'EMAIL:a@x.example', 'EMAIL:b@x.example', 'TITLE:t0'));
    expect(values({ ...local, quads: replicaMerge(MASTER, local, gone, base).quads }, 'note')).toEqual(['ours']);
  });
});
