// A listing made after a small change lends the unchanged resources of the one before (their ETags and the answers
// made for them stay), so a client's sync after 1% changed remakes only that 1%; what changed is never served stale.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphStore } from '../../../src/graph/store.js';
import { readPimBytes, writeItems } from '../../../src/pim/store.js';
import { DavServer } from '../../../src/dav/index.js';
import { MergedViews } from '../../../src/dav/server/views.js';
import { listing, TextCache, type Listing } from '../../../src/dav/server/resources.js';
import { newState } from '../../../src/dav/server/state.js';
import { resourceAnswers, type PropContext } from '../../../src/dav/server/props.js';
import { NS } from '../../../src/dav/server/xml.js';

let home: string;
let store: GraphStore;

const card = (uid: string, fn: string) => `BEGIN:VCARD\r\nVERSION:3.0\r\nUID:${uid}\r\nFN:${fn}\r\nN:${fn};;;;\r\nEND:VCARD\r\n`;
async function write(text: string): Promise<void> {
  const read = readPimBytes('contacts', Buffer.from(text));
  await writeItems(store, 'contacts', read.groups, { timezones: read.timezones });
}
const byUid = (l: Listing, uid: string) => [...l.byName.values()].find((r) => r.text.includes(`UID:${uid}\r\n`))!;

beforeAll(async () => {
  home = await mkdtemp(path.join(os.tmpdir(), 'semsync-davreuse-'));
  store = await GraphStore.open({ dir: path.join(home, 'store'), nodeId: 'laptop' });
  await write(card('ann', 'Ann') + card('bob', 'Bob') + card('cy', 'Cy'));
});
afterAll(async () => {
  await store?.close();
  if (home) await rm(home, { recursive: true, force: true });
});

