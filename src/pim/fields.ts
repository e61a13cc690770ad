// The modelled fields of contacts and calendar items: how to read each one's value from quads and write it as lines.
import type { Quad, Term } from '@rdfjs/types';
import { GEO, ICAL, SS, VCARD, XSD } from '../graph/vocab.js';
import { unescapeIri } from '../extractors/index.js';

/** Quads indexed by subject, for reading items quickly. */
export class QuadIndex {
  private readonly bySubject = new Map<string, Quad[]>();

  constructor(quads: Iterable<Quad>) {
    for (const q of quads) {
      const list = this.bySubject.get(q.subject.value);
      if (list) list.push(q);
      else this.bySubject.set(q.subject.value, [q]);
    }
  }

  about(s: string): Quad[] {
    return this.bySubject.get(s) ?? [];
  }

  objects(s: string, p: Term): Term[] {
    return this.about(s).filter((q) => q.predicate.equals(p)).map((q) => q.object);
  }

  values(s: string, p: Term): string[] {
    return this.objects(s, p).map((o) => o.value);
  }
}

/** One modelled field: the source properties it owns, its value's signature, and its lines regenerated from the graph. */
export interface Field {
  names: string[];
  sig(g: QuadIndex, s: string): string;
  lines(g: QuadIndex, s: string, version: string): string[];
}

const sorted = (xs: string[]) => JSON.stringify([...xs].sort());
/** A term's value for comparing: a literal with its datatype, `+00:00` read as `Z` (stores canonicalise it so). */
const termKey = (t: Term) => (t.termType === 'Literal' ? `${t.value.replace(/\+00:00$/, 'Z')}^^${t.datatype.value}` : t.value);

/** TEXT escaping (RFC 5545 / 6350): backslash, semicolon, comma, newline. */
export function escapeText(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/;/g, '\\;').replace(/,/g, '\\,').replace(/\r?\n/g, '\\n');
}

function text(name: string, p: Term, upper = false): Field {
  return {
    names: [name],
    sig: (g, s) => sorted(g.values(s, p)),
    lines: (g, s) => g.values(s, p).sort().map((v) => `${name}:${escapeText(upper ? v.toUpperCase() : v)}`),
  };
}

function plain(name: string, p: Term): Field {
  return { names: [name], sig: (g, s) => sorted(g.values(s, p)), lines: (g, s) => g.values(s, p).sort().map((v) => `${name}:${v}`) };
}

function list(name: string, p: Term): Field {
  return {
    names: [name],
    sig: (g, s) => sorted(g.values(s, p)),
    lines: (g, s) => {
      const vs = g.values(s, p).sort();
      return vs.length ? [`${name}:${vs.map(escapeText).join(',')}`] : [];
    },
  };
}

function parts(g: QuadIndex, s: string, terms: readonly string[]): string[] {
  return terms.map((t) => g.values(s, VCARD(t))[0] ?? '');
}

const N_TERMS = ['family-name', 'given-name', 'additional-name', 'honorific-prefix', 'honorific-suffix'];
const ADR_TERMS = ['post-office-box', 'extended-address', 'street-address', 'locality', 'region', 'postal-code', 'country-name'];
/** Structured parts: `;` separates; a `,` inside a part (N additional names) stays a list separator. */
const structured = (xs: string[]) => xs.map((x) => x.split(',').map(escapeText).join(',')).join(';');

