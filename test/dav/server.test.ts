// The CalDAV/CardDAV server in process (DavServer over a real store): discovery, ETags, lossless writes, sync tokens, policies, hostile requests.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphStore } from '../../src/graph/store.js';
import { mergedView, readPimBytes, writeItems, type PimKindName } from '../../src/pim/store.js';
import { DavServer } from '../../src/dav/index.js';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'pim', 'fixtures');

let home: string;
let store: GraphStore;
let dav: DavServer;
const pw: Record<string, string> = {};

async function importFile(kind: PimKindName, file: string): Promise<void> {
  const read = readPimBytes(kind, await readFile(file));
  await writeItems(store, kind, read.groups, { timezones: read.timezones });
}

function req(user: string | null, method: string, p: string, body?: string, headers: Record<string, string> = {}): Promise<Response> {
  const h: Record<string, string> = { ...headers };
  if (user) h.authorization = 'Basic ' + Buffer.from(`${user}:${pw[user] ?? 'wrong'}`).toString('base64');
  return dav.handle(new Request(`http://127.0.0.1${p}`, { method, headers: h, body }), '127.0.0.1');
}

const PROPS = '<d:propfind xmlns:d="DAV:" xmlns:cs="http://calendarserver.org/ns/"><d:prop><d:getetag/><cs:getctag/><d:sync-token/></d:prop></d:propfind>';
const hrefs = (xml: string) => [...xml.matchAll(/<d:href>([^<]*)<\/d:href>/g)].map((m) => m[1]);
const tokenOf = (xml: string) => /<d:sync-token>([^<]*)</.exec(xml)?.[1] ?? '';
const ctagOf = (xml: string) => /<cs:getctag>([^<]*)</.exec(xml)?.[1] ?? '';
const syncReport = (token: string) => `<d:sync-collection xmlns:d="DAV:"><d:sync-token>${token}</d:sync-token><d:sync-level>1</d:sync-level><d:prop><d:getetag/></d:prop></d:sync-collection>`;
const event = (uid: string, summary: string, extra = '') =>
  `BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//dav-server//EN\r\nBEGIN:VEVENT\r\nUID:${uid}\r\nDTSTAMP:20250101T000000Z\r\nDTSTART:20250301T100000Z\r\nSUMMARY:${summary}\r\n${extra}X-CLIENT-ONLY:kept as written\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n`;

beforeAll(async () => {
  home = await mkdtemp(path.join(os.tmpdir(), 'semsync-davserver-'));
  store = await GraphStore.open({ dir: path.join(home, 'store'), nodeId: 'laptop' });
  await importFile('contacts', path.join(fixtures, 'people.vcf'));
  await importFile('calendar', path.join(fixtures, 'agenda.ics'));
  dav = new DavServer({ store, home, maxBody: 64 * 1024 });
  pw.phone = (await dav.accounts.add('phone', undefined)).password;
  pw.workphone = (await dav.accounts.add('workphone', { work: true })).password;
});
afterAll(async () => {
  await store?.close();
  if (home) await rm(home, { recursive: true, force: true });
});

