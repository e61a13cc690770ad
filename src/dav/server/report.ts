// REPORTs on a collection: calendar-/addressbook-multiget, calendar-query (component and time range), addressbook-query (text matches), sync-collection (RFC 6578).
import type { PimKindName } from '../../pim/index.js';
import { unfoldText, type ContentLine } from './text.js';
import { child, children, DavRequestError, el, esc, is, multistatus, NS, type XmlElement } from './xml.js';
import { componentOf, requested, resourceAnswers, resourceHref, response, statusResponse, type PropContext, type Target } from './props.js';
import type { Listing, Resource } from './resources.js';
import { Budget, expand, expandedText, isRecurringText } from './recur.js';
import { syncToken, tokenCounter, type AccountState, type CollectionLog } from './state.js';

export interface ReportInput {
  ctx: PropContext;
  kind: PimKindName;
  /** The collection's segment (its path under the account). */
  coll: string;
  list: Listing;
  state: AccountState;
  log: CollectionLog;
  body: XmlElement;
}

const target = (r: ReportInput, res: Resource): Target => ({ type: 'resource', kind: r.kind, coll: r.coll, res });

/** The multistatus text of a REPORT. */
export function report(r: ReportInput): string {
  const { body, kind } = r;
  const props = requested(child(body, NS.dav, 'prop')).props;
  const budget = new Budget();
  const shown = expansionOf(body, budget);
  const kept = resourceAnswers(r.ctx, kind, r.coll, props);
  const one = (res: Resource) => {
    const out = shown(res);
    return out === res ? kept(res) : response(r.ctx, target(r, out), props);
  };
  const answer = (list: Resource[]) => multistatus(list.map(one));
  if (is(body, NS.cal, 'calendar-multiget') || is(body, NS.card, 'addressbook-multiget')) {
    if ((kind === 'calendar') !== is(body, NS.cal, 'calendar-multiget')) throw new DavRequestError(`${body.name} on the ${kind} collection`, 403, { ns: NS.dav, name: 'supported-report' });
    const base = resourceHref(r.ctx, r.coll, '');
    return multistatus(
      children(body, NS.dav, 'href').map((h) => {
        const path = hrefPath(h.text.trim());
        const res = path.startsWith(base) ? r.list.byName.get(decodeName(path.slice(base.length))) : undefined;
        return res ? one(res) : statusResponse(path, 'HTTP/1.1 404 Not Found');
      }),
    );
  }
  if (is(body, NS.cal, 'calendar-query') && kind === 'calendar') return answer([...r.list.byName.values()].filter((res) => calendarFilter(child(body, NS.cal, 'filter'), res, budget)));
  if (is(body, NS.card, 'addressbook-query') && kind === 'contacts') return answer([...r.list.byName.values()].filter((res) => cardFilter(child(body, NS.card, 'filter'), res)));
  if (is(body, NS.dav, 'sync-collection')) return syncCollection(r, kept);
  throw new DavRequestError(`REPORT ${body.name} is not supported here`, 403, { ns: NS.dav, name: 'supported-report' });
}

/** `<C:calendar-data><C:expand start end/>` asked: recurring items are answered as their occurrences in that range. */
function expansionOf(body: XmlElement, budget: Budget): (res: Resource) => Resource {
  const ex = child(child(child(body, NS.dav, 'prop'), NS.cal, 'calendar-data'), NS.cal, 'expand');
  if (!ex) return (res) => res;
  const start = icalTime(ex.attrs.start);
  const end = icalTime(ex.attrs.end);
  if (start === undefined || end === undefined || end <= start) throw new DavRequestError('expand needs a start and an end', 400, { ns: NS.cal, name: 'valid-filter' });
  return (res) => (isRecurringText(res.text) ? { ...res, text: expandedText(res.text, start, end, budget) } : res);
}

function hrefPath(h: string): string {
  try {
    return new URL(h, 'http://x').pathname;
  } catch {
    return h;
  }
}

