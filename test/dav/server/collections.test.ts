// Collections a client makes (MKCALENDAR, extended MKCOL), PROPPATCH on collections, and deleting a made collection.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphStore } from '../../../src/graph/store.js';
import { mergedView } from '../../../src/pim/store.js';
import { DavServer } from '../../../src/dav/index.js';
import { MAX_COLLECTIONS } from '../../../src/dav/server/collections.js';

let home: string;
let store: GraphStore;
let dav: DavServer;
const pw: Record<string, string> = {};

function req(user: string, method: string, p: string, body?: string, headers: Record<string, string> = {}): Promise<Response> {
  const authorization = 'Basic ' + Buffer.from(`${user}:${pw[user]}`).toString('base64');
  return dav.handle(new Request(`http://127.0.0.1${p}`, { method, headers: { authorization, ...headers }, body }), '127.0.0.1');
}

const event = (uid: string, summary: string, cls = 'PUBLIC') =>
  `BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//collections//EN\r\nBEGIN:VEVENT\r\nUID:${uid}\r\nDTSTAMP:20250101T000000Z\r\nDTSTART:20250301T100000Z\r\nCLASS:${cls}\r\nSUMMARY:${summary}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n`;
const hrefs = (xml: string) => [...xml.matchAll(/<d:href>([^<]*)<\/d:href>/g)].map((m) => m[1]);
const MKCAL = (name: string, color: string) =>
  `<?xml version="1.0"?><c:mkcalendar xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav" xmlns:ic="http://apple.com/ns/ical/"><d:set><d:prop><d:displayname>${name}</d:displayname><ic:calendar-color>${color}</ic:calendar-color></d:prop></d:set></c:mkcalendar>`;
const PROPS = '<d:propfind xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav" xmlns:ic="http://apple.com/ns/ical/"><d:prop><d:resourcetype/><d:displayname/><ic:calendar-color/><c:calendar-description/></d:prop></d:propfind>';
const update = (inner: string) => `<d:propertyupdate xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav" xmlns:ic="http://apple.com/ns/ical/">${inner}</d:propertyupdate>`;

beforeAll(async () => {
  home = await mkdtemp(path.join(os.tmpdir(), 'semsync-davcoll-'));
  store = await GraphStore.open({ dir: path.join(home, 'store'), nodeId: 'laptop' });
  dav = new DavServer({ store, home });
  pw.phone = (await dav.accounts.add('phone', undefined)).password;
  pw.workphone = (await dav.accounts.add('workphone', { work: true })).password;
});
afterAll(async () => {
  await store?.close();
  if (home) await rm(home, { recursive: true, force: true });
});