describe('discovery', () => {
  it('redirects /.well-known/caldav and carddav to /dav/ and names the principal and home sets', async () => {
    for (const w of ['caldav', 'carddav']) {
      const r = await req(null, 'GET', `/.well-known/${w}`);
      expect(r.status).toBe(301);
      expect(r.headers.get('location')).toBe('/dav/');
    }
    const body = '<propfind xmlns="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:A="urn:ietf:params:xml:ns:carddav"><prop><current-user-principal/><C:calendar-home-set/><A:addressbook-home-set/></prop></propfind>';
    const r = await req('phone', 'PROPFIND', '/dav/', body, { depth: '0' });
    expect(r.status).toBe(207);
    const text = await r.text();
    expect(text).toContain('<d:current-user-principal><d:href>/dav/phone/</d:href>');
    expect(text).toContain('<c:calendar-home-set><d:href>/dav/phone/</d:href>');
    expect(text).toContain('<a:addressbook-home-set><d:href>/dav/phone/</d:href>');
    const home1 = await (await req('phone', 'PROPFIND', '/dav/phone/', '<propfind xmlns="DAV:"><prop><resourcetype/></prop></propfind>', { depth: '1' })).text();
    expect(home1).toContain('<d:href>/dav/phone/calendar/</d:href><d:propstat><d:prop><d:resourcetype><d:collection/><c:calendar/>');
    expect(home1).toContain('<d:href>/dav/phone/contacts/</d:href><d:propstat><d:prop><d:resourcetype><d:collection/><a:addressbook/>');
  });

  it('says what it speaks (OPTIONS); properties of a resource and collections inside a collection are refused', async () => {
    const o = await req(null, 'OPTIONS', '/dav/');
    expect(o.headers.get('dav')).toContain('calendar-access');
    expect(o.headers.get('dav')).toContain('addressbook');
    expect(o.headers.get('allow')).toContain('MKCALENDAR');
    const pp = await req('phone', 'PROPPATCH', '/dav/phone/calendar/ev-standup.ics', '<d:propertyupdate xmlns:d="DAV:"><d:set><d:prop><d:displayname>Mine</d:displayname></d:prop></d:set></d:propertyupdate>');
    expect(pp.status).toBe(207);
    expect(await pp.text()).toContain('<d:prop><d:displayname/></d:prop><d:status>HTTP/1.1 403 Forbidden</d:status>');
    expect((await req('phone', 'MKCOL', '/dav/phone/calendar/')).status).toBe(405);
    expect((await req('phone', 'MKCALENDAR', '/dav/phone/calendar/inner/')).status).toBe(403);
    expect((await req('phone', 'DELETE', '/dav/phone/calendar/')).status).toBe(403);
  });

  it('asks for credentials, and backs off after repeated failures', async () => {
    expect((await req(null, 'PROPFIND', '/dav/')).status).toBe(401);
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await dav.handle(new Request('http://127.0.0.1/dav/', { method: 'PROPFIND', headers: { authorization: 'Basic ' + Buffer.from('phone:guess').toString('base64') } }), '10.0.0.9')).status);
    expect(statuses.slice(0, 3)).toEqual([401, 401, 401]);
    expect(statuses.slice(4)).toEqual([429]);
  });
});

describe('accounts', () => {
  it('stops the old password after passwd, refuses a removed account, and gives a re-made account a fresh sync state', async () => {
    pw.tablet = (await dav.accounts.add('tablet', undefined)).password;
    const first = await req('tablet', 'PROPFIND', '/dav/tablet/calendar/', PROPS, { depth: '0' });
    expect(first.status).toBe(207);
    const token = tokenOf(await first.text());
    const old = pw.tablet;
    pw.tablet = await dav.accounts.passwd('tablet');
    expect(pw.tablet).not.toBe(old);
    expect((await req('tablet', 'PROPFIND', '/dav/tablet/', undefined, { depth: '0' })).status).toBe(207);
    pw.tablet = old;
    expect((await req('tablet', 'PROPFIND', '/dav/tablet/', undefined, { depth: '0' })).status).toBe(401);
    await dav.accounts.remove('tablet');
    pw.tablet = (await dav.accounts.add('tablet', { work: true })).password;
    const again = tokenOf(await (await req('tablet', 'PROPFIND', '/dav/tablet/calendar/', PROPS, { depth: '0' })).text());
    expect(again).not.toBe(token);
    expect((await req('tablet', 'REPORT', '/dav/tablet/calendar/', syncReport(token))).status).toBe(403);
    await expect(dav.accounts.add('tablet', undefined)).rejects.toThrow(/exists already/);
    await expect(dav.accounts.add('../x', undefined)).rejects.toThrow(/account name/);
  });
});