function decodeName(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** RFC 6578: every visible member changed after the client's token, and 404s for those gone since. */
function syncCollection(r: ReportInput, one: (res: Resource) => string): string {
  const tokenEl = child(r.body, NS.dav, 'sync-token');
  const since = tokenCounter(r.state, r.log, tokenEl?.text ?? '', r.coll);
  if (since === undefined) throw new DavRequestError('unknown sync token: sync again from the start', 403, { ns: NS.dav, name: 'valid-sync-token' });
  const level = child(r.body, NS.dav, 'sync-level')?.text.trim();
  if (level && level !== '1') throw new DavRequestError('only sync-level 1', 403, { ns: NS.dav, name: 'sync-traversal-supported' });
  const out: string[] = [];
  for (const res of r.list.byName.values()) {
    if (since === 0 || (r.log.items[res.name]?.at ?? Infinity) > since) out.push(one(res));
  }
  if (since > 0) for (const [name, at] of Object.entries(r.log.removed)) if (at > since) out.push(statusResponse(resourceHref(r.ctx, r.coll, name), 'HTTP/1.1 404 Not Found'));
  return multistatus(out, el(NS.dav, 'sync-token', esc(syncToken(r.state, r.log, r.coll))));
}

// ---- calendar-query ----

const ICAL = 'http://www.w3.org/2002/12/cal/ical#';

/** `20250101T000000Z` (a time-range bound) → ms. */
function icalTime(s: string | undefined): number | undefined {
  const m = /^(\d{4})(\d\d)(\d\d)(?:T(\d\d)(\d\d)(\d\d)Z?)?$/.exec(s?.trim() ?? '');
  if (!m) return undefined;
  return Date.UTC(+m[1], +m[2] - 1, +m[3], +(m[4] ?? 0), +(m[5] ?? 0), +(m[6] ?? 0));
}

function value(res: Resource, p: string): string | undefined {
  return res.quads.find((q) => q.predicate.value === ICAL + p)?.object.value;
}

function durationMs(d: string | undefined): number {
  const m = /^(-)?P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/.exec(d ?? '');
  if (!m) return 0;
  const ms = ((+(m[2] ?? 0) * 7 + +(m[3] ?? 0)) * 86400 + +(m[4] ?? 0) * 3600 + +(m[5] ?? 0) * 60 + +(m[6] ?? 0)) * 1000;
  return m[1] ? -ms : ms;
}

/** The item's [start, end) in ms, when it has a start (end: DTEND, else DTSTART+DURATION, else a day for a DATE). */
function span(res: Resource): [number, number] | undefined {
  const t = (p: string) => {
    const v = value(res, p);
    return v === undefined ? undefined : Date.parse(v);
  };
  const s = t('dtstart');
  if (s === undefined || Number.isNaN(s)) return undefined;
  const allDay = /^\d{4}-\d\d-\d\d$/.test(value(res, 'dtstart') ?? '');
  const e = t('dtend') ?? (value(res, 'duration') ? s + durationMs(value(res, 'duration')) : allDay ? s + 86_400_000 : s);
  return [s, e];
}

const utc = (ms: number) => new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');

/**
 * RFC 4791 free-busy-query: a VFREEBUSY of the account's visible, opaque, not cancelled events in the range (a
 * withheld event is not busy time here either: it would tell that something is there). Recurring events count by
 * each occurrence in the range (within the request's expansion budget).
 */
export function freeBusy(list: Listing, body: XmlElement): string {
  const budget = new Budget();
  const range = child(body, NS.cal, 'time-range');
  const start = icalTime(range?.attrs.start);
  const end = icalTime(range?.attrs.end);
  if (start === undefined || end === undefined || end <= start) throw new DavRequestError('free-busy-query needs a time-range with start and end', 400);
  const lines = ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//semsync//semsync//EN', 'BEGIN:VFREEBUSY', `DTSTAMP:${utc(Date.now())}`, `DTSTART:${utc(start)}`, `DTEND:${utc(end)}`];
  for (const res of list.byName.values()) {
    if (componentOf(res) !== 'vevent') continue;
    const props = unfoldText(res.text);
    if (props.some((p) => p.name === 'TRANSP' && /TRANSPARENT/i.test(p.value)) || /CANCELLED/i.test(value(res, 'status') ?? '')) continue;
    const type = /TENTATIVE/i.test(value(res, 'status') ?? '') ? 'BUSY-TENTATIVE' : 'BUSY';
    const spans = isRecurringText(res.text) ? occurrenceSpans(res.text, start, end, budget) : [span(res)];
    for (const sp of spans) {
      if (!sp || sp[0] >= end || sp[1] <= start || sp[1] <= sp[0]) continue;
      lines.push(`FREEBUSY;FBTYPE=${type}:${utc(Math.max(sp[0], start))}/${utc(Math.min(sp[1], end))}`);
    }
  }
  return [...lines, 'END:VFREEBUSY', 'END:VCALENDAR', ''].join('\r\n');
}

/** A recurring event's occurrences in the range (cancelled overrides and transparent ones left out), as spans. */
function occurrenceSpans(text: string, start: number, end: number, budget: Budget): [number, number][] {
  const got = expand(text, start, end, budget);
  if (!got) return [];
  return got.occurrences
    .filter((o) => !/CANCELLED/i.test(String(o.component.getFirstPropertyValue('status') ?? '')) && !/TRANSPARENT/i.test(String(o.component.getFirstPropertyValue('transp') ?? '')))
    .map((o) => [o.start, o.end]);
}

/**
 * Does the item overlap [start, end)? A recurring item when one of its occurrences does (RRULE, RDATE, EXDATE and
 * overrides); one whose expansion ran out of budget, or cannot be read, matches (the client gets it and decides).
 */
function inRange(res: Resource, start: number, end: number, budget: Budget): boolean {
  if (isRecurringText(res.text)) {
    const got = expand(res.text, start, end, budget, true);
    return !got || got.occurrences.length > 0 || got.exhausted;
  }
  const t = (p: string) => {
    const v = value(res, p);
    return v === undefined ? undefined : Date.parse(v);
  };
  const s = t('dtstart') ?? t('due') ?? t('completed');
  if (s === undefined || Number.isNaN(s)) return true; // no time: RFC 4791 §9.9 says a VTODO without dates matches any range
  const allDay = /^\d{4}-\d\d-\d\d$/.test(value(res, 'dtstart') ?? '');
  const e = t('dtend') ?? (value(res, 'duration') ? s + durationMs(value(res, 'duration')) : allDay ? s + 86_400_000 : s);
  return s < end && (e > start || (e === s && s >= start));
}

function calendarFilter(filter: XmlElement | undefined, res: Resource, budget: Budget): boolean {
  const cal = child(filter, NS.cal, 'comp-filter');
  if (!cal) return true;
  const inner = children(cal, NS.cal, 'comp-filter');
  if (!inner.length) return true;
  return inner.some((f) => {
    if (f.attrs.name?.toLowerCase() !== componentOf(res)) return !!child(f, NS.cal, 'is-not-defined');
    if (child(f, NS.cal, 'is-not-defined')) return false;
    // RFC 4791 §9.7.2: every prop-filter must match (UID lookups by clients: python3-caldav's event_by_uid).
    const pfs = children(f, NS.cal, 'prop-filter');
    if (pfs.length && !pfs.every(propFilter(NS.cal, unfoldText(res.text)))) return false;
    const range = child(f, NS.cal, 'time-range');
    if (!range) return true;
    return inRange(res, icalTime(range.attrs.start) ?? -Infinity, icalTime(range.attrs.end) ?? Infinity, budget);
  });
}

/** A prop-filter (CalDAV or CardDAV namespace) over an item's content lines: is-not-defined, text-match (case-insensitive). */
function propFilter(ns: string, lines: ContentLine[]): (pf: XmlElement) => boolean {
  return (pf) => {
    const name = (pf.attrs.name ?? '').toUpperCase();
    const values = lines.filter((l) => l.name === name).map((l) => l.value);
    if (child(pf, ns, 'is-not-defined')) return values.length === 0;
    const matches = children(pf, ns, 'text-match');
    if (!matches.length) return values.length > 0;
    const test = (m: XmlElement) => {
      const needle = m.text.toLocaleLowerCase('en-US');
      const type = m.attrs['match-type'] ?? 'contains';
      const hit = values.some((v) => {
        const hay = v.toLocaleLowerCase('en-US');
        return type === 'equals' ? hay === needle : type === 'starts-with' ? hay.startsWith(needle) : type === 'ends-with' ? hay.endsWith(needle) : hay.includes(needle);
      });
      return m.attrs['negate-condition'] === 'yes' ? !hit : hit;
    };
    return pf.attrs.test === 'allof' ? matches.every(test) : matches.some(test);
  };
}

// ---- addressbook-query ----

function cardFilter(filter: XmlElement | undefined, res: Resource): boolean {
  const props = children(filter, NS.card, 'prop-filter');
  if (!props.length) return true;
  const one = propFilter(NS.card, unfoldText(res.text));
  return filter?.attrs.test === 'allof' ? props.every(one) : props.some(one);
}
