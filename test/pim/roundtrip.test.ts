// Import → export → import gives the same quads for every corpus file; an edit in the graph shows in the export.
import { describe, expect, it } from 'vitest';
import n3 from 'n3';
import oxigraph from 'oxigraph';
import type { Quad } from '@rdfjs/types';
import { ICAL, SS, VCARD } from '../../src/graph/vocab.js';
import { readCalendars } from '../../src/extractors/ical/index.js';
import { readVcards } from '../../src/extractors/vcard/index.js';
import { exportIcs, exportVcf } from '../../src/pim/export.js';
import { corpusFiles, readCorpusFile } from './corpus.js';

const { literal, quad } = n3.DataFactory;
const key = (q: Quad) => `${q.subject.value} ${q.predicate.value} ${q.object.termType}:${q.object.value}${q.object.termType === 'Literal' ? `^^${q.object.datatype.value}` : ''}`;
const keys = (qs: Quad[]) => [...new Set(qs.map(key))].sort();

function importText(text: string, vcf: boolean) {
  const bytes = Buffer.from(text, 'utf8');
  if (vcf) return { ...readVcards(bytes), timezoneQuads: [] as Quad[] };
  return readCalendars(bytes);
}

function allQuads(r: { items: { quads: Quad[] }[]; timezoneQuads?: Quad[] }): Quad[] {
  return [...(r.timezoneQuads ?? []), ...r.items.flatMap((i) => i.quads)];
}

describe('round trip: import → export → import', () => {
  for (const rel of [...corpusFiles('.vcf'), ...corpusFiles('.ics')]) {
    it(`changes nothing for ${rel}`, () => {
      const vcf = rel.endsWith('.vcf');
      const first = vcf ? { ...readCorpusFile(rel), timezoneQuads: [] } : (readCorpusFile(rel) as ReturnType<typeof readCalendars>);
      const q1 = allQuads(first);
      const iris = first.items.map((i) => i.iri);
      const text = vcf ? exportVcf(q1, iris) : exportIcs(q1, iris);
      const second = importText(text, vcf);
      expect(second.items.length).toBe(first.items.length);
      expect(keys(allQuads(second))).toEqual(keys(q1));
      // and exporting again writes the same text
      const again = vcf ? exportVcf(allQuads(second), second.items.map((i) => i.iri)) : exportIcs(allQuads(second), second.items.map((i) => i.iri));
      expect(again).toBe(text);
    });
  }
});