describe('privacy: what a work account sees', () => {
  it('lists no private event and no Personal contact for workphone, and no birthday in a contact', async () => {
    const cal = await (await req('workphone', 'PROPFIND', '/dav/workphone/calendar/', PROPS, { depth: '1' })).text();
    expect(hrefs(cal).sort()).toEqual(['/dav/workphone/calendar/', '/dav/workphone/calendar/ev-review.ics', '/dav/workphone/calendar/ev-standup.ics']);
    const card = await (await req('workphone', 'PROPFIND', '/dav/workphone/contacts/', PROPS, { depth: '1' })).text();
    expect(hrefs(card).sort()).toEqual(['/dav/workphone/contacts/', '/dav/workphone/contacts/work-bob.vcf', '/dav/workphone/contacts/work-carol.vcf']);
    const carol = await (await req('workphone', 'GET', '/dav/workphone/contacts/work-carol.vcf')).text();
    expect(carol).toContain('FN:Carol Client');
    expect(carol).not.toContain('BDAY');
    expect((await req('workphone', 'GET', '/dav/workphone/calendar/ev-doctor.ics')).status).toBe(404);
    const phone = await (await req('phone', 'PROPFIND', '/dav/phone/calendar/', PROPS, { depth: '1' })).text();
    expect(hrefs(phone)).toContain('/dav/phone/calendar/ev-doctor.ics');
  });

  it('moves neither the ctag nor the sync token of workphone when a private event changes; it moves phone\'s', async () => {
    const before = { w: await (await req('workphone', 'PROPFIND', '/dav/workphone/calendar/', PROPS, { depth: '0' })).text(), p: await (await req('phone', 'PROPFIND', '/dav/phone/calendar/', PROPS, { depth: '0' })).text() };
    const doctor = (await readFile(path.join(fixtures, 'agenda.ics'), 'utf8')).replace('Doctor', 'Dentist');
    const read = readPimBytes('calendar', Buffer.from(doctor));
    const w = await writeItems(store, 'calendar', read.groups.filter((g) => g.master.endsWith('/ev-doctor')));
    expect(w.changed).toHaveLength(1);
    const after = { w: await (await req('workphone', 'PROPFIND', '/dav/workphone/calendar/', PROPS, { depth: '0' })).text(), p: await (await req('phone', 'PROPFIND', '/dav/phone/calendar/', PROPS, { depth: '0' })).text() };
    expect(ctagOf(after.w)).toBe(ctagOf(before.w));
    expect(tokenOf(after.w)).toBe(tokenOf(before.w));
    expect(ctagOf(after.p)).not.toBe(ctagOf(before.p));
    const sync = await (await req('workphone', 'REPORT', '/dav/workphone/calendar/', syncReport(tokenOf(before.w)))).text();
    expect(hrefs(sync)).toEqual([]);
  });

  it('keeps the birthday workphone never saw when it writes the contact back', async () => {
    const got = await req('workphone', 'GET', '/dav/workphone/contacts/work-carol.vcf');
    const text = (await got.text()).replace('FN:Carol Client', 'FN:Carol Customer');
    const put = await req('workphone', 'PUT', '/dav/workphone/contacts/work-carol.vcf', text, { 'if-match': got.headers.get('etag')! });
    expect(put.status).toBe(204);
    const carol = mergedView(store, 'contacts').items.get('https://w3id.org/semsync/id/contact/work-carol')!;
    const src = carol.quads.find((q) => q.predicate.value.endsWith('#sourceText'))!.object.value;
    expect(src).toContain('FN:Carol Customer');
    expect(src).toContain('BDAY:1980-04-01');
    expect(await (await req('workphone', 'GET', '/dav/workphone/contacts/work-carol.vcf')).text()).toBe(text);
  });

  it('answers free-busy with the visible events only', async () => {
    const q = '<c:free-busy-query xmlns:c="urn:ietf:params:xml:ns:caldav"><c:time-range start="20240101T000000Z" end="20240105T000000Z"/></c:free-busy-query>';
    const work = await (await req('workphone', 'REPORT', '/dav/workphone/calendar/', q)).text();
    const phone = await (await req('phone', 'REPORT', '/dav/phone/calendar/', q)).text();
    expect(work).toContain('FREEBUSY;FBTYPE=BUSY:20240102T090000Z/20240102T091500Z');
    expect(work).toContain('FREEBUSY;FBTYPE=BUSY:20240104T100000Z/20240104T110000Z');
    expect(work).not.toContain('20240103T150000Z');
    expect(phone).toContain('FREEBUSY;FBTYPE=BUSY:20240103T150000Z/20240103T160000Z');
  });

  it('refuses a write of an item its policy hides, or of a hidden item by its UID, and changes nothing', async () => {
    const vv = JSON.stringify(store.versionVector());
    const hidden = await req('workphone', 'PUT', '/dav/workphone/calendar/x.ics', event('ev-doctor', 'overwritten'), { 'if-none-match': '*' });
    expect(hidden.status).toBe(403);
    const privateNew = await req('workphone', 'PUT', '/dav/workphone/calendar/p.ics', event('new-private', 'mine', 'CLASS:PRIVATE\r\n'));
    expect(privateNew.status).toBe(403);
    const other = await req('workphone', 'PUT', '/dav/phone/calendar/y.ics', event('into-phone', 'x'));
    expect(other.status).toBe(403);
    expect(JSON.stringify(store.versionVector())).toBe(vv);
  });
});

