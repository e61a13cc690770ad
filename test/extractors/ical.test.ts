// iCalendar extractor: every corpus .ics against pim/manifest.json, the RDF shape, bad input, registration.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ICAL, SS, XSD, contentIri } from '../../src/graph/vocab.js';
import { describeContent } from '../../src/extractors/registry.js';
import { readCalendars } from '../../src/extractors/ical/index.js';
import { compareCorpus, corpusFiles, manifest, readCorpusFile } from '../pim/corpus.js';

/** Why remaining disagreements are expected (file field → reason); none are left today. */
const REASONS: Record<string, string> = {};

const tmp = mkdtempSync(path.join(tmpdir(), 'semsync-ical-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('iCalendar corpus', () => {
  it('reads every .ics in the corpus folder, and the manifest lists them all', () => {
    const files = corpusFiles('.ics');
    expect(files.length).toBeGreaterThanOrEqual(18);
    const listed = new Set(manifest().map((e) => e.path));
    for (const f of files) {
      expect(listed.has(f), f).toBe(true);
      expect(readCorpusFile(f).items.length, f).toBeGreaterThan(0);
    }
  });

  it('agrees with the reference readings field by field (≥ 98%)', () => {
    const r = compareCorpus('icalendar');
    const rate = r.agreed / r.compared;
    console.log(`iCalendar: ${r.files} files, ${r.components} items, ${r.agreed}/${r.compared} fields agree (${(rate * 100).toFixed(2)}%)`);
    for (const d of r.disagreements) {
      const reason = REASONS[`${path.basename(d.file)} ${d.field}`] ?? 'UNEXPLAINED';
      console.log(`  ${d.file} ${d.component} ${d.field}: manifest ${JSON.stringify(d.manifest)} / ours ${JSON.stringify(d.ours)} — ${reason}`);
    }
    expect(rate).toBeGreaterThanOrEqual(0.98);
  });

  const item = (rel: string, iri: string) => {
    const r = readCorpusFile(rel) as ReturnType<typeof readCalendars>;
    const found = r.items.find((i) => i.iri.value === iri);
    expect(found, iri).toBeDefined();
    const get = (p: string) => found!.quads.filter((q) => q.subject.value === iri && q.predicate.value === p).map((q) => q.object);
    return { r, get };
  };

  it('keeps TZIDs, offsets, overrides (RECURRENCE-ID in the IRI), EXDATE/RDATE and links the VTIMEZONE', () => {
    const base = 'https://w3id.org/semsync/id/event/623c13c0-6c2b-45d6-a12b-c33ad61c4868';
    const master = item('pim/calendars/zimbra-rdate-exdate.ics', base);
    expect(master.get(ICAL('dtstart').value).map((o) => o.value)).toEqual(['2012-10-02T10:00:00-07:00']);
    expect(master.get(SS('dtstartTzid').value).map((o) => o.value)).toEqual(['America/Los_Angeles']);
    expect(master.get(ICAL('rrule').value).map((o) => o.value)).toEqual(['FREQ=MONTHLY;BYDAY=1TU']);
    expect(master.get(ICAL('exdate').value).map((o) => o.value)).toContain('2012-12-04T10:00:00-08:00');
    expect(master.get(ICAL('rdate').value).length).toBe(2);
    const tz = master.get(SS('timezone').value)[0];
    expect(master.r.timezoneQuads.some((q) => q.subject.equals(tz) && q.predicate.equals(ICAL('tzid')) && q.object.value === 'America/Los_Angeles')).toBe(true);
    const override = item('pim/calendars/zimbra-rdate-exdate.ics', `${base}/rid-20121002T100000`);
    expect(override.get(ICAL('recurrenceId').value).map((o) => o.value)).toEqual(['2012-10-02T10:00:00-07:00']);
  });

  it('types all-day dates as xsd:date and todo fields as RDF Calendar terms', () => {
    const allDay = item('pim/generated/gen-khal-allday.ics', 'https://w3id.org/semsync/id/event/DOJ7AQ2RYVFYX475N9QQU8YJHLYUVE7UE507');
    const start = allDay.get(ICAL('dtstart').value)[0];
    expect(start.termType === 'Literal' && start.datatype.value).toBe(XSD('date').value);
    const todo = item('pim/calendars/evolution-task.ics', 'https://w3id.org/semsync/id/todo/20090401T145153Z-22321-1000-1-18%40pohly-MOBL');
    expect(todo.get(ICAL('percentComplete').value).map((o) => o.value)).toEqual(['99']);
    expect(todo.get(ICAL('due').value).map((o) => o.value)).toEqual(['2009-05-02T13:00:00-04:00']);
    expect(todo.get(ICAL('completed').value).map((o) => o.value)).toEqual(['2009-04-01T03:00:00Z']);
    expect(todo.get(ICAL('categories').value).map((o) => o.value).sort()).toEqual(['Business', 'Waiting']);
  });
});