/** The vCard fields, in the order a new vCard is written. */
export const VCARD_FIELDS: Field[] = [
  plain('VERSION', SS('vcardVersion')),
  plain('UID', VCARD('uid')),
  text('FN', VCARD('fn')),
  {
    names: ['N'],
    sig: (g, s) => sorted(g.values(s, VCARD('hasName')).map((n) => JSON.stringify(parts(g, n, N_TERMS)))),
    lines: (g, s) => g.values(s, VCARD('hasName')).map((n) => `N:${structured(parts(g, n, N_TERMS))}`),
  },
  list('NICKNAME', VCARD('nickname')),
  {
    names: ['ORG'],
    sig: (g, s) => sorted([...g.values(s, VCARD('organization-name')).map((v) => `n:${v}`), ...g.values(s, VCARD('organization-unit')).map((v) => `u:${v}`)]),
    lines: (g, s) => {
      const names = g.values(s, VCARD('organization-name')).sort();
      const units = g.values(s, VCARD('organization-unit')).sort();
      return names.map((n, i) => `ORG:${[n, ...(i === 0 ? units : [])].map(escapeText).join(';')}`);
    },
  },
  text('TITLE', VCARD('title')),
  text('ROLE', VCARD('role')),
  {
    names: ['EMAIL'],
    sig: (g, s) => sorted(g.values(s, VCARD('hasEmail'))),
    lines: (g, s) => g.values(s, VCARD('hasEmail')).sort().map((v) => `EMAIL:${unescapeIri(v.replace(/^mailto:/i, ''))}`),
  },
  {
    names: ['TEL'],
    sig: (g, s) => sorted(g.values(s, VCARD('hasTelephone'))),
    lines: (g, s, version) =>
      g.values(s, VCARD('hasTelephone')).sort().map((v) => {
        const number = unescapeIri(v.replace(/^tel:/i, ''));
        return version === '4.0' ? `TEL;VALUE=uri:tel:${number}` : `TEL:${number}`;
      }),
  },
  {
    names: ['ADR'],
    sig: (g, s) => sorted(g.values(s, VCARD('hasAddress')).map((a) => JSON.stringify(parts(g, a, ADR_TERMS)))),
    lines: (g, s) => g.values(s, VCARD('hasAddress')).map((a) => `ADR:${structured(parts(g, a, ADR_TERMS))}`).sort(),
  },
  {
    names: ['BDAY'],
    sig: (g, s) => sorted(g.objects(s, VCARD('bday')).map(termKey)),
    lines: (g, s) => g.values(s, VCARD('bday')).sort().map((v) => `BDAY:${v}`),
  },
  list('CATEGORIES', VCARD('category')),
  plain('CLASS', SS('class')),
  {
    names: ['GEO'],
    sig: (g, s) => sorted([...g.values(s, GEO('lat')).map((v) => `lat:${v}`), ...g.values(s, GEO('long')).map((v) => `lon:${v}`)]),
    lines: (g, s, version) => {
      const lat = g.values(s, GEO('lat'))[0];
      const lon = g.values(s, GEO('long'))[0];
      if (lat === undefined || lon === undefined) return [];
      return [version === '4.0' ? `GEO:geo:${lat},${lon}` : `GEO:${lat};${lon}`];
    },
  },
  text('NOTE', VCARD('note')),
  {
    names: ['URL'],
    sig: (g, s) => sorted(g.values(s, VCARD('url'))),
    lines: (g, s) => g.values(s, VCARD('url')).sort().map((v) => `URL:${unescapeIri(v)}`),
  },
];

/** A date literal as an iCalendar line, with its TZID when it has an offset and a zone name. */
export function dateLine(name: string, t: Term, tzid: string | undefined): string {
  if (t.termType !== 'Literal') return `${name}:${t.value}`;
  const v = t.value;
  if (t.datatype.equals(XSD('date'))) return `${name};VALUE=DATE:${v.replace(/-/g, '')}`;
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(Z|[+-]\d{2}:\d{2})?$/.exec(v);
  if (!m || !t.datatype.equals(XSD('dateTime'))) return `${name};VALUE=PERIOD:${v}`;
  const wall = `${m[1]}${m[2]}${m[3]}T${m[4]}${m[5]}${m[6]}`;
  // with a TZID the literal's wall clock is the zone's (its offset, or none when the zone was unknown)
  if (tzid) return `${name};TZID=${/[:;,]/.test(tzid) ? `"${tzid}"` : tzid}:${wall}`;
  if (m[7] === undefined) return `${name}:${wall}`;
  if (m[7] === 'Z') return `${name}:${wall}Z`;
  const utc = new Date(v).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  return `${name}:${utc}`;
}

function date(name: string, term: string): Field {
  const p = ICAL(term);
  const tz = SS(`${term}Tzid`);
  return {
    names: [name],
    sig: (g, s) => sorted([...g.objects(s, p).map(termKey), ...g.values(s, tz).map((v) => `tz:${v}`)]),
    lines: (g, s) => g.objects(s, p).map((o) => dateLine(name, o, g.values(s, tz)[0])).sort(),
  };
}

/** The iCalendar item fields, in the order a new item is written. */
export const ICAL_FIELDS: Field[] = [
  text('UID', ICAL('uid')),
  date('DTSTART', 'dtstart'),
  date('DTEND', 'dtend'),
  date('DUE', 'due'),
  plain('DURATION', ICAL('duration')),
  date('RECURRENCE-ID', 'recurrenceId'),
  plain('RRULE', ICAL('rrule')),
  date('RDATE', 'rdate'),
  date('EXDATE', 'exdate'),
  text('SUMMARY', ICAL('summary')),
  text('DESCRIPTION', ICAL('description')),
  text('LOCATION', ICAL('location')),
  text('COMMENT', ICAL('comment')),
  plain('CLASS', ICAL('class')),
  plain('STATUS', ICAL('status')),
  plain('PRIORITY', ICAL('priority')),
  plain('PERCENT-COMPLETE', ICAL('percentComplete')),
  date('COMPLETED', 'completed'),
  list('CATEGORIES', ICAL('categories')),
  {
    names: ['GEO'],
    sig: (g, s) => sorted([...g.values(s, GEO('lat')).map((v) => `lat:${v}`), ...g.values(s, GEO('long')).map((v) => `lon:${v}`)]),
    lines: (g, s) => {
      const lat = g.values(s, GEO('lat'))[0];
      const lon = g.values(s, GEO('long'))[0];
      return lat === undefined || lon === undefined ? [] : [`GEO:${lat};${lon}`];
    },
  },
];