describe('writes, ETags and sync tokens', () => {
  it('gives back exactly what a client wrote; stale If-Match and If-None-Match get 412', async () => {
    const start = tokenOf(await (await req('phone', 'PROPFIND', '/dav/phone/calendar/', PROPS, { depth: '0' })).text());
    const text = event('client-1', 'Lunch');
    const created = await req('phone', 'PUT', '/dav/phone/calendar/my-own-name.ics', text, { 'if-none-match': '*' });
    expect(created.status).toBe(201);
    const etag = created.headers.get('etag')!;
    const got = await req('phone', 'GET', '/dav/phone/calendar/my-own-name.ics');
    expect(got.headers.get('etag')).toBe(etag);
    expect(await got.text()).toBe(text);
    expect((await req('phone', 'PUT', '/dav/phone/calendar/my-own-name.ics', text, { 'if-none-match': '*' })).status).toBe(412);
    const edited = await req('phone', 'PUT', '/dav/phone/calendar/my-own-name.ics', event('client-1', 'Long lunch'), { 'if-match': etag });
    expect(edited.status).toBe(204);
    expect((await req('phone', 'PUT', '/dav/phone/calendar/my-own-name.ics', event('client-1', 'stale'), { 'if-match': etag })).status).toBe(412);
    expect((await req('phone', 'DELETE', '/dav/phone/calendar/my-own-name.ics', undefined, { 'if-match': etag })).status).toBe(412);
    expect(mergedView(store, 'calendar').items.get('https://w3id.org/semsync/id/event/client-1')?.quads.some((q) => q.object.value === 'Long lunch')).toBe(true);

    const sync = await (await req('phone', 'REPORT', '/dav/phone/calendar/', syncReport(start))).text();
    expect(hrefs(sync)).toEqual(['/dav/phone/calendar/my-own-name.ics']);
    const del = await req('phone', 'DELETE', '/dav/phone/calendar/my-own-name.ics', undefined, { 'if-match': edited.headers.get('etag')! });
    expect(del.status).toBe(204);
    expect(mergedView(store, 'calendar').items.get('https://w3id.org/semsync/id/event/client-1')?.deleted).toBe(true);
    const after = await (await req('phone', 'REPORT', '/dav/phone/calendar/', syncReport(tokenOf(sync)))).text();
    expect(after).toContain('<d:href>/dav/phone/calendar/my-own-name.ics</d:href><d:status>HTTP/1.1 404 Not Found</d:status>');
    expect((await req('phone', 'REPORT', '/dav/phone/calendar/', syncReport('https://w3id.org/semsync/ns/dav-sync/ffff-1'))).status).toBe(403);
  });

  it('serves an item read without a UID with one, so a client can edit it in place', async () => {
    const read = readPimBytes('contacts', Buffer.from('BEGIN:VCARD\r\nVERSION:3.0\r\nFN:No Uid\r\nN:Uid;No;;;\r\nEND:VCARD\r\n'));
    await writeItems(store, 'contacts', read.groups);
    const master = read.groups[0].master;
    const name = master.slice(master.lastIndexOf('/') + 1);
    const got = await req('phone', 'GET', `/dav/phone/contacts/${name}.vcf`);
    const text = await got.text();
    expect(text).toContain(`UID:${name}\r\n`);
    const put = await req('phone', 'PUT', `/dav/phone/contacts/${name}.vcf`, text.replace('FN:No Uid', 'FN:Now Named'), { 'if-match': got.headers.get('etag')! });
    expect(put.status).toBe(204);
    const item = mergedView(store, 'contacts').items.get(master)!;
    expect(item.quads.some((q) => q.object.value === 'Now Named')).toBe(true);
    expect([...mergedView(store, 'contacts').items.values()].filter((i) => !i.deleted && i.quads.some((q) => q.object.value === 'Now Named'))).toHaveLength(1);
  });

  it('answers calendar-multiget and a calendar-query by component and time range', async () => {
    const multi = `<c:calendar-multiget xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:prop><d:getetag/><c:calendar-data/></d:prop><d:href>/dav/phone/calendar/ev-standup.ics</d:href><d:href>/dav/phone/calendar/nope.ics</d:href></c:calendar-multiget>`;
    const m = await (await req('phone', 'REPORT', '/dav/phone/calendar/', multi)).text();
    expect(m).toContain('UID:ev-standup');
    expect(m).toContain('<d:href>/dav/phone/calendar/nope.ics</d:href><d:status>HTTP/1.1 404 Not Found</d:status>');
    const query = (range: string) => `<c:calendar-query xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:prop><d:getetag/></d:prop><c:filter><c:comp-filter name="VCALENDAR"><c:comp-filter name="VEVENT">${range}</c:comp-filter></c:comp-filter></c:filter></c:calendar-query>`;
    const all = hrefs(await (await req('phone', 'REPORT', '/dav/phone/calendar/', query(''))).text());
    expect(all.length).toBeGreaterThanOrEqual(3);
    const none = hrefs(await (await req('phone', 'REPORT', '/dav/phone/calendar/', query('<c:time-range start="19000101T000000Z" end="19000102T000000Z"/>'))).text());
    expect(none).toEqual([]);
    // A prop-filter on the component (python3-caldav's event_by_uid): only the item with that UID.
    const byUid = query('<c:prop-filter name="UID"><c:text-match collation="i;octet">ev-standup</c:text-match></c:prop-filter>');
    expect(hrefs(await (await req('phone', 'REPORT', '/dav/phone/calendar/', byUid)).text())).toEqual(['/dav/phone/calendar/ev-standup.ics']);
    const noSummary = query('<c:prop-filter name="SUMMARY"><c:is-not-defined/></c:prop-filter>');
    expect(hrefs(await (await req('phone', 'REPORT', '/dav/phone/calendar/', noSummary)).text())).not.toContain('/dav/phone/calendar/ev-standup.ics');
  });
});

