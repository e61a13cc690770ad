// `semsync dav sync` killed (SIGKILL) at random moments while both sides change: the next syncs lose nothing, duplicate
// nothing, and both sides converge.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ICAL } from '../../src/graph/vocab.js';
import { DavClient } from '../../src/dav/index.js';
import { readPimBytes } from '../../src/pim/store.js';
import { derivedUid } from '../../src/dav/outgoing.js';
import { cli } from '../helpers/cli.js';
import { radicaleMissing, startRadicale, type Radicale } from '../helpers/radicale.js';
import { rng } from '../helpers/rng.js';

const missing = radicaleMissing();
if (missing) console.log(`skipping the DAV interruption test: ${missing}`);

const stamp = (ms: number) => new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
const vevent = (uid: string, summary: string, ms: number) =>
  `BEGIN:VEVENT\r\nUID:${uid}\r\nDTSTAMP:${stamp(ms)}\r\nLAST-MODIFIED:${stamp(ms)}\r\nDTSTART:20240110T100000Z\r\nSUMMARY:${summary}\r\nEND:VEVENT\r\n`;
const calendar = (events: string[]) => `BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n${events.join('')}END:VCALENDAR\r\n`;

describe.skipIf(!!missing)('dav sync killed mid-way (Radicale)', () => {
  let r: Radicale;
  let dir: string;
  beforeAll(async () => {
    r = await startRadicale();
    dir = await mkdtemp(path.join(os.tmpdir(), 'semsync-davkill-'));
  }, 30_000);
  afterAll(async () => {
    await r?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('random SIGKILLs during syncs, edits on both sides: nothing lost, nothing twice, both sides alike', async () => {
    const rand = rng(13);
    const home = path.join(dir, 'home');
    const coll = await r.mkcol('killed', 'calendar');
    const auth = { authorization: 'Basic ' + Buffer.from(`${r.user}:${r.password}`).toString('base64'), 'content-type': 'text/calendar' };
    const other = new DavClient(coll, { user: r.user, password: r.password });
    const uids = Array.from({ length: 60 }, (_, i) => `kill-${i}@x y.example`);
    let clock = Date.UTC(2030, 0, 1);
    await writeFile(path.join(dir, 'all.ics'), calendar(uids.map((u, i) => vevent(u, `start ${i}`, clock))));
    expect((await cli(home, ['pim', 'import', path.join(dir, 'all.ics')])).code).toBe(0);
    expect((await cli(home, ['dav', 'add', coll, '--name', 'k', '--user', r.user, '--password-file', r.passwordFile])).code).toBe(0);
    const server = async () => {
      const l = await other.list(coll);
      const objs = await other.multiget(coll, 'calendar', [...l.items.values()].map((x) => x.href));
      const out = new Map<string, { href: string; etag: string; summary: string; count: number }>();
      for (const o of objs.values()) {
        const uid = derivedUid(readPimBytes('calendar', Buffer.from(o.text)).groups[0].master);
        out.set(uid, { href: o.href, etag: o.etag, summary: /SUMMARY:([^\r\n]*)/.exec(o.text)![1], count: (out.get(uid)?.count ?? 0) + 1 });
      }
      return out;
    };
    let killed = 0;
    for (let round = 0; round < 6; round++) {
      // Local edits (a few items), server edits (a few others), then a sync killed after a random delay.
      const mine = uids.filter(() => rand() < 0.1);
      clock += 60_000;
      await writeFile(path.join(dir, `edit-${round}.ics`), calendar(mine.map((u) => vevent(u, `here ${round}`, clock))));
      if (mine.length) expect((await cli(home, ['pim', 'import', path.join(dir, `edit-${round}.ics`)])).code).toBe(0);
      const s = await server();
      for (const [uid, o] of s) {
        if (rand() >= 0.1 || mine.includes(uid)) continue;
        clock += 1000;
        await fetch(o.href, { method: 'PUT', headers: { ...auth, 'if-match': o.etag }, body: calendar([vevent(uid, `there ${round}`, clock)]) });
      }
      const res = await cli(home, ['dav', 'sync', 'k'], { timeoutMs: 300 + Math.floor(rand() * 2500) });
      if (res.code === 128 || res.code === 137) killed++;
    }
    for (let i = 0; i < 2; i++) {
      const res = await cli(home, ['dav', 'sync', 'k', '--json']);
      expect(res.code, res.stderr).toBe(0);
    }
    const local = readPimBytes('calendar', Buffer.from((await cli(home, ['pim', 'export', '--calendar'])).stdout)).groups;
    const here = new Map(local.map((g) => [derivedUid(g.master), g]));
    const there = await server();
    for (const u of uids) {
      expect(here.has(u), `${u} lost here`).toBe(true);
      expect(there.get(u)?.count, `${u} on the server`).toBe(1);
    }
    expect([...there.keys()].sort()).toEqual([...here.keys()].sort());
    const summaryHere = (uid: string) => here.get(uid)!.quads.find((q) => q.predicate.equals(ICAL('summary')))?.object.value;
    for (const [uid, o] of there) expect(summaryHere(uid), uid).toBe(o.summary);
    expect(killed).toBeGreaterThan(0);
  }, 300_000);
});