describe('listings after a small change', () => {
  it('keep the resources of untouched items and remake the edited one and the one the account wrote itself', async () => {
    const views = new MergedViews(store);
    const state = newState();
    const cache = new TextCache();
    const first = listing(store, 'contacts', 'phone', undefined, state, cache, undefined, views.view('contacts'));
    await write(card('bob', 'Bob Edited'));
    const second = listing(store, 'contacts', 'phone', undefined, state, cache, undefined, views.view('contacts'), first);
    expect(views.last).toBe('patched');
    expect(byUid(second, 'ann')).toBe(byUid(first, 'ann'));
    expect(byUid(second, 'cy')).toBe(byUid(first, 'cy'));
    expect(byUid(second, 'bob')).not.toBe(byUid(first, 'bob'));
    expect(byUid(second, 'bob').text).toContain('FN:Bob Edited');
    expect(byUid(second, 'bob').etag).not.toBe(byUid(first, 'bob').etag);

    // The account's own text for Ann (what its client wrote at this revision) is served from then on: a new resource.
    const ann = byUid(second, 'ann');
    const own = card('ann', 'Ann').replace('END:VCARD', 'NOTE:written by the phone\r\nEND:VCARD');
    state.written[ann.master] = { rev: ann.rev, text: own, policy: 'null' };
    const third = listing(store, 'contacts', 'phone', undefined, state, cache, undefined, views.view('contacts'), second);
    expect(byUid(third, 'ann')).not.toBe(ann);
    expect(byUid(third, 'ann').text).toBe(own);
    expect(byUid(third, 'cy')).toBe(byUid(first, 'cy'));
  });

  it('a work account: an event re-classified private leaves the next listing; an untouched private one stays out', async () => {
    const ev = (uid: string, cls: string) => `BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:${uid}\r\nDTSTART:20250101T100000Z\r\nSUMMARY:${uid}\r\nCLASS:${cls}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n`;
    const put = async (text: string) => {
      const read = readPimBytes('calendar', Buffer.from(text));
      await writeItems(store, 'calendar', read.groups, { timezones: read.timezones });
    };
    await put(ev('meeting', 'PUBLIC') + ev('doctor', 'PRIVATE').replace(/^BEGIN:VCALENDAR\r\nVERSION:2.0\r\n/, ''));
    const views = new MergedViews(store);
    const state = newState();
    const cache = new TextCache();
    const names = (l: Listing) => [...l.byName.keys()].sort();
    const first = listing(store, 'calendar', 'work', { work: true }, state, cache, undefined, views.view('calendar'));
    expect(names(first)).toEqual(['meeting.ics']);
    await put(ev('meeting', 'PRIVATE'));
    const second = listing(store, 'calendar', 'work', { work: true }, state, cache, undefined, views.view('calendar'), first);
    expect(names(second)).toEqual([]);
    await put(ev('meeting', 'PUBLIC'));
    const third = listing(store, 'calendar', 'work', { work: true }, state, cache, undefined, views.view('calendar'), second);
    expect(names(third)).toEqual(['meeting.ics']);
    expect(third.byName.get('meeting.ics')!.text).not.toContain('doctor');
  });

  it('answers kept per resource: the same object answers as before; a changed one, or the data itself, is made anew', async () => {
    const views = new MergedViews(store);
    const list = listing(store, 'contacts', 'phone', undefined, newState(), new TextCache(), undefined, views.view('contacts'));
    const ctx: PropContext = { prefix: '/dav/', account: 'phone', maxBody: 1 << 20 };
    const res = [...list.byName.values()][0];
    const etagOnly = resourceAnswers(ctx, 'contacts', 'contacts', [{ ns: NS.dav, name: 'getetag' }]);
    const first = etagOnly(res);
    expect(first).toContain(res.etag.replace(/"/g, '&quot;'));
    // Kept: the answer is not made again for the same resource object (a resource never changes once made).
    expect(resourceAnswers(ctx, 'contacts', 'contacts', [{ ns: NS.dav, name: 'getetag' }])(res)).toBe(first);
    // Another object (an edited item's new resource) gets its own answer.
    const edited = { ...res, etag: '"edited"' };
    expect(etagOnly(edited)).toContain('&quot;edited&quot;');
    // Another collection or property set is another answer.
    expect(resourceAnswers(ctx, 'contacts', 'work', [{ ns: NS.dav, name: 'getetag' }])(res)).toContain('/dav/phone/work/');
    expect(resourceAnswers(ctx, 'contacts', 'contacts', [{ ns: NS.dav, name: 'getetag' }, { ns: NS.dav, name: 'getcontenttype' }])(res)).toContain('text/vcard');
    // Answers with the data are not kept.
    const withData = resourceAnswers(ctx, 'contacts', 'contacts', [{ ns: NS.card, name: 'address-data' }]);
    const copy = { ...res, converted: undefined };
    expect(withData(copy)).toContain('FN:');
    copy.text = copy.text.replace(/FN:[^\r]*/, 'FN:Changed');
    copy.converted = undefined;
    expect(withData(copy)).toContain('FN:Changed');
  });

  it('a client listing the address book after an edit elsewhere and after its own PUT sees each new ETag, the others unchanged', async () => {
    const dav = new DavServer({ store, home, warmAfterMs: -1 });
    const { password } = await dav.accounts.add('phone', undefined);
    const auth = 'Basic ' + Buffer.from(`phone:${password}`).toString('base64');
    const etags = async () => {
      const r = await dav.handle(new Request('http://127.0.0.1/dav/phone/contacts/', { method: 'PROPFIND', headers: { depth: '1', authorization: auth }, body: '<d:propfind xmlns:d="DAV:"><d:prop><d:resourcetype/><d:getcontenttype/><d:getetag/></d:prop></d:propfind>' }));
      expect(r.status).toBe(207);
      const xml = await r.text();
      return new Map([...xml.matchAll(/<d:href>[^<]*\/([^/<]+\.vcf)<\/d:href>.*?<d:getetag>([^<]*)<\/d:getetag>/g)].map((m) => [m[1], m[2].replace(/&quot;/g, '"')]));
    };
    const get = async (name: string) => (await dav.handle(new Request(`http://127.0.0.1/dav/phone/contacts/${name}`, { headers: { authorization: auth } }))).headers.get('etag');
    const before = await etags();
    expect([...before.keys()].sort()).toEqual(['ann.vcf', 'bob.vcf', 'cy.vcf']);

    await write(card('cy', 'Cy Edited'));
    const after = await etags();
    expect(after.get('cy.vcf')).not.toBe(before.get('cy.vcf'));
    expect(after.get('cy.vcf')).toBe(await get('cy.vcf'));
    expect([after.get('ann.vcf'), after.get('bob.vcf')]).toEqual([before.get('ann.vcf'), before.get('bob.vcf')]);

    const put = await dav.handle(new Request('http://127.0.0.1/dav/phone/contacts/ann.vcf', { method: 'PUT', headers: { authorization: auth, 'content-type': 'text/vcard', 'if-match': after.get('ann.vcf')! }, body: card('ann', 'Ann From Phone') }));
    expect(put.status).toBeLessThan(300);
    const mine = await etags();
    expect(mine.get('ann.vcf')).not.toBe(after.get('ann.vcf'));
    expect(mine.get('ann.vcf')).toBe(await get('ann.vcf'));
    if (put.headers.get('etag')) expect(mine.get('ann.vcf')).toBe(put.headers.get('etag'));
    expect([mine.get('bob.vcf'), mine.get('cy.vcf')]).toEqual([after.get('bob.vcf'), after.get('cy.vcf')]);
  });
});
