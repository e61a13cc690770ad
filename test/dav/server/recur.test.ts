// Recurring items in calendar-query time ranges, free-busy and <C:expand>: RRULE, RDATE, EXDATE, overrides, and a bound
// on the work a hostile rule can cause.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphStore } from '../../../src/graph/store.js';
import { DavServer } from '../../../src/dav/index.js';
import { Budget, expand, EXPANSION_BUDGET, ITEM_BUDGET } from '../../../src/dav/server/recur.js';

let home: string;
let store: GraphStore;
let dav: DavServer;
let pw = '';

const req = (method: string, p: string, body?: string) =>
  dav.handle(new Request(`http://127.0.0.1${p}`, { method, body, headers: { authorization: 'Basic ' + Buffer.from(`phone:${pw}`).toString('base64'), depth: '1' } }), '127.0.0.1');
const cal = (...comps: string[]) => `BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//recur//EN\r\n${comps.join('')}END:VCALENDAR\r\n`;
const vevent = (lines: string[]) => `BEGIN:VEVENT\r\nDTSTAMP:20250101T000000Z\r\n${lines.map((l) => l + '\r\n').join('')}END:VEVENT\r\n`;

// Mondays 09:00-10:00 UTC from 6 January 2025; 3 February skipped; 10 February moved to Tuesday 11 February 14:00.
const WEEKLY = cal(
  vevent(['UID:weekly', 'DTSTART:20250106T090000Z', 'DTEND:20250106T100000Z', 'RRULE:FREQ=WEEKLY;BYDAY=MO', 'EXDATE:20250203T090000Z', 'SUMMARY:Weekly']),
  vevent(['UID:weekly', 'RECURRENCE-ID:20250210T090000Z', 'DTSTART:20250211T140000Z', 'DTEND:20250211T150000Z', 'SUMMARY:Weekly moved']),
);
const COUNTED = cal(vevent(['UID:counted', 'DTSTART:20250106T120000Z', 'DURATION:PT30M', 'RRULE:FREQ=DAILY;COUNT=3', 'RDATE:20250301T120000Z', 'SUMMARY:Three days and an extra']));
const HOSTILE = cal(vevent(['UID:hostile', 'DTSTART:19700101T000000Z', 'DTEND:19700101T000001Z', 'RRULE:FREQ=SECONDLY', 'SUMMARY:Every second since 1970']));

const query = (start: string, end: string) =>
  `<c:calendar-query xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:prop><d:getetag/></d:prop><c:filter><c:comp-filter name="VCALENDAR"><c:comp-filter name="VEVENT"><c:time-range start="${start}" end="${end}"/></c:comp-filter></c:comp-filter></c:filter></c:calendar-query>`;
const names = async (start: string, end: string) => [...(await (await req('REPORT', '/dav/phone/calendar/', query(start, end))).text()).matchAll(/calendar\/([^<]+)\.ics</g)].map((m) => m[1]).sort();

beforeAll(async () => {
  home = await mkdtemp(path.join(os.tmpdir(), 'semsync-davrecur-'));
  store = await GraphStore.open({ dir: path.join(home, 'store'), nodeId: 'laptop' });
  dav = new DavServer({ store, home });
  pw = (await dav.accounts.add('phone', undefined)).password;
  for (const [name, text] of [['weekly', WEEKLY], ['counted', COUNTED]]) expect((await req('PUT', `/dav/phone/calendar/${name}.ics`, text)).status).toBe(201);
});
afterAll(async () => {
  await store?.close();
  if (home) await rm(home, { recursive: true, force: true });
});

