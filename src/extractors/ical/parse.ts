// One item's unfolded lines → jCal with ical.js; a line ical.js cannot read is dropped and reported, the rest is kept.
import ICAL from 'ical.js';
import { propName, valueOf, type ContentLine } from './lines.js';

/** A jCal component: [name, properties, subcomponents]. */
export type JCal = [string, JProp[], JCal[]];
/** A jCal property: [name, params, type, ...values]. */
export type JProp = [string, Record<string, string | string[]>, string, ...unknown[]];

export type DesignName = 'icalendar' | 'vcard' | 'vcard3';

/** Properties that are standard somewhere (RFC 2425/2426/6350/5545/7986, vCard 2.1) but not in ical.js's design sets. */
const ALSO_KNOWN = new Set(
  ('prodid name profile source label role logo sound mailer agent fburl caluri caladruri impp kind gender anniversary lang ' +
    'member related xml clientpidmap tz sort-string color image conference refresh-interval busytype ' +
    'acknowledged proximity structured-data styled-description').split(' '),
);

/**
 * Parses the lines of one component (BEGIN … END, nested components included) with ical.js. When the whole does
 * not parse, each content line is tried alone and the ones ical.js rejects are dropped (each reported with its line
 * number); unknown non-X- properties are reported but kept. Returns undefined when nothing could be read.
 */
export function parseComponent(lines: readonly ContentLine[], design: DesignName, errors: string[]): JCal | undefined {
  return parseComponentLines(lines, design, errors).jcal;
}

/** {@link parseComponent}, also returning the lines ical.js read (the ones kept). */
export function parseComponentLines(lines: readonly ContentLine[], design: DesignName, errors: string[]): { jcal?: JCal; kept: ContentLine[] } {
  for (const l of lines) {
    const name = propName(l.text).toLowerCase();
    if (name === 'begin' || name === 'end' || name.startsWith('x-')) continue;
    const set = ICAL.design.getDesignSet(design) as { property: Record<string, unknown> };
    if (!(name in set.property) && !ALSO_KNOWN.has(name)) errors.push(`line ${l.line}: unknown property ${name.toUpperCase()}, kept as text`);
  }
  const whole = tryParse(lines.map((l) => l.text));
  if (whole) return { jcal: whole, kept: [...lines] };
  const set = ICAL.design.getDesignSet(design);
  const kept: ContentLine[] = [];
  for (const l of lines) {
    const name = propName(l.text);
    if (name === 'BEGIN' || name === 'END') {
      kept.push(l);
      continue;
    }
    try {
      ICAL.parse.property(l.text, set);
      kept.push(l);
    } catch (e) {
      errors.push(`line ${l.line}: unreadable, skipped (${message(e)}): ${JSON.stringify(l.text.slice(0, 80))}`);
    }
  }
  const again = tryParse(kept.map((l) => l.text));
  if (!again) errors.push(`line ${lines[0]?.line ?? 0}: the ${valueOf(lines[0]?.text ?? '')} component could not be read`);
  return { jcal: again, kept };
}

/** The raw value texts of the component's own properties (not those of nested components), by lower-case name. */
export function rawValues(lines: readonly ContentLine[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let depth = 0;
  for (const l of lines) {
    const name = propName(l.text).toLowerCase();
    if (name === 'begin') depth++;
    else if (name === 'end') depth--;
    else if (depth === 1) {
      const list = out.get(name) ?? [];
      list.push(valueOf(l.text));
      out.set(name, list);
    }
  }
  return out;
}

function tryParse(texts: string[]): JCal | undefined {
  try {
    const out = ICAL.parse(texts.join('\r\n') + '\r\n') as unknown;
    if (Array.isArray(out) && typeof out[0] === 'string') return out as JCal;
    if (Array.isArray(out) && Array.isArray(out[0])) return out[0] as JCal;
    return undefined;
  } catch {
    return undefined;
  }
}

export function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** The properties of a component named `name` (lower case). */
export function props(c: JCal, name: string): JProp[] {
  return c[1].filter((p) => p[0] === name);
}

/** The first property named `name`. */
export function prop(c: JCal, name: string): JProp | undefined {
  return c[1].find((p) => p[0] === name);
}

/** The values of a property (everything after its type). */
export function values(p: JProp): unknown[] {
  return p.slice(3);
}

/** The first value of a property as a string, or undefined. */
export function firstString(p: JProp | undefined): string | undefined {
  if (!p) return undefined;
  const v = p[3];
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;
}

/** A parameter's value (the first if repeated). */
export function param(p: JProp, name: string): string | undefined {
  const v = p[1][name];
  return Array.isArray(v) ? v[0] : v;
}
