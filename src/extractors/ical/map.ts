// One VEVENT / VTODO / VJOURNAL (jCal from ical.js) → quads in RDF Calendar terms, with TZIDs and the source text kept.
import ICAL from 'ical.js';
import type { Literal, NamedNode } from '@rdfjs/types';
import { GEO, ICAL as CAL, RDF, SS, XSD, pimHashIri, pimItemIri, type PimKind } from '../../graph/vocab.js';
import { firstString, param, prop, props, values, type JCal, type JProp } from './parse.js';
import { type QuadList, literal, plainText, sha256Hex } from './quads.js';
import type { TimezoneTable } from './timezones.js';

export const KINDS: Record<string, { kind: PimKind; cls: string }> = {
  vevent: { kind: 'event', cls: 'Vevent' },
  vtodo: { kind: 'todo', cls: 'Vtodo' },
  vjournal: { kind: 'journal', cls: 'Vjournal' },
};

/** Date properties: iCalendar name → RDF Calendar term; the TZID goes to ss:<term>Tzid. */
export const DATE_PROPS: Record<string, string> = {
  dtstart: 'dtstart', dtend: 'dtend', due: 'due', completed: 'completed', 'recurrence-id': 'recurrenceId',
  exdate: 'exdate', rdate: 'rdate',
};

/** The compact form of a RECURRENCE-ID used in an override's IRI: `20121002T100000` (+`Z` when UTC). */
export function recurrenceKey(comp: JCal): string | undefined {
  const v = firstString(prop(comp, 'recurrence-id'));
  return v ? v.replace(/[-:]/g, '') : undefined;
}

/** The item IRI: from UID (+ RECURRENCE-ID), else from the hash of the source text. */
export function calendarItemIri(comp: JCal, sourceText: string): NamedNode {
  const kind = KINDS[comp[0]]?.kind ?? 'event';
  const uid = plainText(firstString(prop(comp, 'uid')))?.trim();
  return uid ? pimItemIri(kind, uid, recurrenceKey(comp)) : pimHashIri(kind, sha256Hex(sourceText));
}

/** Writes the quads of one calendar item into `q`. */
export function mapCalendarItem(
  q: QuadList,
  s: NamedNode,
  comp: JCal,
  raw: Map<string, string[]>,
  sourceText: string,
  zones: TimezoneTable,
  errors: string[],
): void {
  const info = KINDS[comp[0]];
  q.add(s, RDF('type'), CAL(info?.cls ?? 'Vevent'));
  q.text(s, SS('sourceText'), sourceText);
  q.text(s, CAL('uid'), plainText(firstString(prop(comp, 'uid')))?.trim());
  for (const name of ['summary', 'description', 'location', 'comment'] as const) {
    for (const p of props(comp, name)) q.text(s, CAL(name), textOf(p));
  }
  for (const name of ['class', 'status'] as const) {
    for (const p of props(comp, name)) q.text(s, CAL(name), textOf(p)?.trim().toUpperCase());
  }
  for (const p of props(comp, 'priority')) q.integer(s, CAL('priority'), p[3]);
  for (const p of props(comp, 'percent-complete')) q.integer(s, CAL('percentComplete'), p[3]);
  for (const p of props(comp, 'categories')) for (const v of values(p)) q.text(s, CAL('categories'), v);
  for (const p of props(comp, 'duration')) {
    const d = plainText(p[3]);
    if (d && /^[+-]?P(\d+W|(\d+D)?(T(\d+H)?(\d+M)?(\d+S)?)?)$/.test(d)) {
      // ical.js's normal form (P0DT1H30M0S → PT1H30M), also a valid xsd:duration
      q.add(s, CAL('duration'), literal(ICAL.Duration.fromString(d).toString(), XSD('duration')));
    } else errors.push(`unreadable DURATION ${JSON.stringify(p[3])}`);
  }
  for (const p of props(comp, 'rrule')) {
    const r = canonicalRrule(p);
    if (r) q.text(s, CAL('rrule'), r);
    else errors.push(`unreadable RRULE ${JSON.stringify(p[3])}`);
  }
  // GEO is checked against its raw text: ical.js reads an empty `GEO:;` as 0;0 and `12.3\;4.5` as one number.
  props(comp, 'geo').forEach((p, i) => {
    const v = p[3];
    const text = raw.get('geo')?.[i] ?? '';
    const lat = Array.isArray(v) ? Number(v[0]) : NaN;
    const lon = Array.isArray(v) ? Number(v[1]) : NaN;
    if (GEO_TEXT.test(text) && Array.isArray(v) && Number.isFinite(lat) && Number.isFinite(lon) && Math.abs(lat) <= 90 && Math.abs(lon) <= 180) {
      q.double(s, GEO('lat'), lat);
      q.double(s, GEO('long'), lon);
    } else errors.push(`unreadable GEO ${JSON.stringify(text)}`);
  });
  const unknownZones = new Set<string>();
  for (const [name, term] of Object.entries(DATE_PROPS)) {
    props(comp, name).forEach((p, i) => {
      const tzid = param(p, 'tzid')?.trim();
      // ical.js is lenient (it reads RDATE:20131210Z as a date): each raw value must be a DATE, DATE-TIME or PERIOD
      const texts = (raw.get(name)?.[i] ?? '').split(',');
      values(p).forEach((v, j) => {
        const lit = RAW_DATE.test(texts[j]?.trim() ?? '') ? dateValue(p, v, tzid, zones, unknownZones) : undefined;
        if (lit) q.add(s, CAL(term), lit);
        else errors.push(`unreadable ${name.toUpperCase()} value ${JSON.stringify(texts[j] ?? v)}`);
      });
      if (tzid) {
        q.text(s, SS(`${term}Tzid`), tzid);
        const tz = zones.iri(tzid);
        if (tz) q.add(s, SS('timezone'), tz);
      }
    });
  }
  for (const tzid of unknownZones) errors.push(`unknown time zone ${JSON.stringify(tzid)}: its times are kept without an offset`);
}