describe('MKCALENDAR and extended MKCOL', () => {
  it('makes a calendar with its name and colour; events written into it are in the graph and listed only there', async () => {
    expect((await req('phone', 'MKCALENDAR', '/dav/phone/work-cal/', MKCAL('Work things', '#FF0000FF'))).status).toBe(201);
    const homeList = await (await req('phone', 'PROPFIND', '/dav/phone/', PROPS, { depth: '1' })).text();
    expect(homeList).toContain('<d:href>/dav/phone/work-cal/</d:href><d:propstat><d:prop><d:resourcetype><d:collection/><c:calendar/></d:resourcetype><d:displayname>Work things</d:displayname><ic:calendar-color>#FF0000FF</ic:calendar-color>');
    expect((await req('phone', 'PUT', '/dav/phone/work-cal/meeting.ics', event('meeting', 'In the made calendar'))).status).toBe(201);
    expect(await (await req('phone', 'GET', '/dav/phone/work-cal/meeting.ics')).text()).toBe(event('meeting', 'In the made calendar'));
    expect(mergedView(store, 'calendar').items.size).toBe(1);
    expect(hrefs(await (await req('phone', 'PROPFIND', '/dav/phone/work-cal/', PROPS, { depth: '1' })).text())).toEqual(['/dav/phone/work-cal/', '/dav/phone/work-cal/meeting.ics']);
    expect(hrefs(await (await req('phone', 'PROPFIND', '/dav/phone/calendar/', PROPS, { depth: '1' })).text())).toEqual(['/dav/phone/calendar/']);
    expect((await req('phone', 'GET', '/dav/phone/calendar/meeting.ics')).status).toBe(404);
    // The same name in the other calendar is that item elsewhere: refused, nothing written.
    expect((await req('phone', 'PUT', '/dav/phone/calendar/meeting.ics', event('meeting', 'moved?'))).status).toBe(409);
    // Another account sees the item in its own calendar (a made collection is this account's folder).
    expect(hrefs(await (await req('workphone', 'PROPFIND', '/dav/workphone/calendar/', PROPS, { depth: '1' })).text())).toContain('/dav/workphone/calendar/meeting.ics');
    const sync = `<d:sync-collection xmlns:d="DAV:"><d:sync-token/><d:sync-level>1</d:sync-level><d:prop><d:getetag/></d:prop></d:sync-collection>`;
    const first = await (await req('phone', 'REPORT', '/dav/phone/work-cal/', sync)).text();
    expect(hrefs(first)).toEqual(['/dav/phone/work-cal/meeting.ics']);
    // A collection's token is refused on another (it would misread its counter), and the other way round.
    const token = /<d:sync-token>([^<]*)</.exec(first)![1];
    const withToken = (t: string) => sync.replace('<d:sync-token/>', `<d:sync-token>${t}</d:sync-token>`);
    expect((await req('phone', 'REPORT', '/dav/phone/work-cal/', withToken(token))).status).toBe(207);
    expect((await req('phone', 'REPORT', '/dav/phone/calendar/', withToken(token))).status).toBe(403);
    const calToken = /<d:sync-token>([^<]*)</.exec(await (await req('phone', 'REPORT', '/dav/phone/calendar/', sync)).text())![1];
    expect((await req('phone', 'REPORT', '/dav/phone/work-cal/', withToken(calToken))).status).toBe(403);
  });

  it('makes an address book by extended MKCOL; refuses a plain MKCOL, an existing name, a bad name, too many, and another account', async () => {
    const mkab = `<d:mkcol xmlns:d="DAV:" xmlns:a="urn:ietf:params:xml:ns:carddav"><d:set><d:prop><d:resourcetype><d:collection/><a:addressbook/></d:resourcetype><d:displayname>Club</d:displayname></d:prop></d:set></d:mkcol>`;
    expect((await req('phone', 'MKCOL', '/dav/phone/club/', mkab)).status).toBe(201);
    const ab = await (await req('phone', 'PROPFIND', '/dav/phone/club/', PROPS, { depth: '0' })).text();
    expect(ab).toContain('<d:resourcetype><d:collection/><a:addressbook/></d:resourcetype><d:displayname>Club</d:displayname>');
    expect((await req('phone', 'PUT', '/dav/phone/club/x.ics', event('wrong-kind', 'x'))).status).toBe(403);
    expect((await req('phone', 'MKCOL', '/dav/phone/plain/')).status).toBe(403);
    expect((await req('phone', 'MKCOL', '/dav/phone/club/', mkab)).status).toBe(405);
    expect((await req('phone', 'MKCALENDAR', '/dav/phone/contacts/')).status).toBe(405);
    expect((await req('phone', 'MKCALENDAR', '/dav/phone/%2Ehidden/')).status).toBe(403);
    expect((await req('phone', 'MKCALENDAR', '/dav/workphone/mine/')).status).toBe(403);
    expect((await req('phone', 'MKCALENDAR', '/dav/phone/colour/', MKCAL('x', 'y').replace('<d:displayname>x</d:displayname>', '<d:getetag>x</d:getetag>'))).status).toBe(403);
    const made = [];
    for (let i = 0; i < MAX_COLLECTIONS; i++) made.push((await req('workphone', 'MKCALENDAR', `/dav/workphone/c${i}/`)).status);
    expect(made.every((s) => s === 201)).toBe(true);
    expect((await req('workphone', 'MKCALENDAR', '/dav/workphone/one-more/')).status).toBe(507);
  });
});