describe('calendar-query time ranges expand recurrences', () => {
  it('finds the weekly event months after its start, not in a gap of the rule, not on an EXDATE, and where an override moved it', async () => {
    expect(await names('20250901T000000Z', '20250902T000000Z')).toEqual(['weekly']); // a Monday
    expect(await names('20250902T000000Z', '20250908T000000Z')).toEqual([]); // Tuesday to Sunday
    expect(await names('20250203T000000Z', '20250204T000000Z')).toEqual([]); // the EXDATE
    expect(await names('20250210T000000Z', '20250211T000000Z')).toEqual([]); // the moved one's old slot
    expect(await names('20250211T000000Z', '20250212T000000Z')).toEqual(['weekly']); // where it moved
  });

  it('ends a COUNT rule after its last occurrence and counts an RDATE', async () => {
    expect(await names('20250108T000000Z', '20250109T000000Z')).toEqual(['counted']);
    expect(await names('20250109T000000Z', '20250110T000000Z')).toEqual([]);
    expect(await names('20250301T000000Z', '20250302T000000Z')).toEqual(['counted']);
  });

  it('answers free-busy with each occurrence in the range, the override where it moved', async () => {
    const fb = await (await req('REPORT', '/dav/phone/calendar/', '<c:free-busy-query xmlns:c="urn:ietf:params:xml:ns:caldav"><c:time-range start="20250201T000000Z" end="20250218T000000Z"/></c:free-busy-query>')).text();
    const busy = [...fb.matchAll(/^FREEBUSY;FBTYPE=BUSY:(\S+)/gm)].map((m) => m[1]);
    expect(busy).toEqual(['20250211T140000Z/20250211T150000Z', '20250217T090000Z/20250217T100000Z']);
  });

  it('answers <C:expand> with one component per occurrence, each with its RECURRENCE-ID and no rule', async () => {
    const body = `<c:calendar-query xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:prop><d:getetag/><c:calendar-data><c:expand start="20250201T000000Z" end="20250218T000000Z"/></c:calendar-data></d:prop><c:filter><c:comp-filter name="VCALENDAR"><c:comp-filter name="VEVENT"><c:time-range start="20250201T000000Z" end="20250218T000000Z"/></c:comp-filter></c:comp-filter></c:filter></c:calendar-query>`;
    const text = (await (await req('REPORT', '/dav/phone/calendar/', body)).text()).replace(/&#13;|\r/g, '');
    expect([...text.matchAll(/^RECURRENCE-ID:(\S+)/gm)].map((m) => m[1])).toEqual(['20250210T090000Z', '20250217T090000Z']);
    expect([...text.matchAll(/^DTSTART:(\S+)/gm)].map((m) => m[1])).toEqual(['20250211T140000Z', '20250217T090000Z']);
    expect(text).toContain('SUMMARY:Weekly moved');
    expect(text).not.toMatch(/^RRULE/m);
  });
});

describe('a hostile rule', () => {
  it('stops at the budget: FREQ=SECONDLY from 1970 queried in 2025 matches (the client decides) without running unbounded', async () => {
    expect((await req('PUT', '/dav/phone/calendar/hostile.ics', HOSTILE)).status).toBe(201);
    // The request's budget, then one item's share of a larger one.
    const small = new Budget(5_000);
    expect(expand(HOSTILE, Date.UTC(2025, 0, 1), Date.UTC(2025, 0, 2), small)).toEqual({ occurrences: [], exhausted: true });
    expect(small.left).toBeLessThanOrEqual(0);
    const large = new Budget(EXPANSION_BUDGET);
    expect(expand(HOSTILE, Date.UTC(2025, 0, 1), Date.UTC(2025, 0, 2), large)?.exhausted).toBe(true);
    expect(large.left).toBe(EXPANSION_BUDGET - ITEM_BUDGET);
    expect(await names('20250101T000000Z', '20250102T000000Z')).toEqual(['hostile']);
    // One request's budget is shared: the other items are still answered after the hostile one spent it.
    expect(await names('20250901T000000Z', '20250902T000000Z')).toEqual(['hostile', 'weekly']);
    const fb = await (await req('REPORT', '/dav/phone/calendar/', '<c:free-busy-query xmlns:c="urn:ietf:params:xml:ns:caldav"><c:time-range start="20250101T000000Z" end="20250102T000000Z"/></c:free-busy-query>')).text();
    expect(fb).toContain('END:VFREEBUSY');
  });
});
