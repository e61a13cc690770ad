// The PIM scenario with the real CLI: a laptop syncs contacts and calendar with a phone and a work desktop (separate `semsync start`
// processes) and with the company's CalDAV/CardDAV server (Radicale, policy work); private items reach the phone only; edits come back.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killAllNodes, ok, startNode, stopNode, until, type RunningNode } from '../helpers/nodes.js';
import { radicaleMissing, startRadicale, storageText, type Radicale } from '../helpers/radicale.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '..', '..');
const fixtures = path.join(repoRoot, 'test', 'pim', 'fixtures');
const missing = radicaleMissing();
if (missing) console.log(`skipping the PIM scenario: ${missing}`);

const start = (home: string) => startNode(home);
const stop = (n: RunningNode) => stopNode(n);

const exportOf = (home: string, kind: 'contacts' | 'calendar') => ok(home, 'pim', 'export', `--${kind}`);

describe.skipIf(!!missing)('PIM scenario: laptop, phone, work desktop, company server', () => {
  let work: string;
  let r: Radicale;
  let laptop: RunningNode;
  let phone: RunningNode;
  let desk: RunningNode;
  let auth: string;

  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'semsync-pim-e2e-'));
    r = await startRadicale();
    auth = 'Basic ' + Buffer.from(`${r.user}:${r.password}`).toString('base64');
    await r.mkcol('contacts', 'addressbook');
    await r.mkcol('calendar', 'calendar');
    const [hl, hp, hd] = ['laptop', 'phone', 'desk'].map((n) => path.join(work, n));
    await ok(hl, 'pim', 'import', path.join(fixtures, 'people.vcf'), path.join(fixtures, 'agenda.ics'));
    await ok(hl, 'dav', 'add', `${r.url}/${r.user}/`, '--name', 'company', '--user', r.user, '--password-file', r.passwordFile, '--policy', 'work', '--interval', '2');
    [laptop, phone, desk] = await Promise.all([start(hl), start(hp), start(hd)]);
    await ok(laptop.home, 'policy', 'set', desk.peerId, '--work');
    await ok(laptop.home, 'policy', 'set', phone.peerId, '--personal');
    for (const [a, b] of [[laptop, phone], [laptop, desk]]) await ok(a.home, 'pair', b.peerId, '--addr', b.addr);
    // The phone and the desk choose the laptop's policy as they pair (a peer gets no PIM until its policy is chosen).
    for (const a of [phone, desk]) await ok(a.home, 'pair', laptop.peerId, '--addr', laptop.addr, '--personal');
  }, 120_000);

  afterAll(async () => {
    await Promise.all([laptop, phone, desk].filter(Boolean).map((n) => stop(n)));
    killAllNodes();
    await r?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('personal contacts and private appointments reach the phone, never the work desktop or the company server', async () => {
    await until(async () => (await exportOf(phone.home, 'contacts')).includes('personal-mum') && (await exportOf(phone.home, 'calendar')).includes('xyzzy'), 30_000, 'the phone to get everything');
    await until(async () => (await exportOf(desk.home, 'contacts')).includes('work-bob') && (await exportOf(desk.home, 'calendar')).includes('ev-standup'), 30_000, 'the desk to get the work items');
    // The server syncs every 2 s in the running laptop.
    await until(async () => (await storageText(r.storage, true)).includes('ev-review') && (await storageText(r.storage, true)).includes('work-carol'), 30_000, 'the company server to get the work items');
    const deskAll = (await exportOf(desk.home, 'contacts')) + (await exportOf(desk.home, 'calendar'));
    const deskGraph = await ok(desk.home, 'export', '--format', 'nquads');
    const server = await storageText(r.storage);
    for (const secret of ['personal-mum', 'Secretname', 'ev-doctor', 'xyzzy', '1980-04-01']) {
      expect(deskAll).not.toContain(secret);
      expect(deskGraph).not.toContain(secret);
      expect(server).not.toContain(secret);
    }
    expect(await exportOf(phone.home, 'contacts')).toContain('BDAY:1980-04-01');
  }, 120_000);

  it('edits from the phone and from the server come back to the laptop (and go on)', async () => {
    await writeFile(path.join(work, 'phone-edit.ics'), 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//phone//EN\r\nBEGIN:VEVENT\r\nUID:ev-standup\r\nDTSTAMP:20240101T080000Z\r\nDTSTART:20240102T093000Z\r\nDTEND:20240102T094500Z\r\nSUMMARY:Standup (moved on the phone)\r\nCLASS:PUBLIC\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n');
    await ok(phone.home, 'pim', 'import', path.join(work, 'phone-edit.ics'));
    await until(async () => (await exportOf(laptop.home, 'calendar')).includes('Standup (moved on the phone)'), 30_000, 'the phone edit on the laptop');
    await until(async () => (await storageText(r.storage, true)).includes('Standup (moved on the phone)'), 30_000, 'the phone edit on the server');
    // An edit on the server (the office assistant renames Bob).
    const list = await fetch(`${r.url}/${r.user}/contacts/`, { method: 'PROPFIND', headers: { authorization: auth, depth: '1' } }).then((x) => x.text());
    const bob = /<[^>]*href>([^<]*work-bob[^<]*)</.exec(list)![1];
    const cur = await fetch(new URL(bob, r.url), { headers: { authorization: auth } }).then((x) => x.text());
    await fetch(new URL(bob, r.url), { method: 'PUT', headers: { authorization: auth, 'content-type': 'text/vcard' }, body: cur.replace(/FN:[^\r\n]*/, 'FN:Robert Builder') });
    await until(async () => (await exportOf(laptop.home, 'contacts')).includes('FN:Robert Builder'), 30_000, 'the server edit on the laptop');
    await until(async () => (await exportOf(phone.home, 'contacts')).includes('FN:Robert Builder'), 30_000, 'the server edit on the phone');
    await until(async () => (await exportOf(desk.home, 'contacts')).includes('FN:Robert Builder'), 30_000, 'the server edit on the desk');
  }, 120_000);

  it('an item turned private is deleted from the work desktop and the server, and stays on the phone', async () => {
    await writeFile(path.join(work, 'private.ics'), 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:ev-review\r\nDTSTAMP:20240101T080000Z\r\nDTSTART:20240104T100000Z\r\nSUMMARY:Review, then job interview elsewhere frobozz\r\nCLASS:PRIVATE\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n');
    await ok(laptop.home, 'pim', 'import', path.join(work, 'private.ics'));
    await until(async () => (await exportOf(phone.home, 'calendar')).includes('frobozz'), 30_000, 'the phone to get the private edit');
    await until(async () => !(await exportOf(desk.home, 'calendar')).includes('ev-review'), 30_000, 'the desk to lose the item');
    await until(async () => !(await storageText(r.storage, true)).includes('ev-review'), 30_000, 'the server to lose the item');
    expect((await exportOf(desk.home, 'calendar')) + (await storageText(r.storage))).not.toContain('frobozz');
    const pol = JSON.parse(await ok(laptop.home, 'policy', 'show', desk.peerId, '--json')) as { policy: { work: boolean } };
    expect(pol.policy.work).toBe(true);
  }, 120_000);
});
