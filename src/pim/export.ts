// Export from RDF: contacts → .vcf, calendar items → .ics. Modelled fields come from the graph, the rest from ss:sourceText.
import type { NamedNode, Quad } from '@rdfjs/types';
import { ICAL, RDF, SS, VCARD } from '../graph/vocab.js';
import { foldLine, propName } from '../extractors/index.js';
import { readCalendarItemText } from '../extractors/index.js';
import { readVcardLines } from '../extractors/index.js';
import { ICAL_FIELDS, QuadIndex, VCARD_FIELDS, escapeText, type Field } from './fields.js';

export interface ExportOptions {
  /** DTSTAMP for items the graph made (no source text); default now. */
  now?: Date;
  /** PRODID of the written calendar. */
  prodid?: string;
}

const iriOf = (x: NamedNode | string) => (typeof x === 'string' ? x : x.value);

/**
 * Writes the contacts `itemIris` as one .vcf text (CRLF, folded at 75 octets). Each vCard starts from its stored
 * source text; a modelled field whose value in the graph differs from what the source says is rewritten from the
 * graph, in place; every other line (PHOTO, X- properties, parameters) is carried through as it was. Unchanged
 * items are written exactly as read, so import → export → import gives the same quads.
 */
export function exportVcf(quads: Iterable<Quad> | QuadIndex, itemIris: Iterable<NamedNode | string>): string {
  const g = quads instanceof QuadIndex ? quads : new QuadIndex(quads);
  let out = '';
  for (const x of itemIris) {
    const s = iriOf(x);
    if (g.about(s).length === 0) continue;
    for (const line of vcardLines(g, s)) out += foldLine(line);
  }
  return out;
}

/** The unfolded lines of one contact (BEGIN:VCARD … END:VCARD). */
export function vcardLines(g: QuadIndex, s: string): string[] {
  const source = g.values(s, SS('sourceText'))[0];
  if (source === undefined) return newVcard(g, s);
  const lines = source.split('\n');
  const derived = readVcardLines(lines.map((text, i) => ({ text, line: i + 1 })));
  const version = g.values(s, SS('vcardVersion'))[0] ?? '3.0';
  return rewrite(lines, VCARD_FIELDS, g, s, new QuadIndex(derived.quads), derived.iri.value, version);
}

function newVcard(g: QuadIndex, s: string): string[] {
  const version = g.values(s, SS('vcardVersion'))[0] ?? '3.0';
  const body = VCARD_FIELDS.flatMap((f) => f.lines(g, s, version));
  if (!body.some((l) => l.startsWith('VERSION:'))) body.unshift(`VERSION:${version}`);
  if (!body.some((l) => l.startsWith('FN:'))) body.push(`FN:${escapeText(g.values(s, ICAL('summary'))[0] ?? '')}`);
  if (version !== '4.0' && !body.some((l) => l.startsWith('N:'))) body.push('N:;;;;');
  return ['BEGIN:VCARD', ...body, 'END:VCARD'];
}

/**
 * Writes the calendar items `itemIris` (events, todos, journals; overrides with their masters) as one VCALENDAR,
 * with the VTIMEZONEs they refer to. Same rules as {@link exportVcf}.
 */
export function exportIcs(quads: Iterable<Quad> | QuadIndex, itemIris: Iterable<NamedNode | string>, opts: ExportOptions = {}): string {
  const g = quads instanceof QuadIndex ? quads : new QuadIndex(quads);
  const zones = new Set<string>();
  const items: string[][] = [];
  for (const x of itemIris) {
    const s = iriOf(x);
    if (g.about(s).length === 0) continue;
    for (const tz of g.values(s, SS('timezone'))) zones.add(tz);
    items.push(calendarItemLines(g, s, opts));
  }
  let out = foldLine('BEGIN:VCALENDAR') + foldLine('VERSION:2.0') + foldLine(`PRODID:${opts.prodid ?? '-//semsync//semsync//EN'}`);
  for (const tz of [...zones].sort()) {
    const text = g.values(tz, SS('sourceText'))[0];
    if (text) for (const line of text.split('\n')) out += foldLine(line);
  }
  for (const lines of items) for (const line of lines) out += foldLine(line);
  return out + foldLine('END:VCALENDAR');
}

