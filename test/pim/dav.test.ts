// CalDAV/CardDAV two-way sync through the real CLI against Radicale: policy before PUT, edits and deletions both ways, field conflicts, a dead server.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';
import { radicaleMissing, startRadicale, storageText, type Radicale } from '../helpers/radicale.js';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
const missing = radicaleMissing();
if (missing) console.log(`skipping CalDAV/CardDAV tests: ${missing}`);

describe.skipIf(!!missing)('dav sync with Radicale (CLI)', () => {
  let r: Radicale;
  let home: string;
  let auth: string;
  let contacts: string;
  let calendar: string;
  const ok = async (...args: string[]) => {
    const res = await cli(home, args);
    if (res.code !== 0) throw new Error(`semsync ${args.join(' ')}: ${res.code} ${res.stderr}`);
    return res.stdout;
  };
  const exportText = (kind: string) => ok('pim', 'export', `--${kind}`);

  beforeAll(async () => {
    r = await startRadicale();
    auth = 'Basic ' + Buffer.from(`${r.user}:${r.password}`).toString('base64');
    contacts = await r.mkcol('contacts', 'addressbook');
    calendar = await r.mkcol('calendar', 'calendar');
    home = await mkdtemp(path.join(os.tmpdir(), 'semsync-dav-'));
    await ok('pim', 'import', path.join(fixtures, 'people.vcf'), path.join(fixtures, 'agenda.ics'));
    await ok('dav', 'add', `${r.url}/${r.user}/`, '--name', 'company', '--user', r.user, '--password-file', r.passwordFile, '--policy', 'work');
  }, 30_000);
  afterAll(async () => {
    await r?.stop();
    if (home) await rm(home, { recursive: true, force: true });
  });

  it('pushes what the work policy allows and nothing private', async () => {
    const out = JSON.parse(await ok('dav', 'sync', 'company', '--json')) as Array<{ pushed: number; withheld: number }>;
    expect(out.reduce((n, x) => n + x.pushed, 0)).toBe(4); // bob, carol, standup, review
    const stored = await storageText(r.storage);
    expect(stored).toContain('work-bob');
    expect(stored).toContain('ev-standup');
    for (const secret of ['personal-mum', 'Secretname', 'ev-doctor', 'xyzzy', '1980-04-01', 'BDAY']) expect(stored).not.toContain(secret);
    const again = JSON.parse(await ok('dav', 'sync', '--json')) as Array<{ pushed: number; pulled: number }>;
    expect(again.every((x) => x.pushed === 0 && x.pulled === 0)).toBe(true);
  });

  it('brings server edits, new items and deletions in', async () => {
    const list = await fetch(calendar, { method: 'PROPFIND', headers: { authorization: auth, depth: '1' } }).then((x) => x.text());
    const standup = /<[^>]*href>([^<]*ev-standup[^<]*)</.exec(list)![1];
    const cur = await fetch(new URL(standup, r.url), { headers: { authorization: auth } }).then((x) => x.text());
    const edited = cur.replace(/SUMMARY:[^\r\n]*/, 'SUMMARY:Standup moved by the office').replace(/DTSTAMP:[^\r\n]*/, 'DTSTAMP:20300101T000000Z');
    expect((await fetch(new URL(standup, r.url), { method: 'PUT', headers: { authorization: auth, 'content-type': 'text/calendar' }, body: edited })).status).toBeLessThan(300);
    const newEvent = 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//office//EN\r\nBEGIN:VEVENT\r\nUID:office-party\r\nDTSTAMP:20240101T000000Z\r\nDTSTART:20240201T170000Z\r\nSUMMARY:Office party\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n';
    await fetch(calendar + 'office-party.ics', { method: 'PUT', headers: { authorization: auth, 'content-type': 'text/calendar' }, body: newEvent });
    const cl = await fetch(contacts, { method: 'PROPFIND', headers: { authorization: auth, depth: '1' } }).then((x) => x.text());
    const carol = /<[^>]*href>([^<]*work-carol[^<]*)</.exec(cl)![1];
    await fetch(new URL(carol, r.url), { method: 'DELETE', headers: { authorization: auth } });
    await ok('dav', 'sync', 'company');
    const cal = await exportText('calendar');
    expect(cal).toContain('SUMMARY:Standup moved by the office');
    expect(cal).toContain('UID:office-party');
    expect(cal).toContain('UID:ev-doctor'); // private, kept here
    const vcf = await exportText('contacts');
    expect(vcf).not.toContain('work-carol');
    expect(vcf).toContain('personal-mum');
  });

  it('sends local edits and deletions, and deletes an item there once it turns private', async () => {
    await writeFile(path.join(home, 'edit.ics'), 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:ev-review\r\nDTSTAMP:20240101T080000Z\r\nDTSTART:20240104T100000Z\r\nDTEND:20240104T110000Z\r\nSUMMARY:Quarterly review (room 4)\r\nCLASS:PUBLIC\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n');
    await ok('pim', 'import', path.join(home, 'edit.ics'));
    await ok('pim', 'remove', '--contacts', 'work-bob');
    await ok('dav', 'sync', 'company');
    const stored = await storageText(r.storage, true);
    expect(stored).toContain('Quarterly review (room 4)');
    expect(stored).not.toContain('work-bob');
    await writeFile(path.join(home, 'private.ics'), 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:ev-review\r\nDTSTAMP:20240101T080000Z\r\nDTSTART:20240104T100000Z\r\nSUMMARY:Quarterly review, then lawyer plugh\r\nCLASS:PRIVATE\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n');
    await ok('pim', 'import', path.join(home, 'private.ics'));
    const rep = JSON.parse(await ok('dav', 'sync', 'company', '--json')) as Array<{ deletedThere: number }>;
    expect(rep.reduce((n, x) => n + x.deletedThere, 0)).toBe(1);
    expect(await storageText(r.storage, true)).not.toContain('ev-review'); // Radicale's history cache keeps the old public version
    expect(await storageText(r.storage)).not.toContain('plugh');
    expect(await exportText('calendar')).toContain('lawyer plugh');
  });

  it('a server edit against a local edit of the same field: a listed conflict (no -conflict- item), settled by conflicts resolve', async () => {
    const list = await fetch(calendar, { method: 'PROPFIND', headers: { authorization: auth, depth: '1' } }).then((x) => x.text());
    const party = /<[^>]*href>([^<]*office-party[^<]*)</.exec(list)![1];
    const cur = await fetch(new URL(party, r.url), { headers: { authorization: auth } }).then((x) => x.text());
    await fetch(new URL(party, r.url), { method: 'PUT', headers: { authorization: auth, 'content-type': 'text/calendar' }, body: cur.replace(/SUMMARY:[^\r\n]*/, 'SUMMARY:Office party (server)').replace(/DTSTAMP:[^\r\n]*/, 'DTSTAMP:20200101T000000Z') });
    const mine = cur.replace(/SUMMARY:[^\r\n]*/, 'SUMMARY:Office party (laptop)').replace(/DTSTART([;:])[^\r\n]*/, 'DTSTART:20240201T170000Z');
    await writeFile(path.join(home, 'party.ics'), mine);
    await ok('pim', 'import', path.join(home, 'party.ics'));
    const rep = JSON.parse(await ok('dav', 'sync', 'company', '--json')) as Array<{ conflicts: number }>;
    expect(rep.reduce((n, x) => n + x.conflicts, 0)).toBe(1);
    const cal = await exportText('calendar');
    expect(cal).not.toMatch(/-conflict-/);
    expect(cal).toContain('SUMMARY:Office party (server)'); // the server's value is shown meanwhile
    expect(cal).toContain('DTSTART:20240201T170000Z'); // our edit of another field is kept
    type C = { id: string; field: string; sides: Array<{ value: string; via?: string; mine: boolean }> };
    const open = JSON.parse(await ok('conflicts', '--json')) as C[];
    expect(open.map((c) => [c.field, c.sides.map((x) => [x.value, !!x.via, x.mine])])).toEqual([['SUMMARY', [['Office party (server)', true, false], ['Office party (laptop)', false, true]]]]);
    expect(open[0].sides[0].via).toContain(r.url);
    expect(await storageText(r.storage)).toContain('20240201T170000Z'); // the merged item went back to the server
    await ok('conflicts', 'resolve', open[0].id, '--keep', 'mine');
    expect(JSON.parse(await ok('conflicts', '--json'))).toEqual([]);
    await ok('dav', 'sync', 'company');
    expect(await storageText(r.storage)).toContain('Office party (laptop)');
    expect(await exportText('calendar')).toContain('SUMMARY:Office party (laptop)');
  });

  it('a sync state from before field-level merging (no base): the same field changed on both sides is a listed conflict, no -conflict- item', async () => {
    const list = await fetch(calendar, { method: 'PROPFIND', headers: { authorization: auth, depth: '1' } }).then((x) => x.text());
    const party = /<[^>]*href>([^<]*office-party[^<]*)</.exec(list)![1];
    // What an older semsync wrote: the same state without each item's base.
    const file = path.join(home, 'pim', 'dav-company.json');
    const state = JSON.parse(await readFile(file, 'utf8')) as { collections: Record<string, { items: Record<string, { base?: unknown }> }> };
    for (const c of Object.values(state.collections)) for (const it of Object.values(c.items)) delete it.base;
    await writeFile(file, JSON.stringify(state));
    const cur = await fetch(new URL(party, r.url), { headers: { authorization: auth } }).then((x) => x.text());
    await fetch(new URL(party, r.url), { method: 'PUT', headers: { authorization: auth, 'content-type': 'text/calendar' }, body: cur.replace(/SUMMARY:[^\r\n]*/, 'SUMMARY:Party - old state - server') });
    await writeFile(path.join(home, 'party2.ics'), cur.replace(/SUMMARY:[^\r\n]*/, 'SUMMARY:Party - old state - laptop'));
    await ok('pim', 'import', path.join(home, 'party2.ics'));
    await ok('dav', 'sync', 'company');
    const cal = await exportText('calendar');
    expect(cal).not.toMatch(/-conflict-/);
    expect(await storageText(r.storage)).not.toMatch(/-conflict-/);
    type C = { id: string; field: string; sides: Array<{ value: string; mine: boolean }> };
    const open = JSON.parse(await ok('conflicts', '--json')) as C[];
    const summary = open.find((c) => c.field === 'SUMMARY')!;
    expect(summary.sides.map((x) => [x.value, x.mine]).sort()).toEqual([['Party - old state - laptop', true], ['Party - old state - server', false]]);
    await ok('conflicts', 'resolve', summary.id, '--keep', 'mine');
    await ok('dav', 'sync', 'company');
    expect(await storageText(r.storage)).toContain('Party - old state - laptop');
  });

  it('an item the server refuses: named with its UID and the server\'s reason, exit 1, listed by dav status, not retried at once', async () => {
    await writeFile(path.join(home, 'bad.ics'), 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:bad-rrule@x\r\nDTSTAMP:20240101T000000Z\r\nDTSTART:20240110T100000Z\r\nRRULE:FREQ=SOMETIMES\r\nSUMMARY:Never on the server\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n');
    await ok('pim', 'import', path.join(home, 'bad.ics'));
    for (let i = 0; i < 2; i++) {
      const res = await cli(home, ['dav', 'sync', 'company']);
      expect(res.code).toBe(1);
      expect(res.stderr).toMatch(/not sent: Never on the server \(UID bad-rrule@x\): the server answered 400[^\n]*; next try after/);
      expect(res.stderr).toMatch(/1 item\(s\) not on the server; see `semsync dav status`/);
    }
    const st = JSON.parse(await ok('dav', 'status', '--json')) as Array<{ name: string; ok: boolean; failures: Array<{ uid: string; reason: string }> }>;
    expect(st.find((a) => a.name === 'company')).toMatchObject({ ok: false, failures: [{ uid: 'bad-rrule@x' }] });
    // Backed off: the second sync did not try it again.
    const state = JSON.parse(await readFile(path.join(home, 'pim', 'dav-company.json'), 'utf8')) as { collections: Record<string, { failed?: Record<string, { tries: number }> }> };
    expect(Object.values(state.collections).flatMap((c) => Object.values(c.failed ?? {})).map((f) => f.tries)).toEqual([1]);
    await ok('pim', 'remove', '--calendar', 'bad-rrule@x');
    expect((await cli(home, ['dav', 'sync', 'company'])).code).toBe(0);
  });

  it('a server that is down: a clear error, exit 1, nothing lost locally', async () => {
    const before = await exportText('calendar');
    await ok('dav', 'add', 'http://127.0.0.1:9/', '--name', 'dead', '--user', 'x', '--password-file', r.passwordFile);
    const res = await cli(home, ['dav', 'sync', 'dead']);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/account dead: .*could not be reached.*nothing was changed locally/);
    expect(await exportText('calendar')).toBe(before);
    const bad = await cli(home, ['dav', 'add', 'not a url']);
    expect(bad.code).toBe(2);
  });
});
