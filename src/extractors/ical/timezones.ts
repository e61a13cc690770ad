// TZID → UTC offset for a wall-clock time: the file's VTIMEZONE (ical.js), else the IANA zone of that name (Intl).
import ICAL from 'ical.js';
import type { NamedNode } from '@rdfjs/types';
import { ICAL as CAL, RDF, SS, timezoneIri } from '../../graph/vocab.js';
import { blockText, type ContentLine } from './lines.js';
import { parseComponent, prop, firstString, type JCal } from './parse.js';
import { QuadList, sha256Hex } from './quads.js';

/** Windows zone names (Outlook, Exchange) for the IANA zone used when a file names one without a VTIMEZONE. */
const WINDOWS: Record<string, string> = {
  'Eastern Standard Time': 'America/New_York', 'Central Standard Time': 'America/Chicago',
  'Mountain Standard Time': 'America/Denver', 'Pacific Standard Time': 'America/Los_Angeles',
  'GMT Standard Time': 'Europe/London', 'W. Europe Standard Time': 'Europe/Berlin',
  'Romance Standard Time': 'Europe/Paris', 'Central Europe Standard Time': 'Europe/Budapest',
  'Central European Standard Time': 'Europe/Warsaw', 'E. Europe Standard Time': 'Europe/Chisinau',
  'FLE Standard Time': 'Europe/Kiev', 'Tokyo Standard Time': 'Asia/Tokyo', 'China Standard Time': 'Asia/Shanghai',
  'India Standard Time': 'Asia/Kolkata', 'AUS Eastern Standard Time': 'Australia/Sydney', UTC: 'UTC',
};

interface Zone {
  tzid: string;
  /** The VTIMEZONE resource, when the file defines this TZID. */
  iri?: NamedNode;
  ical?: InstanceType<typeof ICAL.Timezone>;
  iana?: string;
}

/** The time zones one calendar file defines, and the quads describing them (ical:Vtimezone with its source text). */
export class TimezoneTable {
  readonly quads = new QuadList();
  readonly errors: string[] = [];
  private readonly zones = new Map<string, Zone>();

  /** `blocks`: the lines of each VTIMEZONE (BEGIN … END). */
  constructor(blocks: readonly (readonly ContentLine[])[]) {
    for (const lines of blocks) this.define(lines);
  }

  /** A table from stored VTIMEZONE texts (ss:sourceText of ical:Vtimezone resources). */
  static fromTexts(texts: readonly string[]): TimezoneTable {
    return new TimezoneTable(texts.map((t) => t.split('\n').map((text, i) => ({ text, line: i + 1 }))));
  }

  private define(lines: readonly ContentLine[]): void {
    const errors: string[] = [];
    const text = blockText(lines);
    const jcal = parseComponent(lines, 'icalendar', errors);
    const tzid = jcal ? firstString(prop(jcal, 'tzid'))?.trim() : undefined;
    if (!jcal || !tzid) {
      this.errors.push(`VTIMEZONE at line ${lines[0]?.line ?? 0} has no TZID, ignored`, ...errors);
      return;
    }
    const iri = timezoneIri(sha256Hex(text));
    this.quads.add(iri, RDF('type'), CAL('Vtimezone'));
    this.quads.text(iri, CAL('tzid'), tzid);
    this.quads.text(iri, SS('sourceText'), text);
    const zone: Zone = { tzid, iri, iana: ianaName(tzid) };
    if (usable(jcal)) {
      try {
        zone.ical = new ICAL.Timezone(new ICAL.Component(jcal));
      } catch (e) {
        errors.push(`cannot use it: ${e instanceof Error ? e.message : String(e)}`);
      }
    } else {
      errors.push(zone.iana ? `incomplete (no STANDARD/DAYLIGHT with DTSTART and TZOFFSETTO): the IANA zone ${zone.iana} is used` : 'incomplete (no STANDARD/DAYLIGHT with DTSTART and TZOFFSETTO)');
    }
    for (const e of errors) this.errors.push(`VTIMEZONE ${tzid}: ${e}`);
    this.zones.set(tzid, zone);
  }

