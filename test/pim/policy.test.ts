// Privacy policies: a work policy keeps Personal contacts, PRIVATE/CONFIDENTIAL items and birthdays back; a personal one keeps all.
import { describe, expect, it } from 'vitest';
import type { Quad } from '@rdfjs/types';
import { ICAL, SS, VCARD, pimItemOf } from '../../src/graph/vocab.js';
import { exportVcf } from '../../src/pim/export.js';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import n3 from 'n3';
import { PolicyError, allowedGroup, allowedItem, filterQuads, parsePolicy, policyHook, type PimPolicy } from '../../src/pim/policy.js';
import { readPimBytes } from '../../src/pim/store.js';
import { FIELD_CLOCKS, mergeVersions, versionClocks } from '../../src/pim/merge.js';
import { PIM_DIR, readCorpusFile } from './corpus.js';
import type { readCalendars } from '../../src/extractors/ical/index.js';

const work: PimPolicy = parsePolicy('{ "work": true, "exclude": { "contactCategories": ["Personal"], "eventClasses": ["PRIVATE","CONFIDENTIAL"], "birthdays": true } }');
const personal: PimPolicy = parsePolicy({ work: false });

function load(rel: string): Quad[] {
  const r = readCorpusFile(rel) as ReturnType<typeof readCalendars>;
  return [...(r.timezoneQuads ?? []), ...r.items.flatMap((i) => i.quads)];
}
const subjects = (qs: Quad[], type: string) => new Set(qs.filter((q) => q.object.value === type).map((q) => q.subject.value));
const about = (qs: Quad[], s: string) => qs.filter((q) => q.subject.value === s);
const value = (qs: Quad[], s: string, p: string) => qs.find((q) => q.subject.value === s && q.predicate.value === p)?.object.value;

describe('policy parsing', () => {
  it('accepts the documented JSON and names a bad key', () => {
    expect(work.work).toBe(true);
    expect(() => parsePolicy('{ "wrok": true }')).toThrow(PolicyError);
    expect(() => parsePolicy({ exclude: { eventClasses: 'PRIVATE' } })).toThrow(/exclude.eventClasses/);
    expect(() => parsePolicy('not json')).toThrow(PolicyError);
  });
});

