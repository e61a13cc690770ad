// Occurrences of a recurring item in a time range (RRULE, RDATE, EXDATE and RECURRENCE-ID overrides, with ical.js),
// for calendar-query time ranges, free-busy and <C:expand>; bounded by a budget of steps per request.
import ICAL from 'ical.js';

/** How many recurrence steps one request may spend in all, and one item (a hostile FREQ=SECONDLY from 1970 stops here). */
export const EXPANSION_BUDGET = 100_000;
export const ITEM_BUDGET = 10_000;

export interface Occurrence {
  /** [start, end) in ms (UTC). */
  start: number;
  end: number;
  /** The occurrence's RECURRENCE-ID (its start as the rule made it), in ms. */
  recurrenceId: number;
  /** The component that describes it: the master, or the override with that RECURRENCE-ID. */
  component: ICAL.Component;
}

/** What an expansion found; `exhausted` when the budget ran out before the range was covered. */
export interface Expansion {
  occurrences: Occurrence[];
  exhausted: boolean;
}

/** Steps left in one request (shared by every item the request expands). */
export class Budget {
  constructor(public left = EXPANSION_BUDGET) {}
}

const COMPONENTS = ['vevent', 'vtodo', 'vjournal'];

/** Is this iCalendar text a recurring item (RRULE or RDATE on its master)? Cheap, without parsing. */
export function isRecurringText(text: string): boolean {
  return /^(RRULE|RDATE)[;:]/m.test(text);
}

function parse(text: string): ICAL.Component | undefined {
  try {
    const root = new ICAL.Component(ICAL.parse(text) as unknown[]);
    for (const tz of root.getAllSubcomponents('vtimezone')) {
      const id = tz.getFirstPropertyValue('tzid');
      if (typeof id === 'string' && !ICAL.TimezoneService.has(id)) ICAL.TimezoneService.register(tz);
    }
    return root;
  } catch {
    return undefined;
  }
}

const ms = (t: ICAL.Time) => t.toUnixTime() * 1000;

/** [start, end) of a component as its own dates say (DTEND, else DURATION, else a day for a date, else its start). */
function ownSpan(c: ICAL.Component): [number, number] | undefined {
  const start = c.getFirstPropertyValue('dtstart') as ICAL.Time | null;
  if (!start) return undefined;
  const s = ms(start);
  const end = (c.getFirstPropertyValue('dtend') ?? c.getFirstPropertyValue('due')) as ICAL.Time | null;
  if (end) return [s, ms(end)];
  const dur = c.getFirstPropertyValue('duration') as ICAL.Duration | null;
  if (dur) return [s, s + dur.toSeconds() * 1000];
  return [s, start.isDate ? s + 86_400_000 : s];
}

/** RFC 4791 §9.9: does [s, e) meet [start, end)? (A zero-length item meets a range it starts in.) */
export function overlaps(s: number, e: number, start: number, end: number): boolean {
  return s < end && (e > start || (e === s && s >= start));
}

/**
 * The occurrences of the item in `text` that meet [start, end). Overrides count where they moved the occurrence to
 * (and an override's own dates are checked even when the rule's slot is outside the range). Undefined when the text
 * cannot be read or has no start.
 */
export function expand(text: string, start: number, end: number, budget: Budget, firstOnly = false): Expansion | undefined {
  const root = parse(text);
  if (!root) return undefined;
  const comps = COMPONENTS.flatMap((n) => root.getAllSubcomponents(n));
  const master = comps.find((c) => !c.hasProperty('recurrence-id'));
  const overrides = comps.filter((c) => c.hasProperty('recurrence-id'));
  const out: Occurrence[] = [];
  const seen = new Set<number>();
  const byRid = new Map<number, ICAL.Component>();
  for (const o of overrides) byRid.set(ms(o.getFirstPropertyValue('recurrence-id') as ICAL.Time), o);
  const add = (rid: number, c: ICAL.Component, span: [number, number] | undefined) => {
    if (!span || seen.has(rid) || !overlaps(span[0], span[1], start, end)) return;
    seen.add(rid);
    out.push({ start: span[0], end: span[1], recurrenceId: rid, component: c });
  };
  for (const [rid, o] of byRid) add(rid, o, ownSpan(o));
  if (firstOnly && out.length) return { occurrences: out, exhausted: false };
  if (!master?.hasProperty('dtstart')) return { occurrences: out, exhausted: false };
  const first = ownSpan(master)!;
  const length = first[1] - first[0];
  const it = new ICAL.Event(master).iterator();
  let exhausted = false;
  for (let steps = 0; ; steps++) {
    if (steps >= ITEM_BUDGET || budget.left-- <= 0) {
      exhausted = true;
      break;
    }
    const next = it.next();
    if (!next) break;
    const rid = ms(next);
    if (rid >= end) break;
    const o = byRid.get(rid);
    if (o) continue; // the override was checked where it moved to
    add(rid, master, [rid, rid + length]);
    if (firstOnly && out.length) break;
  }
  out.sort((a, b) => a.start - b.start);
  return { occurrences: out, exhausted };
}

/**
 * RFC 4791 §9.6.5 `<C:expand>`: the item as one component per occurrence in the range, each with a RECURRENCE-ID
 * and UTC dates and no recurrence rule; the text unchanged when it is not recurring or cannot be read.
 */
export function expandedText(text: string, start: number, end: number, budget: Budget): string {
  if (!isRecurringText(text)) return text;
  const got = expand(text, start, end, budget);
  const root = parse(text);
  if (!got || !root) return text;
  for (const name of COMPONENTS) for (const c of root.getAllSubcomponents(name)) root.removeSubcomponent(c);
  for (const tz of root.getAllSubcomponents('vtimezone')) root.removeSubcomponent(tz);
  for (const occ of got.occurrences) {
    const c = new ICAL.Component(ICAL.parse(occ.component.toString()) as unknown[]);
    for (const p of ['rrule', 'rdate', 'exdate', 'exrule', 'recurrence-id', 'dtstart', 'dtend', 'duration', 'due']) c.removeAllProperties(p);
    const time = (v: number) => ICAL.Time.fromJSDate(new Date(v), true);
    c.addPropertyWithValue('recurrence-id', time(occ.recurrenceId));
    c.addPropertyWithValue('dtstart', time(occ.start));
    if (occ.end !== occ.start) c.addPropertyWithValue(c.name === 'vtodo' ? 'due' : 'dtend', time(occ.end));
    root.addSubcomponent(c);
  }
  return root.toString().replace(/\r?\n/g, '\r\n') + '\r\n';
}