  /** The VTIMEZONE resource for a TZID, if the file defines it. */
  iri(tzid: string): NamedNode | undefined {
    return this.zones.get(tzid)?.iri;
  }

  /**
   * The UTC offset (`+hh:mm`) of the wall-clock time `wall` (`YYYY-MM-DDThh:mm:ss`) in zone `tzid`, or undefined
   * when the zone is unknown (neither a usable VTIMEZONE nor an IANA name).
   */
  offset(tzid: string, wall: string): string | undefined {
    let zone = this.zones.get(tzid);
    if (!zone) {
      zone = { tzid, iana: ianaName(tzid) };
      this.zones.set(tzid, zone);
    }
    let seconds: number | undefined;
    if (zone.ical) {
      try {
        seconds = zone.ical.utcOffset(ICAL.Time.fromDateTimeString(wall));
      } catch {
        seconds = undefined;
      }
    }
    if (seconds === undefined && zone.iana) seconds = intlOffset(zone.iana, wall);
    if (seconds === undefined || !Number.isFinite(seconds)) return undefined;
    return formatOffset(seconds);
  }
}

function usable(jcal: JCal): boolean {
  const parts = jcal[2].filter((c) => c[0] === 'standard' || c[0] === 'daylight');
  return parts.length > 0 && parts.every((c) => prop(c, 'dtstart') && prop(c, 'tzoffsetto'));
}

/** The IANA zone a TZID names: itself, its tail (`/softwarestudio.org/Tzfile/America/New_York`), or a Windows name. */
export function ianaName(tzid: string): string | undefined {
  const t = tzid.trim().replace(/^"|"$/g, '');
  if (WINDOWS[t]) return WINDOWS[t];
  const parts = t.split('/').filter((p) => p !== '');
  for (let i = 0; i < parts.length; i++) {
    const name = parts.slice(i).join('/');
    if (validZone(name)) return name;
  }
  return undefined;
}

const FORMATS = new Map<string, Intl.DateTimeFormat | null>();

function formatFor(zone: string): Intl.DateTimeFormat | null {
  let f = FORMATS.get(zone);
  if (f === undefined) {
    try {
      f = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' });
    } catch {
      f = null;
    }
    FORMATS.set(zone, f);
  }
  return f;
}

function validZone(zone: string): boolean {
  return /^[A-Za-z_]+(\/[A-Za-z0-9_+-]+)*$/.test(zone) && formatFor(zone) !== null;
}

/** The offset in seconds of an IANA zone at the UTC instant `ms` (undefined for a zone Intl does not know). */
export function ianaOffsetAt(zone: string, ms: number): number | undefined {
  const f = validZone(zone) ? formatFor(zone) : null;
  return f ? offsetAt(f, ms) : undefined;
}

/** The offset in seconds of zone at the UTC instant `ms`. */
function offsetAt(f: Intl.DateTimeFormat, ms: number): number {
  const name = f.formatToParts(new Date(ms)).find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
  const m = /GMT([+-])(\d{2}):(\d{2})/.exec(name);
  return m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 3600 + Number(m[3]) * 60) : 0;
}

/** The offset of a wall-clock time in an IANA zone (for a time in a DST gap or overlap: the offset before the change). */
function intlOffset(zone: string, wall: string): number | undefined {
  const f = formatFor(zone);
  const wallMs = Date.parse(`${wall}Z`);
  if (!f || Number.isNaN(wallMs)) return undefined;
  const first = offsetAt(f, wallMs);
  const second = offsetAt(f, wallMs - first * 1000);
  if (first === second) return first;
  const third = offsetAt(f, wallMs - second * 1000);
  return third === second ? second : Math.max(first, second);
}

/** `+hh:mm`, or `Z` for a zero offset (the canonical xsd:dateTime form, which oxigraph stores either way). */
export function formatOffset(seconds: number): string {
  if (Math.round(seconds / 60) === 0) return 'Z';
  const sign = seconds < 0 ? '-' : '+';
  const abs = Math.abs(Math.round(seconds / 60));
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}