describe('iCalendar bad input', () => {
  const ics = [
    'BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//test//EN',
    'BEGIN:VTIMEZONE', 'TZID:Broken/Zone', 'BEGIN:STANDARD', 'THIS IS GARBAGE', 'END:STANDARD', 'END:VTIMEZONE',
    'BEGIN:VEVENT', 'UID:ok-1', 'DTSTART:20240101T100000Z', 'SUMMARY:Fine', 'END:VEVENT',
    'BEGIN:VEVENT', 'UID:tz-2', 'DTSTART;TZID=Mars/Olympus_Mons:20240102T100000', 'DTEND;TZID=Broken/Zone:20240102T110000', 'SUMMARY:Broken zones', 'END:VEVENT',
    'BEGIN:VEVENT', 'UID:bad-3', 'SUMMARY:Bad lines', 'NO COLON ON THIS LINE', 'X-FINE:kept', 'FROBNICATE:unknown', 'DTSTART:2024-13-45', 'GEO:north;east', 'RRULE:FREQ=', 'END:VEVENT',
    'BEGIN:VTODO', 'UID:ok-4', 'SUMMARY:Still here', 'PRIORITY:1', 'END:VTODO',
    'END:VCALENDAR',
  ].join('\r\n');

  it('reports each broken item and keeps what it can read; the rest imports', () => {
    const r = readCalendars(Buffer.from(ics));
    expect(r.items.map((i) => i.iri.value.split('/').pop())).toEqual(['ok-1', 'tz-2', 'bad-3', 'ok-4']);
    const [ok, tz, bad, todo] = r.items;
    expect(ok.errors).toEqual([]);
    expect(todo.errors).toEqual([]);
    expect(tz.errors.join('\n')).toMatch(/unknown time zone "Mars\/Olympus_Mons"/);
    expect(tz.errors.join('\n')).toMatch(/unknown time zone "Broken\/Zone"/);
    const start = tz.quads.find((q) => q.predicate.equals(ICAL('dtstart')))!.object.value;
    expect(start).toBe('2024-01-02T10:00:00'); // kept, without an offset
    expect(tz.quads.some((q) => q.predicate.equals(SS('dtstartTzid')) && q.object.value === 'Mars/Olympus_Mons')).toBe(true);
    const errors = bad.errors.join('\n');
    expect(errors).toMatch(/unreadable, skipped.*NO COLON/);
    expect(errors).toMatch(/unknown property FROBNICATE/);
    expect(errors).toMatch(/unreadable DTSTART/);
    expect(errors).toMatch(/unreadable GEO/);
    expect(bad.quads.find((q) => q.predicate.equals(ICAL('summary')))?.object.value).toBe('Bad lines');
    expect(bad.sourceText).toContain('X-FINE:kept');
    expect(r.errors.join('\n')).toMatch(/VTIMEZONE Broken\/Zone/);
  });

  it('goes through describeContent as the ical family, items hanging off the content', async () => {
    const p = path.join(tmp, 'cal.ics');
    writeFileSync(p, ics);
    const content = contentIri('ab');
    const d = await describeContent(p, content, { size: Buffer.byteLength(ics) });
    expect(d.mime).toBe('text/calendar');
    expect(d.extractor).toBe('ical');
    const contained = d.quads.filter((q) => q.subject.equals(content) && q.predicate.equals(SS('contains'))).map((q) => q.object.value);
    expect(contained.length).toBe(4);
    expect(d.quads.some((q) => q.subject.equals(content) && q.predicate.equals(ICAL('prodid')) && q.object.value === '-//test//EN')).toBe(true);
    expect(d.errors.length).toBeGreaterThan(3);
  });
});
