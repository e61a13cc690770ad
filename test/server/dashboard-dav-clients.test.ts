// The dashboard's "Calendar and contact servers" state after real syncs against Radicale: each account's last sync,
// result, totals and failing items (name, UID, the server's reason, next try), the mass-deletion guard's stop, no
// password anywhere, and "Sync now" running the same sync as `semsync dav sync NAME`.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SemsyncNode } from '../../src/node/node.js';
import { LocalApi } from '../../src/node/api.js';
import { NodePim } from '../../src/node/pim.js';
import { DashboardState } from '../../src/server/dashboard-state.js';
import { shownUrl, type DavClientRow } from '../../src/server/dashboard-dav-clients.js';
import { radicaleMissing, startRadicale, type Radicale } from '../helpers/radicale.js';

const missing = radicaleMissing();
if (missing) console.log(`skipping the dashboard's DAV account tests: ${missing}`);

const event = (uid: string, summary: string, extra = '') =>
  `BEGIN:VEVENT\r\nUID:${uid}\r\nDTSTAMP:20240101T000000Z\r\nDTSTART:20240110T100000Z\r\n${extra}SUMMARY:${summary}\r\nEND:VEVENT\r\n`;
const calendar = (events: string[]) => `BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n${events.join('')}END:VCALENDAR\r\n`;

describe('shownUrl', () => {
  it('never shows a password written into an account URL', () => {
    expect(shownUrl('https://alice:s3cret@dav.example.com/alice/')).toBe('https://alice@dav.example.com/alice/');
    expect(shownUrl('https://dav.example.com/alice/')).toBe('https://dav.example.com/alice/');
    expect(shownUrl('not a url//bob:pw@host/x')).not.toContain('pw');
  });
});

describe.skipIf(!!missing)('the dashboard state lists the CalDAV/CardDAV accounts (Radicale)', () => {
  let r: Radicale;
  let dir: string;
  let node: SemsyncNode;
  let pim: NodePim;
  let dash: DashboardState;
  let auth: string;
  const rows = async () => ((await dash.state()).davClients as DavClientRow[]);
  const row = async (name: string) => (await rows()).find((a) => a.name === name)!;

  beforeAll(async () => {
    r = await startRadicale();
    auth = 'Basic ' + Buffer.from(`${r.user}:${r.password}`).toString('base64');
    dir = await mkdtemp(path.join(os.tmpdir(), 'semsync-dashdav-'));
    node = await SemsyncNode.open({ home: path.join(dir, 'home') });
    pim = NodePim.for(node);
    dash = new DashboardState({ node, api: new LocalApi(node), startedAt: Date.now() });
    await writeFile(path.join(dir, 'mine.ics'), calendar([event('standup@x', 'Standup'), event('review@x', 'Review'), event('bad-rrule@x', 'Never on the server', 'RRULE:FREQ=SOMETIMES\r\n')]));
    await pim.import([path.join(dir, 'mine.ics')], dir);
  }, 30_000);
  afterAll(async () => {
    await node?.close();
    await r?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('an account never synced is listed as such', async () => {
    await pim.dav.add(await r.mkcol('office', 'calendar'), { name: 'office', user: r.user, passwordFile: r.passwordFile, policy: 'work' }, dir);
    expect(await row('office')).toMatchObject({ name: 'office', url: `${r.url}/${r.user}/office/`, policy: 'work', syncing: false, failures: [] });
    expect((await row('office')).lastSync).toBeUndefined();
    expect((await row('office')).result).toBeUndefined();
  });

  it('after a sync with an item the server refuses: last sync, result failed, totals, and the item with its UID, reason and next try', async () => {
    const t0 = Date.now();
    const reports = await pim.dav.sync('office');
    expect(reports.flatMap((x) => x.failed).map((f) => f.uid)).toEqual(['bad-rrule@x']);
    const a = await row('office');
    expect(Date.parse(a.lastSync!)).toBeGreaterThanOrEqual(t0 - 1000);
    expect(a.result).toBe('failed');
    expect(a.counts).toEqual({ pulled: 0, pushed: 2, deletedHere: 0, deletedThere: 0, conflicts: 0, withheld: 0, failed: 1 });
    expect(a.failures).toHaveLength(1);
    expect(a.failures[0]).toMatchObject({ name: 'Never on the server', uid: 'bad-rrule@x' });
    expect(a.failures[0].reason).toMatch(/400/);
    expect(Date.parse(a.failures[0].nextTry!)).toBeGreaterThan(Date.now());
    expect(JSON.stringify(await dash.state())).not.toContain(r.password);
  }, 60_000);

  it('"Sync now" runs the account\'s sync: the time moves, and ok once the failing item is gone', async () => {
    const before = (await row('office')).lastSync!;
    await new Promise((res) => setTimeout(res, 20));
    await pim.remove('calendar', ['bad-rrule@x']);
    const answer = await dash.davClientSync('office');
    expect(answer).toEqual({ collections: 1, failed: 0, stopped: 0 });
    const a = await row('office');
    expect(Date.parse(a.lastSync!)).toBeGreaterThan(Date.parse(before));
    expect(a).toMatchObject({ result: 'ok', failures: [] });
    await expect(dash.davClientSync('nobody')).rejects.toThrow(/no CalDAV\/CardDAV account "nobody"/);
    await expect(dash.davClientSync(undefined)).rejects.toThrow(/which account/);
  }, 60_000);

  it('a sync the mass-deletion guard stops shows as stopped, with the guard\'s message; nothing deleted here', async () => {
    const coll = await r.mkcol('guarded', 'calendar');
    await pim.dav.add(coll, { name: 'guarded', user: r.user, passwordFile: r.passwordFile }, dir);
    await pim.dav.sync('guarded');
    const list = await fetch(coll, { method: 'PROPFIND', headers: { authorization: auth, depth: '1' } }).then((x) => x.text());
    const hrefs = [...list.matchAll(/<[^>]*href>([^<]+\.ics)</g)].map((m) => m[1]);
    expect(hrefs.length).toBeGreaterThanOrEqual(2);
    for (const h of hrefs) expect((await fetch(new URL(h, r.url), { method: 'DELETE', headers: { authorization: auth } })).status).toBeLessThan(300);
    await pim.dav.sync('guarded');
    const a = await row('guarded');
    expect(a.result).toBe('stopped');
    expect(a.message).toMatch(/would delete \d+ of the \d+ item\(s\)[\s\S]*--allow-mass-delete/);
    expect(a.counts!.deletedHere).toBe(0);
    expect((await pim.export('calendar', undefined, dir)).text).toContain('SUMMARY:Standup');
  }, 60_000);

  it('a server that cannot be reached: failed, with the error as its message', async () => {
    await pim.dav.add('http://127.0.0.1:9/', { name: 'dead', user: 'x', passwordFile: r.passwordFile }, dir);
    await expect(pim.dav.sync('dead')).rejects.toThrow(/account dead/);
    const a = await row('dead');
    expect(a.result).toBe('failed');
    expect(a.message).toMatch(/account dead|could not be reached/);
  }, 60_000);
});
