// The node as CalDAV/CardDAV server for real clients (Debian's vdirsyncer and python3-caldav) over the corpus: two-way sync over
// several rounds with no duplicates or phantom changes, a personal and a work account (checked in what the client wrote to disk),
// re-classification, and hostile requests.
import http from 'node:http';
import { mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, killAllNodes, ok, startNode, stopNode, until, type RunningNode } from '../helpers/nodes.js';
import { caldavMissing, davRounds, runCaldavScript, uidsOf, Vdirsyncer, vdirsyncerMissing } from '../helpers/dav-clients.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const fixtures = path.join(here, '..', 'pim', 'fixtures');
const corpus = '/work/shared/corpus/pim';
const missing = vdirsyncerMissing();
if (missing) console.log(`skipping the DAV server e2e tests: ${missing}`);

const BDAY = /^(?:[\w-]+\.)?BDAY[;:]/m;
const PRIVATE_CLASS = /^CLASS:(PRIVATE|CONFIDENTIAL)/m;
const all = (m: Map<string, string>) => [...m.values()].join('\n');

function uidCounts(files: Map<string, string>): Map<string, number> {
  const out = new Map<string, number>();
  for (const text of files.values()) for (const uid of new Set(uidsOf(text))) out.set(uid, (out.get(uid) ?? 0) + 1);
  return out;
}

