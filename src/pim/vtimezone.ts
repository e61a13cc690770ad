// A VTIMEZONE written from IANA data (Intl): today's rule as a yearly RRULE from 1970, for a zone a file defined too thinly.
import { ianaName, ianaOffsetAt } from '../extractors/index.js';

const DAY = 86_400_000;
const DAYS = ['SU', 'MO', 'TU', 'WE', 'TH', 'FR', 'SA'];

const pad = (n: number, w = 2) => String(n).padStart(w, '0');
const offsetText = (s: number) => `${s < 0 ? '-' : '+'}${pad(Math.floor(Math.abs(s) / 3600))}${pad(Math.floor((Math.abs(s) % 3600) / 60))}`;
const wall = (d: Date) => `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}T${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}`;

/** The UTC instants (to the minute) in `year` where the zone's offset changes, with the offsets around them. */
function transitions(zone: string, year: number): Array<{ at: number; from: number; to: number }> {
  const off = (ms: number) => ianaOffsetAt(zone, ms) ?? 0;
  const out: Array<{ at: number; from: number; to: number }> = [];
  for (let t = Date.UTC(year, 0, 1); t < Date.UTC(year + 1, 0, 1); t += DAY) {
    const a = off(t);
    if (off(t + DAY) === a) continue;
    let lo = t;
    let hi = t + DAY;
    while (hi - lo > 60_000) {
      const mid = lo + Math.floor((hi - lo) / 120_000) * 60_000;
      if (off(mid) === a) lo = mid;
      else hi = mid;
    }
    out.push({ at: hi, from: a, to: off(hi) });
  }
  return out;
}

/** The n-th (1..4, or -1 for the last) `weekday` of a month, as a UTC date. */
function nthWeekday(year: number, month: number, weekday: number, n: number): Date {
  if (n > 0) {
    const first = new Date(Date.UTC(year, month, 1));
    return new Date(Date.UTC(year, month, 1 + ((weekday - first.getUTCDay() + 7) % 7) + (n - 1) * 7));
  }
  const last = new Date(Date.UTC(year, month + 1, 0));
  return new Date(Date.UTC(year, month, last.getUTCDate() - ((last.getUTCDay() - weekday + 7) % 7)));
}

/**
 * The lines of a VTIMEZONE for `tzid` (an IANA name, a path ending in one, or a Windows name) from the rules Intl has
 * for `year`, repeated yearly from 1970; undefined when the name is no zone Intl knows.
 */
export function ianaVtimezone(tzid: string, year = new Date().getUTCFullYear()): string[] | undefined {
  const zone = ianaName(tzid);
  if (!zone) return undefined;
  const out = ['BEGIN:VTIMEZONE', `TZID:${tzid}`];
  const moves = transitions(zone, year);
  if (moves.length === 0) {
    const o = offsetText(ianaOffsetAt(zone, Date.UTC(year, 0, 1)) ?? 0);
    out.push('BEGIN:STANDARD', 'DTSTART:19700101T000000', `TZOFFSETFROM:${o}`, `TZOFFSETTO:${o}`, 'END:STANDARD');
  }
  for (const m of moves) {
    const local = new Date(m.at + m.from * 1000); // the wall clock just before the change
    const d = local.getUTCDate();
    const daysInMonth = new Date(Date.UTC(local.getUTCFullYear(), local.getUTCMonth() + 1, 0)).getUTCDate();
    const n = d + 7 > daysInMonth ? -1 : Math.ceil(d / 7);
    const first = nthWeekday(1970, local.getUTCMonth(), local.getUTCDay(), n);
    first.setUTCHours(local.getUTCHours(), local.getUTCMinutes());
    const part = m.to > m.from ? 'DAYLIGHT' : 'STANDARD';
    out.push(`BEGIN:${part}`, `DTSTART:${wall(first)}`, `RRULE:FREQ=YEARLY;BYMONTH=${local.getUTCMonth() + 1};BYDAY=${n}${DAYS[local.getUTCDay()]}`,
      `TZOFFSETFROM:${offsetText(m.from)}`, `TZOFFSETTO:${offsetText(m.to)}`, `END:${part}`);
  }
  out.push('END:VTIMEZONE');
  return out;
}