describe('an edit in the graph shows in the export, unmodelled lines are kept', () => {
  it('event: new summary and category, VALARM and X- properties carried through', () => {
    const r = readCorpusFile('pim/generated/gen-khal-recurring.ics') as ReturnType<typeof readCalendars>;
    const item = r.items[0];
    const quads = [...r.timezoneQuads, ...item.quads].filter((q) => !(q.subject.equals(item.iri) && q.predicate.equals(ICAL('summary'))));
    quads.push(quad(item.iri, ICAL('summary'), literal('Stand-up, moved; new name')));
    const text = exportIcs(quads, [item.iri]);
    expect(text).toContain('SUMMARY:Stand-up\\, moved\\; new name');
    expect(text).toContain('BEGIN:VALARM');
    expect(text).toContain('BEGIN:VTIMEZONE');
    const back = readCalendars(Buffer.from(text));
    const s = back.items[0];
    expect(s.iri.value).toBe(item.iri.value);
    expect(s.quads.find((q) => q.predicate.equals(ICAL('summary')))?.object.value).toBe('Stand-up, moved; new name');
    const same = (qs: Quad[]) => keys(qs.filter((q) => !q.predicate.equals(ICAL('summary')) && !q.predicate.equals(SS('sourceText'))));
    expect(same(s.quads)).toEqual(same(item.quads));
  });

  it('contact: a new e-mail address and no birthday, PHOTO and X- lines carried through', () => {
    const r = readCorpusFile('pim/contacts/thunderbird-3.0-categories.vcf');
    const item = r.items[0];
    const quads = item.quads.filter((q) => !q.predicate.equals(VCARD('bday')));
    quads.push(quad(item.iri, VCARD('hasEmail'), n3.DataFactory.namedNode('mailto:new@example.org')));
    const text = exportVcf(quads, [item.iri]);
    expect(text).not.toMatch(/^BDAY/m);
    expect(text).toContain('EMAIL:new@example.org');
    expect(text).toMatch(/^PHOTO/m);
    const back = readVcards(Buffer.from(text)).items[0];
    const emails = back.quads.filter((q) => q.predicate.equals(VCARD('hasEmail'))).map((q) => q.object.value);
    expect(emails).toContain('mailto:new@example.org');
    expect(emails).toContain('mailto:doe.john@hotmail.com');
    expect(back.quads.some((q) => q.predicate.equals(VCARD('bday')))).toBe(false);
  });

  it('an item made in the graph (no source text) is written from its modelled fields', () => {
    const s = n3.DataFactory.namedNode('https://w3id.org/semsync/id/event/made-here');
    const x = n3.DataFactory;
    const quads = [
      quad(s, x.namedNode('http://www.w3.org/1999/02/22-rdf-syntax-ns#type'), ICAL('Vevent')),
      quad(s, ICAL('uid'), literal('made-here')),
      quad(s, ICAL('summary'), literal('Lunch')),
      quad(s, ICAL('dtstart'), literal('2024-05-06T12:30:00+02:00', x.namedNode('http://www.w3.org/2001/XMLSchema#dateTime'))),
      quad(s, SS('dtstartTzid'), literal('Europe/Berlin')),
      quad(s, ICAL('class'), literal('PRIVATE')),
    ];
    const text = exportIcs(quads, [s], { now: new Date('2024-01-01T00:00:00Z') });
    expect(text).toContain('DTSTART;TZID=Europe/Berlin:20240506T123000');
    const back = readCalendars(Buffer.from(text)).items[0];
    expect(back.iri.value).toBe(s.value);
    const get = (p: string) => back.quads.find((q) => q.predicate.value === p)?.object.value;
    expect(get(ICAL('dtstart').value)).toBe('2024-05-06T12:30:00+02:00');
    expect(get(ICAL('class').value)).toBe('PRIVATE');
  });
});

describe('round trip through the oxigraph store (it canonicalises literals)', () => {
  const london = ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//t//EN', 'BEGIN:VEVENT', 'UID:winter-london', 'DTSTART;TZID=Europe/London:20240115T090000',
    'DTEND;TZID=Europe/London:20240115T100000', 'SUMMARY:Zero offset', 'END:VEVENT', 'END:VCALENDAR', ''].join('\r\n');
  const cases: [string, () => { items: { iri: n3.NamedNode; quads: Quad[] }[]; timezoneQuads?: Quad[] }][] = [
    ['pim/calendars/apple-ical15-todos.ics', () => readCorpusFile('pim/calendars/apple-ical15-todos.ics') as ReturnType<typeof readCalendars>],
    ['pim/calendars/lastfm-geo-swapped.ics', () => readCorpusFile('pim/calendars/lastfm-geo-swapped.ics') as ReturnType<typeof readCalendars>],
    ['pim/contacts/kaddressbook-3.0-geo-photo.vcf', () => readCorpusFile('pim/contacts/kaddressbook-3.0-geo-photo.vcf')],
    ['Europe/London in winter (offset 0)', () => readCalendars(Buffer.from(london))],
  ];
  for (const [name, load] of cases) {
    it(`exports unchanged after a store round trip: ${name}`, () => {
      const first = load();
      const q1 = allQuads(first);
      const store = new oxigraph.Store();
      for (const q of q1) store.add(q as never);
      const q2 = store.match() as unknown as Quad[];
      const vcf = name.endsWith('.vcf');
      const iris = first.items.map((i) => i.iri);
      const direct = vcf ? exportVcf(q1, iris) : exportIcs(q1, iris);
      const viaStore = vcf ? exportVcf(q2, iris) : exportIcs(q2, iris);
      expect(viaStore).toBe(direct);
      expect(keys(allQuads(importText(viaStore, vcf)))).toEqual(keys(q1));
    });
  }
});