describe.skipIf(!!missing)('the node serves CalDAV/CardDAV to real clients', () => {
  let work: string;
  let node: RunningNode;
  const pw: Record<string, string> = {};
  let phone: Vdirsyncer;
  let workphone: Vdirsyncer;
  const exportOf = (kind: 'contacts' | 'calendar') => ok(node.home, 'pim', 'export', `--${kind}`);

  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'semsync-davserve-e2e-'));
    const home = path.join(work, 'laptop');
    await ok(home, 'pim', 'import', path.join(corpus, 'contacts'), path.join(corpus, 'calendars'), path.join(fixtures, 'people.vcf'), path.join(fixtures, 'agenda.ics'));
    for (const [name, policy] of [['phone', 'personal'], ['workphone', 'work']]) pw[name] = (await json<{ password: string }>(home, 'dav', 'serve', 'add', name, '--policy', policy, '--json')).password;
    node = await startNode(home);
    phone = new Vdirsyncer(path.join(work, 'phone'));
    workphone = new Vdirsyncer(path.join(work, 'workphone'));
    await phone.setup(node.url, 'phone', pw.phone);
    await workphone.setup(node.url, 'workphone', pw.workphone);
  }, 120_000);

  afterAll(async () => {
    if (node) await stopNode(node);
    killAllNodes();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('lists the accounts with their policies, never a password', async () => {
    const list = await json<{ name: string; policy: unknown }[]>(node.home, 'dav', 'serve', 'list', '--json');
    expect(list.map((a) => [a.name, a.policy])).toEqual([['phone', null], ['workphone', { work: true }]]);
    const file = await readFile(path.join(node.home, 'dav-server', 'accounts.json'), 'utf8');
    expect(file).not.toContain(pw.phone);
    expect(file).toContain('scrypt$');
  });

  it('gives the personal phone everything and the work phone nothing private (as written to disk by vdirsyncer)', async () => {
    await phone.sync();
    await workphone.sync();
    const [pc, pk, wc, wk] = [await phone.files('calendar'), await phone.files('contacts'), await workphone.files('calendar'), await workphone.files('contacts')];
    // The phone has the corpus's confidential and private items, the Personal contact, birthdays (events and BDAY lines).
    expect(all(pc)).toMatch(PRIVATE_CLASS);
    expect(all(pc)).toContain('UID:ev-doctor');
    expect([...uidCounts(pc).keys()].some((u) => /birthday/i.test(u))).toBe(true);
    expect(all(pk)).toContain('personal-mum');
    expect(all(pk)).toMatch(BDAY);
    // The work phone has none of them, but has the rest.
    expect(all(wc)).not.toMatch(PRIVATE_CLASS);
    expect(all(wc)).not.toContain('ev-doctor');
    expect([...uidCounts(wc).keys()].some((u) => /birthday/i.test(u))).toBe(false);
    expect(all(wk)).not.toContain('personal-mum');
    expect(all(wk)).not.toContain('Secretname');
    expect(all(wk)).not.toMatch(BDAY);
    expect(all(wc)).toContain('UID:ev-standup');
    expect(all(wk)).toContain('work-carol');
    expect(wc.size).toBeLessThan(pc.size);
    expect(wc.size).toBeGreaterThan(10);
    const seen = await json<{ name: string; lastSeen?: string; device?: string }[]>(node.home, 'dav', 'serve', 'list', '--json');
    expect(seen.find((a) => a.name === 'phone')?.device).toMatch(/vdirsyncer/i);
    expect(Date.parse(seen.find((a) => a.name === 'workphone')?.lastSeen ?? '')).toBeGreaterThan(Date.now() - 600_000);
  }, 120_000);

  it(`syncs both ways over ${davRounds()} rounds: creates, edits and deletes land in the graph and come back; nothing duplicated, no phantom change`, async () => {
    const event = (uid: string, summary: string) => `BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//e2e//vdirsyncer//EN\r\nBEGIN:VEVENT\r\nUID:${uid}\r\nDTSTAMP:20250101T000000Z\r\nDTSTART:20250301T100000Z\r\nDTEND:20250301T110000Z\r\nSUMMARY:${summary}\r\nX-E2E:kept\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n`;
    const contact = (uid: string, fn: string, v4: boolean) => `BEGIN:VCARD\r\nVERSION:${v4 ? '4.0' : '3.0'}\r\nUID:${uid}\r\nFN:${fn}\r\n${v4 ? '' : `N:${fn};;;;\r\n`}EMAIL:${uid}@example.org\r\nEND:VCARD\r\n`;
    const agenda = await readFile(path.join(fixtures, 'agenda.ics'), 'utf8');
    await phone.sync();
    for (let i = 1; i <= davRounds(); i++) {
      await writeFile(path.join(phone.calendar, `round-${i}-event.ics`), event(`round-${i}-event`, `Round ${i}`));
      await writeFile(path.join(phone.contacts, `round-${i}-contact.vcf`), contact(`round-${i}-contact`, `Person ${i}`, i % 2 === 0));
      if (i > 1) await writeFile(path.join(phone.calendar, `round-${i - 1}-event.ics`), event(`round-${i - 1}-event`, `Round ${i - 1} edited`));
      if (i > 2) await unlink(path.join(phone.contacts, `round-${i - 2}-contact.vcf`));
      await phone.sync();
      const cal = await exportOf('calendar');
      const cards = await exportOf('contacts');
      expect(cal).toContain(`UID:round-${i}-event`);
      if (i > 1) expect(cal).toContain(`SUMMARY:Round ${i - 1} edited`);
      expect(cards).toContain(`UID:round-${i}-contact`);
      if (i > 2) expect(cards).not.toContain(`UID:round-${i - 2}-contact`);

      // The laptop edits and deletes; the phone gets it on its next sync.
      const edited = path.join(work, `agenda-${i}.ics`);
      await writeFile(edited, agenda.replace(/SUMMARY:[^\r\n]*Review[^\r\n]*/i, `SUMMARY:Review ${i}`));
      await ok(node.home, 'pim', 'import', edited);
      if (i > 2) await ok(node.home, 'pim', 'remove', '--calendar', `round-${i - 2}-event`);
      await phone.sync();
      const local = await phone.files('calendar');
      expect(all(local)).toContain(`SUMMARY:Review ${i}`);
      if (i > 2) expect(uidCounts(local).has(`round-${i - 2}-event`)).toBe(false);
      for (const files of [local, await phone.files('contacts')]) {
        const dup = [...uidCounts(files)].filter(([, n]) => n > 1);
        expect(dup).toEqual([]);
      }
      // What the client wrote comes back as written: a sync with nothing new moves nothing.
      expect(await readFile(path.join(phone.calendar, `round-${i}-event.ics`), 'utf8')).toBe(event(`round-${i}-event`, `Round ${i}`));
      const quiet = await phone.sync();
      expect(quiet).not.toMatch(/Copying|Deleting/);
    }
  }, 60_000 + davRounds() * 60_000);

  it('takes an event off the work phone when the laptop makes it private (keeping it on the phone), and back when public', async () => {
    const agenda = await readFile(path.join(fixtures, 'agenda.ics'), 'utf8');
    const file = path.join(work, 'agenda-private.ics');
    const standup = agenda.split(/(?=BEGIN:VEVENT)/).find((b) => b.includes('UID:ev-standup'))!;
    await writeFile(file, agenda.replace(standup, standup.replace('CLASS:PUBLIC', 'CLASS:PRIVATE')));
    await ok(node.home, 'pim', 'import', file);
    await workphone.sync();
    await phone.sync();
    expect(uidCounts(await workphone.files('calendar')).has('ev-standup')).toBe(false);
    expect(all(await phone.files('calendar'))).toMatch(/UID:ev-standup[\s\S]*?CLASS:PRIVATE|CLASS:PRIVATE[\s\S]*?UID:ev-standup/);
    // Public again: back on the work phone, once.
    const back = path.join(work, 'agenda-public.ics');
    await writeFile(back, agenda.replace(standup, standup.replace('SUMMARY:', 'SUMMARY:Public again: ')));
    await ok(node.home, 'pim', 'import', back);
    await workphone.sync();
    const wc = await workphone.files('calendar');
    expect(uidCounts(wc).get('ev-standup')).toBe(1);
    expect(all(wc)).toContain('SUMMARY:Public again: ');
  }, 120_000);

  it("carries a client's edit to a paired node, and the paired node's edit to the client at its next sync", async () => {
    const desk = await startNode(path.join(work, 'desk'));
    try {
      await ok(node.home, 'policy', 'set', desk.peerId, '--personal');
      await ok(desk.home, 'policy', 'set', node.peerId, '--personal');
      await ok(node.home, 'pair', desk.peerId, '--addr', desk.addr);
      await ok(desk.home, 'pair', node.peerId, '--addr', node.addr);
      const text = (summary: string) => `BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//e2e//paired//EN\r\nBEGIN:VEVENT\r\nUID:paired-1\r\nDTSTAMP:20250101T000000Z\r\nDTSTART:20250701T100000Z\r\nSUMMARY:${summary}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n`;
      await writeFile(path.join(phone.calendar, 'paired-1.ics'), text('Written on the phone'));
      await phone.sync();
      await until(async () => (await ok(desk.home, 'pim', 'export', '--calendar')).includes('SUMMARY:Written on the phone'), 90_000, 'the phone edit on the paired node');
      const edit = path.join(work, 'desk-edit.ics');
      await writeFile(edit, text('Changed on the desk'));
      await ok(desk.home, 'pim', 'import', edit);
      await until(async () => (await exportOf('calendar')).includes('SUMMARY:Changed on the desk'), 90_000, 'the desk edit on the laptop');
      await phone.sync();
      const local = await phone.files('calendar');
      expect(uidCounts(local).get('paired-1')).toBe(1);
      expect(all(local)).toContain('SUMMARY:Changed on the desk');
      expect(all(local)).not.toContain('SUMMARY:Written on the phone');
    } finally {
      await stopNode(desk);
    }
  }, 240_000);

  it.skipIf(!!caldavMissing())('python3-caldav creates, edits and deletes events, tasks and a journal over 20 rounds', async () => {
    const script = `
import sys, json, datetime, caldav
url, user, pw, rounds = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
cal = caldav.DAVClient(url=url, username=user, password=pw).principal().calendars()[0]
def ics(kind, uid, summary):
    return "BEGIN:VCALENDAR\\r\\nVERSION:2.0\\r\\nPRODID:-//e2e//caldav//EN\\r\\nBEGIN:%s\\r\\nUID:%s\\r\\nDTSTAMP:20250101T000000Z\\r\\nDTSTART:20250501T090000Z\\r\\nSUMMARY:%s\\r\\nEND:%s\\r\\nEND:VCALENDAR\\r\\n" % (kind, uid, summary, kind)
cal.save_journal(ics("VJOURNAL", "py-journal", "Py journal"))
for i in range(1, rounds + 1):
    cal.save_event(ics("VEVENT", "py-event-%d" % i, "Py event %d" % i))
    cal.save_todo(ics("VTODO", "py-todo-%d" % i, "Py todo %d" % i))
    if i > 1:
        ev = cal.event_by_uid("py-event-%d" % (i - 1))
        ev.vobject_instance.vevent.summary.value = "Py event %d edited" % (i - 1)
        ev.save()
        cal.todo_by_uid("py-todo-%d" % (i - 1)).delete()
    if i > 2:
        cal.event_by_uid("py-event-%d" % (i - 2)).delete()
uids = lambda objs: [str(o.icalendar_component["uid"]) for o in objs]
found = cal.search(start=datetime.datetime(2025, 5, 1), end=datetime.datetime(2025, 5, 2), event=True)
print(json.dumps({"events": sorted(u for u in uids(cal.events()) if u.startswith("py-")), "todos": sorted(u for u in uids(cal.todos()) if u.startswith("py-")),
                  "found": sorted(str(f.url).rsplit("/", 1)[1] for f in found if str(f.url).rsplit("/", 1)[1].startswith("py-")), "journals": len(cal.journals())}))
`;
    const rounds = 20;
    const before = await exportOf('calendar');
    expect(before).not.toContain('py-event');
    const out = (await runCaldavScript(work, script, [`${node.url}dav/`, 'phone', pw.phone, String(rounds)])) as { events: string[]; todos: string[]; found: string[]; journals: number };
    // Each UID once: the last two events (the older one edited), the last task, the journal.
    expect(out.events).toEqual([`py-event-${rounds - 1}`, `py-event-${rounds}`]);
    expect(out.todos).toEqual([`py-todo-${rounds}`]);
    expect(out.found).toEqual([`py-event-${rounds - 1}.ics`, `py-event-${rounds}.ics`]);
    expect(out.journals).toBeGreaterThanOrEqual(1);
    const cal = await exportOf('calendar');
    expect(cal).toContain(`SUMMARY:Py event ${rounds - 1} edited`);
    expect(cal).toContain('UID:py-journal');
    const exported = uidsOf(cal).filter((u) => u.startsWith('py-')).sort();
    expect(exported).toEqual([`py-event-${rounds - 1}`, `py-event-${rounds}`, 'py-journal', `py-todo-${rounds}`]);
    await phone.sync();
    const local = await phone.files('calendar');
    expect(all(local)).toContain(`SUMMARY:Py event ${rounds - 1} edited`);
    expect([...uidCounts(local)].filter(([u, n]) => u.startsWith('py-') && n > 1)).toEqual([]);
    expect([...uidCounts(local).keys()].filter((u) => u.startsWith('py-')).sort()).toEqual([`py-event-${rounds - 1}`, `py-event-${rounds}`, 'py-journal', `py-todo-${rounds}`]);
  }, 180_000);

  it('answers hostile requests with 4xx and changes nothing', async () => {
    const before = (await exportOf('calendar')) + (await exportOf('contacts'));
    const u = new URL(node.url);
    const send = (method: string, p: string, body: string | Buffer, user = 'phone', headers: Record<string, string> = {}) =>
      new Promise<number>((resolve, reject) => {
        const r = http.request({ host: u.hostname, port: u.port, method, path: p, headers: { authorization: 'Basic ' + Buffer.from(`${user}:${pw[user]}`).toString('base64'), 'content-type': 'text/calendar', ...headers } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        r.on('error', (e: NodeJS.ErrnoException) => (e.code === 'EPIPE' || e.code === 'ECONNRESET' ? resolve(413) : reject(e)));
        r.end(body);
      });
    const ev = (uid: string) => `BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:${uid}\r\nDTSTART:20250101T100000Z\r\nSUMMARY:hostile\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n`;
    expect(await send('PUT', '/dav/phone/calendar/huge.ics', Buffer.alloc(3 << 20, 'A'))).toBe(413);
    const bomb = '<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><propfind xmlns="DAV:"><prop><displayname>&c;</displayname></prop></propfind>';
    expect(await send('PROPFIND', '/dav/phone/', bomb, 'phone', { 'content-type': 'application/xml' })).toBe(400);
    expect(await send('PUT', '/dav/phone/calendar/bad.ics', 'BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:nonsense\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n')).toBeGreaterThanOrEqual(400);
    expect(await send('PUT', '/dav/workphone/calendar/x.ics', ev('into-work'))).toBe(403);
    expect(await send('PUT', '/dav/phone/../workphone/calendar/y.ics', ev('dots'))).toBe(403);
    expect(await send('PUT', '/dav/phone/calendar/..%2f..%2fx.ics', ev('dots2'))).toBe(400);
    expect(await send('PUT', '/dav/workphone/calendar/ev-doctor.ics', ev('ev-doctor'), 'workphone')).toBe(403);
    expect(await send('DELETE', '/dav/workphone/calendar/ev-doctor.ics', '', 'workphone')).toBe(404);
    const after = (await exportOf('calendar')) + (await exportOf('contacts'));
    expect(after.replace(/DTSTAMP:\S+/g, '')).toBe(before.replace(/DTSTAMP:\S+/g, ''));
  }, 120_000);
});