describe('a work policy', () => {
  const contacts = [...load('pim/generated/gen-khard-4.0.vcf'), ...load('pim/contacts/evolution2-3.0-umlauts.vcf'), ...load('pim/contacts/gmail-3.0-multi.vcf')];
  const events = [...load('pim/calendars/korganizer31-private.ics'), ...load('pim/calendars/korganizer32-confidential.ics'), ...load('pim/calendars/mozilla10-private-todo.ics'), ...load('pim/calendars/google-birthdays.ics')];

  it('drops Personal contacts entirely, keeps the others without birthdays', () => {
    const out = filterQuads(work, contacts);
    const khard = 'https://w3id.org/semsync/id/contact/kdan7frs601fzg21gt0m0t7731lekbloi1wh';
    expect(about(contacts, khard).length).toBeGreaterThan(0);
    expect(out.some((q) => q.subject.value.startsWith(khard) || q.object.value.startsWith(khard))).toBe(false);
    const evo = 'https://w3id.org/semsync/id/contact/pas-id-421A5F6100000014';
    expect(value(out, evo, VCARD('fn').value)).toBe('Titleö Firstä Middleü Lastß Suffixö');
    expect(value(out, evo, VCARD('bday').value)).toBeUndefined();
    expect(value(out, evo, SS('sourceText').value)).not.toMatch(/BDAY/);
    // what the work side exports has no birthday either
    expect(exportVcf(out, [evo])).not.toMatch(/BDAY/);
    expect(subjects(out, VCARD('Individual').value).size).toBe(4);
  });

  it('drops PRIVATE and CONFIDENTIAL events and todos and birthday events, keeps the rest', () => {
    const out = filterQuads(work, events);
    const kept = subjects(out, ICAL('Vevent').value);
    const all = [...subjects(events, ICAL('Vevent').value), ...subjects(events, ICAL('Vtodo').value)];
    for (const s of all) {
      const cls = value(events, s, ICAL('class').value);
      const uid = value(events, s, ICAL('uid').value) ?? '';
      const cats = events.filter((q) => q.subject.value === s && q.predicate.equals(ICAL('categories'))).map((q) => q.object.value);
      const bad = cls === 'PRIVATE' || cls === 'CONFIDENTIAL' || /birthday/i.test(uid) || cats.includes('Personal') || cats.includes('Birthday');
      expect(kept.has(s) || subjects(out, ICAL('Vtodo').value).has(s), s).toBe(!bad);
      if (bad) expect(out.some((q) => q.subject.value === s || q.object.value === s)).toBe(false);
    }
    expect(kept.size).toBeGreaterThan(5);
    expect(out.some((q) => /birthday/i.test(q.subject.value))).toBe(false);
  });

  it('a personal policy keeps everything, birthdays included', () => {
    expect(filterQuads(personal, contacts)).toEqual(contacts);
    expect(filterQuads(personal, events)).toEqual(events);
    expect(filterQuads(undefined, events)).toEqual(events);
  });

  it('the per-peer hook agrees with filterQuads and caches per item', () => {
    const all = [...contacts, ...events];
    const bySubject = new Map<string, Quad[]>();
    for (const q of all) bySubject.set(q.subject.value, [...(bySubject.get(q.subject.value) ?? []), q]);
    let lookups = 0;
    const hook = policyHook(
      (peer) => (peer === 'company' ? work : peer === 'phone' ? personal : undefined),
      (iri) => (lookups++, bySubject.get(iri) ?? []),
    );
    const viaHook = all.filter((q) => hook('company', q));
    const viaFilter = filterQuads(work, all);
    const key = (q: Quad) => `${q.subject.value} ${q.predicate.value} ${q.object.value}`;
    const rewritten = new Set(viaFilter.filter((q) => !all.includes(q)).map((q) => q.subject.value + q.predicate.value));
    // same quads, except the contact source texts filterQuads rewrote (the hook drops them)
    expect(viaHook.map(key).sort()).toEqual(viaFilter.filter((q) => !rewritten.has(q.subject.value + q.predicate.value)).map(key).sort());
    expect(all.every((q) => hook('phone', q))).toBe(true);
    const items = new Set(all.flatMap((q) => [pimItemOf(q.subject.value)?.item, pimItemOf(q.subject.value)?.master]).filter(Boolean));
    // one look-up per item and peer (two peers asked), not one per quad
    expect(lookups).toBeLessThanOrEqual(2 * items.size);
    expect(lookups).toBeLessThan(all.length / 4);
    hook.invalidate();
  });

  it('allowedItem judges one item from its quads', () => {
    const s = 'https://w3id.org/semsync/id/event/KOrganizer-2056335629.565';
    expect(value(events, s, ICAL('class').value)).toBe('PRIVATE');
    expect(allowedItem(work, about(events, s))).toBe(false);
    expect(allowedItem(personal, about(events, s))).toBe(true);
  });
});

