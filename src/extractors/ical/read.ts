// A .ics file's bytes → VTIMEZONE resources and one item per VEVENT / VTODO / VJOURNAL, each with its own problems.
import type { Quad } from '@rdfjs/types';
import { ICAL as CAL, RDF, SS } from '../../graph/vocab.js';
import type { PimItem, PimRead } from '../vcard/read.js';
import { blockText, decodeText, logicalLines, propName, splitBlocks, valueOf, type Block, type ContentLine } from './lines.js';
import { KINDS, calendarItemIri, mapCalendarItem } from './map.js';
import { parseComponentLines, rawValues } from './parse.js';
import { QuadList, namedNode, renameItem, sha256Hex } from './quads.js';
import { TimezoneTable } from './timezones.js';

export interface CalendarRead extends PimRead {
  /** Quads describing the VTIMEZONEs (ical:Vtimezone, ical:tzid, ss:sourceText), shared by the items. */
  timezoneQuads: Quad[];
  /** Calendar-level properties (PRODID, METHOD, X-WR-CALNAME …), from the first VCALENDAR. */
  calendar: Record<string, string>;
}

/** Reads every calendar item of an .ics file (one or several VCALENDARs). Never throws. */
export function readCalendars(bytes: Uint8Array): CalendarRead {
  const errors: string[] = [];
  const lines: ContentLine[] = logicalLines(bytes).map((raw) => {
    const { text, ok } = decodeText(raw.bytes);
    if (!ok) errors.push(`line ${raw.line}: not valid UTF-8, read as Windows-1252`);
    return { text, line: raw.line };
  });
  const { blocks, outer, errors: blockErrors } = splitBlocks(lines, 'VCALENDAR');
  errors.push(...blockErrors);
  const calendar: Record<string, string> = {};
  for (const l of outer) {
    const name = propName(l.text);
    if (name !== 'BEGIN' && name !== 'END' && !(name in calendar)) calendar[name] = valueOf(l.text);
  }
  const zones = new TimezoneTable(blocks.filter((b) => b.name === 'VTIMEZONE').map((b) => b.lines));
  const items: PimItem[] = [];
  const used = new Set<string>();
  for (const b of blocks) {
    if (b.name === 'VTIMEZONE') continue;
    if (!KINDS[b.name.toLowerCase()]) {
      errors.push(`line ${b.lines[0].line}: ${b.name} is not described (only VEVENT, VTODO, VJOURNAL)`);
      continue;
    }
    const before = zones.errors.length;
    const item = readCalendarBlock(b, zones);
    item.errors.push(...zones.errors.slice(before).map((e) => `${b.name} at line ${item.line}: ${e}`));
    if (used.has(item.iri.value)) {
      const again = namedNode(`${item.iri.value}/dup-${sha256Hex(item.sourceText).slice(0, 16)}`);
      item.errors.push(`the same UID (and RECURRENCE-ID) as an earlier item in this file: kept as ${again.value}`);
      item.quads = renameItem(item.quads, item.iri, again);
      item.iri = again;
    }
    used.add(item.iri.value);
    items.push(item);
  }
  errors.push(...zones.errors.filter((e) => e.startsWith('VTIMEZONE')));
  return { items, errors, timezoneQuads: zones.quads.quads, calendar };
}

/** Reads one VEVENT / VTODO / VJOURNAL from its lines, resolving TZIDs with `zones`. */
export function readCalendarBlock(b: Block, zones: TimezoneTable): PimItem {
  const errors: string[] = [];
  const sourceText = blockText(b.lines);
  const { jcal: comp, kept } = parseComponentLines(b.lines, 'icalendar', errors);
  const line = b.lines[0]?.line ?? 0;
  const q = new QuadList();
  const iri = comp ? calendarItemIri(comp, sourceText) : calendarItemIri([b.name.toLowerCase(), [], []], sourceText);
  if (comp) mapCalendarItem(q, iri, comp, rawValues(kept), sourceText, zones, errors);
  else {
    q.add(iri, RDF('type'), CAL(KINDS[b.name.toLowerCase()].cls));
    q.text(iri, SS('sourceText'), sourceText);
  }
  return { iri, quads: q.quads, errors: errors.map((e) => `${b.name} at line ${line}: ${e}`), sourceText, line };
}

/** Reads one item back from its stored source text, with the stored VTIMEZONE texts it refers to. */
export function readCalendarItemText(sourceText: string, timezoneTexts: readonly string[]): PimItem {
  const lines = sourceText.split('\n').map((text, i) => ({ text, line: i + 1 }));
  const name = valueOf(lines[0]?.text ?? '').trim().toUpperCase();
  return readCalendarBlock({ name, lines }, TimezoneTable.fromTexts(timezoneTexts));
}