describe('hostile requests get 4xx and change nothing', () => {
  it('refuses a huge body, an XML bomb, bad iCalendar, two items in one resource and ".." in a path', async () => {
    const vv = JSON.stringify(store.versionVector());
    expect((await req('phone', 'PUT', '/dav/phone/calendar/big.ics', event('big', 'x'.repeat(70 * 1024)))).status).toBe(413);
    const bomb = '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><d:propfind xmlns:d="DAV:"><d:prop><d:displayname>&lol2;</d:displayname></d:prop></d:propfind>';
    expect((await req('phone', 'PROPFIND', '/dav/phone/', bomb)).status).toBe(400);
    expect((await req('phone', 'PROPFIND', '/dav/phone/', '<d:propfind xmlns:d="DAV:"><d:prop>')).status).toBe(400);
    expect((await req('phone', 'PUT', '/dav/phone/calendar/bad.ics', 'this is not iCalendar')).status).toBe(403);
    expect((await req('phone', 'PUT', '/dav/phone/calendar/bad2.ics', event('bad2', 'x').replace('DTSTART:20250301T100000Z', 'DTSTART:garbage'))).status).toBe(403);
    const two = event('two-a', 'a').replace('END:VCALENDAR\r\n', '') + event('two-b', 'b').split('\r\n').slice(3).join('\r\n');
    expect((await req('phone', 'PUT', '/dav/phone/calendar/two.ics', two)).status).toBe(403);
    expect((await req('phone', 'PUT', '/dav/phone/calendar/%2e%2e', event('dots', 'x'))).status).toBeGreaterThanOrEqual(400);
    expect((await req('phone', 'PUT', '/dav/phone/calendar/a%2fb.ics', event('slash', 'x'))).status).toBe(400);
    expect((await req('phone', 'PUT', '/dav/phone/../workphone/calendar/z.ics', event('dots2', 'x'))).status).toBe(403);
    expect((await req('phone', 'PUT', '/dav/phone/contacts/c.vcf', event('wrong-kind', 'x'))).status).toBe(403);
    expect(JSON.stringify(store.versionVector())).toBe(vv);
  });
});