describe('a series stored only as overrides (Google birthdays)', () => {
  const GRAPH = n3.DataFactory.namedNode('https://w3id.org/semsync/id/graph/nodeA/pim/calendar');
  const read = readPimBytes('calendar', readFileSync(path.join(PIM_DIR, 'calendars', 'google-birthdays.ics')));
  const bare = read.groups.find((g) => !g.quads.some((q) => q.subject.value === g.master))!;
  // As the store holds it: every quad in the node's calendar graph, the master carrying only its revision.
  const quads = [...bare.quads, n3.DataFactory.quad(n3.DataFactory.namedNode(bare.master), SS('revision'), n3.DataFactory.literal('1.0'))].map((q) => n3.DataFactory.quad(q.subject, q.predicate, q.object, GRAPH));
  const about = (iri: string) => quads.filter((q) => q.subject.value === iri);
  const overrides = (master: string) => quads.filter((q) => q.subject.value.startsWith(master + '/rid-'));
  const masterQuads = about(bare.master);

  it('the master (its IRI, UID, revision) is withheld with its overrides, from a work peer and a work server', () => {
    expect(masterQuads.length).toBe(1);
    expect(allowedGroup(work, quads, bare.master)).toBe(false);
    expect(allowedGroup(personal, quads, bare.master)).toBe(true);
    expect(filterQuads(work, quads)).toEqual([]);
    const hook = policyHook((peer) => (peer === 'work' ? work : peer === 'phone' ? personal : undefined), about, overrides);
    expect(masterQuads.every((q) => !hook('work', q))).toBe(true);
    expect(quads.every((q) => hook('phone', q))).toBe(true);
  });

  it('a peer whose policy is not chosen yet gets no PIM quad at all (items and time zones)', () => {
    const hook = policyHook(() => undefined, about, overrides);
    expect(quads.some((q) => hook('stranger', q))).toBe(false);
    const tz = n3.DataFactory.quad(n3.DataFactory.namedNode('https://w3id.org/semsync/id/timezone/abc'), SS('sourceText'), n3.DataFactory.literal('BEGIN:VTIMEZONE'), GRAPH);
    expect(hook('stranger', tz)).toBe(false);
    const file = n3.DataFactory.quad(n3.DataFactory.namedNode('file:///x.epub'), SS('x'), n3.DataFactory.literal('y'), n3.DataFactory.namedNode('https://w3id.org/semsync/id/graph/nodeA/share/Books'));
    expect(hook('stranger', file)).toBe(true);
  });
});

describe('field clocks and birthdays', () => {
  it('a work policy sends no BDAY in a version\'s clocks (its hash, or a conflict\'s other side), to a server or a peer', () => {
    const m = 'https://w3id.org/semsync/id/contact/bd1';
    const g = n3.DataFactory.namedNode('https://w3id.org/semsync/id/graph/A/pim/contacts');
    const read = (bday: string) => readPimBytes('contacts', Buffer.from(`BEGIN:VCARD\r\nVERSION:3.0\r\nUID:bd1\r\nFN:Bea\r\nBDAY:${bday}\r\nEND:VCARD\r\n`)).groups[0].quads.map((q) => n3.DataFactory.quad(q.subject, q.predicate, q.object, g));
    const v = (author: string, rev: string, quads: Quad[]) => ({ author, quads: [...quads, n3.DataFactory.quad(n3.DataFactory.namedNode(m), FIELD_CLOCKS, n3.DataFactory.literal(versionClocks(m, undefined, quads, author, rev)), g)] });
    const both = mergeVersions(m, [v('A', '2.0', read('1980-01-02')), v('B', '1.0', read('1981-03-04'))])!;
    expect(both.conflicts.map((c) => c.field)).toEqual(['BDAY']);
    const mine = read('1980-01-02');
    const clocks = n3.DataFactory.quad(n3.DataFactory.namedNode(m), FIELD_CLOCKS, n3.DataFactory.literal(versionClocks(m, both, mine, 'A', '3.0')), g);
    expect(clocks.object.value).toContain('1981-03-04');
    const out = filterQuads(work, [...mine, clocks]);
    const sent = out.find((q) => q.predicate.equals(FIELD_CLOCKS))!.object.value;
    expect(sent).not.toMatch(/BDAY|1981|1980/);
    expect(JSON.parse(sent).f.FN).toHaveLength(2); // Bea, set on both nodes: two dots, one value
    expect(filterQuads(personal, [clocks])[0].object.value).toContain('1981-03-04');
    const hook = policyHook((peer) => (peer === 'work' ? work : personal), (iri) => mine.filter((q) => q.subject.value === iri));
    expect(hook('work', clocks)).toBe(false);
    expect(hook('phone', clocks)).toBe(true);
  });
});