function textOf(p: JProp): string | undefined {
  return plainText(values(p).map((v) => plainText(v) ?? ''));
}

const GEO_TEXT = /^\s*[+-]?(\d+\.?\d*|\.\d+)\s*;\s*[+-]?(\d+\.?\d*|\.\d+)\s*$/;
const RAW_TIME = '\\d{8}(T\\d{6}Z?)?';
const RAW_DATE = new RegExp(`^${RAW_TIME}(/(${RAW_TIME}|[+-]?P[0-9WDTHMS]+))?$`);
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(Z?)$/;

/**
 * A DATE → xsd:date; a UTC DATE-TIME → xsd:dateTime with `Z`; a DATE-TIME with TZID → xsd:dateTime with the offset
 * the zone has at that time; a floating time → xsd:dateTime without offset. A PERIOD (RDATE) → its text.
 */
export function dateValue(p: JProp, v: unknown, tzid: string | undefined, zones: TimezoneTable, unknown: Set<string>): Literal | undefined {
  if (p[2] === 'period') {
    const t = Array.isArray(v) ? v.join('/') : plainText(v);
    return t ? literal(t) : undefined;
  }
  if (typeof v !== 'string') return undefined;
  if (p[2] === 'date' || DATE.test(v)) return DATE.test(v) && validDate(v) ? literal(v, XSD('date')) : undefined;
  const m = DATE_TIME.exec(v);
  if (!m || !validDate(m[1].slice(0, 10)) || Number(m[1].slice(11, 13)) > 23 || Number(m[1].slice(14, 16)) > 59) return undefined;
  if (m[2] === 'Z') return literal(`${m[1]}Z`, XSD('dateTime'));
  if (!tzid) return literal(m[1], XSD('dateTime'));
  const offset = zones.offset(tzid, m[1]);
  if (!offset) unknown.add(tzid);
  return literal(offset ? `${m[1]}${offset}` : m[1], XSD('dateTime'));
}

function validDate(d: string): boolean {
  const month = Number(d.slice(5, 7));
  const day = Number(d.slice(8, 10));
  return month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

/**
 * An RRULE as ical.js reads it, in the manifest's canonical form: upper case, FREQ first, the other parts sorted by
 * name, INTERVAL=1 left out. Undefined when ical.js could not read a FREQ.
 */
export function canonicalRrule(p: JProp): string | undefined {
  const v = p[3];
  if (!v || typeof v !== 'object') return undefined;
  let text: string;
  try {
    text = ICAL.Recur.fromData(v as Record<string, unknown>).toString();
  } catch {
    return undefined;
  }
  return canonicalRruleText(text);
}

/** The canonical form of an RRULE text (see {@link canonicalRrule}). */
export function canonicalRruleText(text: string): string | undefined {
  const parts = text
    .split(';')
    .map((x) => x.trim())
    .filter((x) => x.includes('='))
    .map((x) => {
      const i = x.indexOf('=');
      return [x.slice(0, i).toUpperCase(), x.slice(i + 1).toUpperCase()] as const;
    });
  const freq = parts.find(([k]) => k === 'FREQ');
  if (!freq || !freq[1]) return undefined;
  const rest = parts.filter(([k, v]) => k !== 'FREQ' && !(k === 'INTERVAL' && v === '1')).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return [freq, ...rest].map(([k, v]) => `${k}=${v}`).join(';');
}