/** The unfolded lines of one calendar item (BEGIN:VEVENT … END:VEVENT, nested VALARMs included). */
export function calendarItemLines(g: QuadIndex, s: string, opts: ExportOptions = {}): string[] {
  const source = g.values(s, SS('sourceText'))[0];
  if (source === undefined) return newCalendarItem(g, s, opts);
  const zones = g.values(s, SS('timezone')).flatMap((tz) => g.values(tz, SS('sourceText')));
  const derived = readCalendarItemText(source, zones);
  return rewrite(source.split('\n'), ICAL_FIELDS, g, s, new QuadIndex(derived.quads), derived.iri.value, '2.0');
}

function newCalendarItem(g: QuadIndex, s: string, opts: ExportOptions): string[] {
  const types = g.values(s, RDF('type'));
  const name = types.includes(ICAL('Vtodo').value) ? 'VTODO' : types.includes(ICAL('Vjournal').value) ? 'VJOURNAL' : 'VEVENT';
  const stamp = (opts.now ?? new Date()).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  const body = ICAL_FIELDS.flatMap((f) => f.lines(g, s, '2.0'));
  if (!body.some((l) => l.startsWith('UID:'))) body.unshift(`UID:${escapeText(s)}`);
  return [`BEGIN:${name}`, `DTSTAMP:${stamp}`, ...body, `END:${name}`];
}

/**
 * Replaces, in `lines`, the lines of every field whose graph value (`g`, `s`) differs from the value the source
 * reads as (`derived`, `ds`). New lines go where the field's first line was, else before the first nested
 * component (VALARM) or the END line. Only the item's own lines are touched, never those of nested components.
 */
function rewrite(lines: string[], fields: Field[], g: QuadIndex, s: string, derived: QuadIndex, ds: string, version: string): string[] {
  let out = lines;
  for (const f of fields) {
    if (f.sig(g, s) === f.sig(derived, ds)) continue;
    const fresh = f.lines(g, s, version);
    const positions: number[] = [];
    let insertAt = -1;
    let depth = 0;
    out.forEach((line, i) => {
      const name = propName(line);
      if (name === 'BEGIN') {
        depth++;
        if (depth === 2 && insertAt < 0) insertAt = i;
      } else if (name === 'END') {
        if (depth === 1 && insertAt < 0) insertAt = i;
        depth--;
      } else if (depth === 1 && f.names.includes(name)) positions.push(i);
    });
    const at = positions[0] ?? insertAt;
    const removed = new Set(positions);
    const next: string[] = [];
    out.forEach((line, i) => {
      if (i === at) next.push(...fresh);
      if (!removed.has(i)) next.push(line);
    });
    if (at < 0) next.push(...fresh); // a source without END (truncated file): append
    out = next;
  }
  return out;
}

/** The contacts and calendar items in `quads` (subjects typed vcard:Individual/Organization/Group or ical:V*). */
export function pimItems(quads: Iterable<Quad>): { contacts: string[]; calendarItems: string[] } {
  const contacts = new Set<string>();
  const calendarItems = new Set<string>();
  const vcardTypes = new Set(['Individual', 'Organization', 'Group', 'Location'].map((t) => VCARD(t).value));
  const icalTypes = new Set(['Vevent', 'Vtodo', 'Vjournal'].map((t) => ICAL(t).value));
  for (const q of quads) {
    if (!q.predicate.equals(RDF('type'))) continue;
    if (vcardTypes.has(q.object.value)) contacts.add(q.subject.value);
    else if (icalTypes.has(q.object.value)) calendarItems.add(q.subject.value);
  }
  return { contacts: [...contacts], calendarItems: [...calendarItems] };
}
