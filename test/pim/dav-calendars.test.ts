// An account with two calendars (Radicale): a new local event goes to one of them only; an event from the other stays
// there; an event another client moves from one calendar to the other is neither deleted nor duplicated.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DavClient } from '../../src/dav/index.js';
import { derivedUid } from '../../src/dav/outgoing.js';
import { SemsyncNode } from '../../src/node/node.js';
import { NodePim } from '../../src/node/pim.js';
import { mergedView, readPimBytes } from '../../src/pim/store.js';
import { radicaleMissing, startRadicale, type Radicale } from '../helpers/radicale.js';

const missing = radicaleMissing();
if (missing) console.log(`skipping the two-calendar test: ${missing}`);

const ics = (uid: string, summary: string) =>
  `BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:${uid}\r\nDTSTAMP:20240101T000000Z\r\nDTSTART:20240110T100000Z\r\nSUMMARY:${summary}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n`;

describe.skipIf(!!missing)('an account with two calendars', () => {
  let r: Radicale;
  let dir: string;
  let node: SemsyncNode;
  let pim: NodePim;
  let cals: string[];
  let auth: Record<string, string>;
  beforeAll(async () => {
    r = await startRadicale();
    dir = await mkdtemp(path.join(os.tmpdir(), 'semsync-davcals-'));
    auth = { authorization: 'Basic ' + Buffer.from(`${r.user}:${r.password}`).toString('base64'), 'content-type': 'text/calendar' };
    cals = [await r.mkcol('home', 'calendar'), await r.mkcol('work', 'calendar')];
    node = await SemsyncNode.open({ home: path.join(dir, 'home') });
    pim = NodePim.for(node);
    await writeFile(path.join(dir, 'mine.ics'), ['a', 'b', 'c'].map((x) => ics(`local-${x}@x`, `Local ${x}`)).join(''));
    await pim.import([path.join(dir, 'mine.ics')], dir);
    await pim.dav.add(`${r.url}/${r.user}/`, { name: 'both', user: r.user, passwordFile: r.passwordFile }, dir);
  }, 30_000);
  afterAll(async () => {
    await node?.close();
    await r?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const onServer = async () => {
    const out = new Map<string, string[]>();
    for (const cal of cals) {
      const client = new DavClient(cal, { user: r.user, password: r.password });
      const l = await client.list(cal);
      for (const o of (await client.multiget(cal, 'calendar', [...l.items.values()].map((x) => x.href))).values()) {
        const uid = derivedUid(readPimBytes('calendar', Buffer.from(o.text)).groups[0].master);
        out.set(uid, [...(out.get(uid) ?? []), o.href]);
      }
    }
    return out;
  };
  const live = () => [...mergedView(node.store, 'calendar').items.values()].filter((i) => !i.deleted).map((i) => derivedUid(i.master)).sort();

  it('new local events go to one calendar, once', async () => {
    const reps = await pim.dav.sync('both');
    expect(reps.map((x) => x.pushed).sort()).toEqual([0, 3]);
    const s = await onServer();
    for (const x of ['a', 'b', 'c']) expect(s.get(`local-${x}@x`), x).toHaveLength(1);
    expect(new Set([...s.values()].map(([h]) => h.replace(/[^/]*$/, ''))).size).toBe(1);
  });

  it('an event from the other calendar comes in and stays there only', async () => {
    const s = await onServer();
    const primary = [...s.values()][0][0].replace(/[^/]*$/, '');
    const other = cals.find((c) => !primary.endsWith(new URL(c).pathname))!;
    expect((await fetch(`${other}office.ics`, { method: 'PUT', headers: auth, body: ics('office@x', 'Office') })).status).toBeLessThan(300);
    await pim.dav.sync('both');
    await pim.dav.sync('both');
    expect(live()).toContain('office@x');
    expect((await onServer()).get('office@x')).toEqual([`${other}office.ics`]);
  });

  it('an event moved between the calendars by another client (either way) is neither deleted nor duplicated', async () => {
    for (let round = 0; round < 2; round++) {
      const s = await onServer();
      const [href] = s.get('local-b@x')!;
      const to = cals.find((c) => !href.startsWith(c))!;
      const text = await fetch(href, { headers: auth }).then((x) => x.text());
      expect((await fetch(href, { method: 'DELETE', headers: auth })).status).toBeLessThan(300);
      expect((await fetch(`${to}moved-${round}.ics`, { method: 'PUT', headers: auth, body: text })).status).toBeLessThan(300);
      const reps = await pim.dav.sync('both');
      expect(reps.reduce((n, x) => n + x.deletedHere + x.deletedThere, 0), `round ${round}`).toBe(0);
      await pim.dav.sync('both');
      expect(live()).toContain('local-b@x');
      expect((await onServer()).get('local-b@x')).toEqual([`${to}moved-${round}.ics`]);
    }
    expect(live()).toEqual(['local-a@x', 'local-b@x', 'local-c@x', 'office@x']);
  });
});