describe('PROPPATCH on a collection', () => {
  it('sets and removes name, colour and description (200 each); a protected property fails the whole request (403 and 424)', async () => {
    const set = update('<d:set><d:prop><d:displayname>Family</d:displayname><ic:calendar-color>#00FF00</ic:calendar-color><c:calendar-description>At home</c:calendar-description></d:prop></d:set>');
    const r = await req('phone', 'PROPPATCH', '/dav/phone/calendar/', set);
    expect(r.status).toBe(207);
    expect(await r.text()).toContain('<d:propstat><d:prop><d:displayname/><ic:calendar-color/><c:calendar-description/></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat>');
    const got = await (await req('phone', 'PROPFIND', '/dav/phone/calendar/', PROPS, { depth: '0' })).text();
    expect(got).toContain('<d:displayname>Family</d:displayname><ic:calendar-color>#00FF00</ic:calendar-color><c:calendar-description>At home</c:calendar-description>');

    const bad = update('<d:set><d:prop><d:displayname>Changed</d:displayname><d:resourcetype/><d:getetag>"x"</d:getetag></d:prop></d:set>');
    const b = await (await req('phone', 'PROPPATCH', '/dav/phone/calendar/', bad)).text();
    expect(b).toContain('<d:prop><d:resourcetype/></d:prop><d:status>HTTP/1.1 403 Forbidden</d:status><d:cannot-modify-protected-property/>');
    expect(b).toContain('<d:prop><d:getetag/></d:prop><d:status>HTTP/1.1 403 Forbidden</d:status>');
    expect(b).toContain('<d:prop><d:displayname/></d:prop><d:status>HTTP/1.1 424 Failed Dependency</d:status>');
    expect(await (await req('phone', 'PROPFIND', '/dav/phone/calendar/', PROPS, { depth: '0' })).text()).toContain('<d:displayname>Family</d:displayname>');
    // A colour on an address book is not one of its properties.
    expect(await (await req('phone', 'PROPPATCH', '/dav/phone/contacts/', update('<d:set><d:prop><ic:calendar-color>#000</ic:calendar-color></d:prop></d:set>'))).text()).toContain('403 Forbidden');

    await req('phone', 'PROPPATCH', '/dav/phone/calendar/', update('<d:remove><d:prop><d:displayname/></d:prop></d:remove>'));
    expect(await (await req('phone', 'PROPFIND', '/dav/phone/calendar/', PROPS, { depth: '0' })).text()).toContain('<d:displayname>Calendar</d:displayname>');
    // Kept across a restart of the server (the account's state file).
    const again = new DavServer({ store, home });
    const a = await again.handle(new Request('http://127.0.0.1/dav/phone/calendar/', { method: 'PROPFIND', body: PROPS, headers: { depth: '0', authorization: 'Basic ' + Buffer.from(`phone:${pw.phone}`).toString('base64') } }));
    expect(await a.text()).toContain('<ic:calendar-color>#00FF00</ic:calendar-color>');
  });

  it('refuses a value that is not text or is too long with 409, and changes nothing', async () => {
    const nested = await (await req('phone', 'PROPPATCH', '/dav/phone/calendar/', update('<d:set><d:prop><d:displayname><b>x</b></d:displayname></d:prop></d:set>'))).text();
    expect(nested).toContain('409 Conflict');
    const long = await (await req('phone', 'PROPPATCH', '/dav/phone/calendar/', update(`<d:set><d:prop><d:displayname>${'x'.repeat(5000)}</d:displayname></d:prop></d:set>`))).text();
    expect(long).toContain('409 Conflict');
    expect(await (await req('phone', 'PROPFIND', '/dav/phone/calendar/', PROPS, { depth: '0' })).text()).toContain('<d:displayname>Calendar</d:displayname>');
  });
});

describe('DELETE of a made collection', () => {
  it("deletes its items (tombstones in the graph, like a DELETE of each) and forgets it; the kind's own collection stays", async () => {
    expect((await req('phone', 'MKCALENDAR', '/dav/phone/trip/')).status).toBe(201);
    expect((await req('phone', 'PUT', '/dav/phone/trip/flight.ics', event('flight', 'Flight'))).status).toBe(201);
    expect((await req('phone', 'PUT', '/dav/phone/calendar/dentist.ics', event('dentist', 'Dentist'))).status).toBe(201);
    expect((await req('workphone', 'DELETE', '/dav/phone/trip/')).status).toBe(403);
    expect((await req('phone', 'DELETE', '/dav/phone/calendar/')).status).toBe(403);
    expect((await req('phone', 'DELETE', '/dav/phone/trip/')).status).toBe(204);
    const items = mergedView(store, 'calendar').items;
    expect([...items.values()].filter((i) => i.master.endsWith('/flight')).map((i) => i.deleted)).toEqual([true]);
    expect([...items.values()].filter((i) => i.master.endsWith('/dentist')).map((i) => i.deleted)).toEqual([false]);
    expect((await req('phone', 'PROPFIND', '/dav/phone/trip/', PROPS, { depth: '0' })).status).toBe(404);
    expect((await req('phone', 'PUT', '/dav/phone/trip/again.ics', event('again', 'x'))).status).toBe(404);
    // The name can be made again, empty.
    expect((await req('phone', 'MKCALENDAR', '/dav/phone/trip/')).status).toBe(201);
    expect(hrefs(await (await req('phone', 'PROPFIND', '/dav/phone/trip/', PROPS, { depth: '1' })).text())).toEqual(['/dav/phone/trip/']);
  });
});
