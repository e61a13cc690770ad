// A model-based test against Radicale: random edits, additions, deletions and moves here and through a second client on
// the server (hrefs spelled its own way), syncs in between. Invariants: nothing neither side deleted is lost, both sides
// converge (same UIDs, same summaries), nothing is duplicated.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ICAL } from '../../src/graph/vocab.js';
import { SemsyncNode } from '../../src/node/node.js';
import { NodePim } from '../../src/node/pim.js';
import { DavClient } from '../../src/dav/index.js';
import { derivedUid } from '../../src/dav/outgoing.js';
import { mergedView, readPimBytes } from '../../src/pim/store.js';
import { radicaleMissing, startRadicale, type Radicale } from '../helpers/radicale.js';
import { rng } from '../helpers/rng.js';

const missing = radicaleMissing();
if (missing) console.log(`skipping the DAV model test: ${missing}`);

const stamp = (ms: number) => new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
const ics = (uid: string, summary: string, ms: number) =>
  `BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//model//EN\r\nBEGIN:VEVENT\r\nUID:${uid}\r\nDTSTAMP:${stamp(ms)}\r\nLAST-MODIFIED:${stamp(ms)}\r\nDTSTART:20240110T100000Z\r\nSUMMARY:${summary}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n`;

describe.skipIf(!!missing)('DAV sync, model-based (Radicale and a second client)', () => {
  let r: Radicale;
  let dir: string;
  beforeAll(async () => {
    r = await startRadicale();
    dir = await mkdtemp(path.join(os.tmpdir(), 'semsync-davmodel-'));
  }, 30_000);
  afterAll(async () => {
    await r?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  for (const seed of [1, 2, 3, 4, 5]) {
    it(`seed ${seed}: converges, loses nothing neither side deleted, duplicates nothing`, async () => {
      const rand = rng(seed);
      const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)];
      const coll = await r.mkcol(`model-${seed}`, 'calendar');
      const other = new DavClient(coll, { user: r.user, password: r.password }); // the second client
      const auth = { authorization: 'Basic ' + Buffer.from(`${r.user}:${r.password}`).toString('base64'), 'content-type': 'text/calendar' };
      const node = await SemsyncNode.open({ home: path.join(dir, `home-${seed}`) });
      const pim = NodePim.for(node);
      let clock = Date.UTC(2030, 0, 1);
      let n = 0;
      const created = new Set<string>();
      const deleted = new Set<string>();
      const importOne = async (uid: string, summary: string) => {
        const f = path.join(dir, `in-${seed}-${n++}.ics`);
        await writeFile(f, ics(uid, summary, (clock += 1000)));
        await pim.import([f], dir);
      };
      const local = () => new Map([...mergedView(node.store, 'calendar').items.values()].filter((i) => !i.deleted).map((i) => [derivedUid(i.master), i.quads.find((q) => q.predicate.equals(ICAL('summary')))?.object.value ?? '']));
      const server = async () => {
        const l = await other.list(coll);
        const objs = await other.multiget(coll, 'calendar', [...l.items.values()].map((x) => x.href));
        const byUid = new Map<string, { href: string; etag: string; summary: string; count: number }>();
        for (const o of objs.values()) {
          const g = readPimBytes('calendar', Buffer.from(o.text)).groups[0];
          const uid = derivedUid(g.master);
          const prev = byUid.get(uid);
          byUid.set(uid, { href: o.href, etag: o.etag, summary: /SUMMARY:([^\r\n]*)/.exec(o.text)?.[1] ?? '', count: (prev?.count ?? 0) + 1 });
        }
        return byUid;
      };
      for (let i = 0; i < 14; i++) await importOne(`seed${seed}-${i}@model.example`, `start ${i}`), created.add(`seed${seed}-${i}@model.example`);
      await pim.dav.add(coll, { name: `m${seed}`, user: r.user, passwordFile: r.passwordFile }, dir);
      await pim.dav.sync(`m${seed}`);
      let deletesSinceSync = 0;
      for (let step = 0; step < 40; step++) {
        const action = pick(['local-edit', 'local-edit', 'local-add', 'local-delete', 'server-edit', 'server-edit', 'server-add', 'server-delete', 'server-move', 'sync']);
        if (action === 'sync' || deletesSinceSync >= 2) {
          const reps = await pim.dav.sync(`m${seed}`);
          expect(reps.filter((x) => x.stopped || x.failed.length)).toEqual([]);
          deletesSinceSync = 0;
          continue;
        }
        if (action === 'local-edit' || action === 'local-delete') {
          const uids = [...local().keys()];
          if (!uids.length) continue;
          const uid = pick(uids);
          if (action === 'local-edit') await importOne(uid, `here ${step}`);
          else {
            await pim.remove('calendar', [uid]);
            deleted.add(uid);
            deletesSinceSync++;
          }
        } else if (action === 'local-add') {
          const uid = `here ${step}/${seed}+é@model.example`;
          created.add(uid);
          await importOne(uid, `new here ${step}`);
        } else {
          const s = await server();
          if (action === 'server-add') {
            const uid = `there ${step}@${seed}.example`;
            created.add(uid);
            const res = await fetch(`${coll}${encodeURIComponent(`there ${step}@${seed}`)}.ics`, { method: 'PUT', headers: { ...auth, 'if-none-match': '*' }, body: ics(uid, `new there ${step}`, (clock += 1000)) });
            expect(res.status).toBeLessThan(300);
            continue;
          }
          if (!s.size) continue;
          const [uid, o] = pick([...s]);
          if (action === 'server-move') {
            // The second client renames the object: a new href, the old one gone. Not a deletion.
            const text = await fetch(o.href, { headers: auth }).then((x) => x.text());
            expect((await fetch(o.href, { method: 'DELETE', headers: { ...auth, 'if-match': o.etag } })).status).toBeLessThan(300); // one UID per collection (Radicale: 409)
            const res = await fetch(`${coll}moved-${step}%40${seed}.ics`, { method: 'PUT', headers: { ...auth, 'if-none-match': '*' }, body: text });
            expect(res.status).toBeLessThan(300);
          } else if (action === 'server-edit') {
            const res = await fetch(o.href, { method: 'PUT', headers: { ...auth, 'if-match': o.etag }, body: ics(uid, `there ${step}`, (clock += 1000)) });
            expect(res.status).toBeLessThan(300);
          } else {
            expect((await fetch(o.href, { method: 'DELETE', headers: { ...auth, 'if-match': o.etag } })).status).toBeLessThan(300);
            deleted.add(uid);
            deletesSinceSync++;
          }
        }
      }
      for (let k = 0; k < 2; k++) expect((await pim.dav.sync(`m${seed}`)).filter((x) => x.stopped || x.failed.length)).toEqual([]);
      const here = local();
      const there = await server();
      expect([...there.keys()].sort()).toEqual([...here.keys()].sort()); // converged
      for (const [uid, o] of there) {
        expect(o.count, `${uid} twice on the server`).toBe(1);
        expect(o.summary, uid).toBe(here.get(uid));
      }
      for (const uid of created) if (!deleted.has(uid)) expect(here.has(uid), `${uid} lost`).toBe(true);
      const again = await pim.dav.sync(`m${seed}`);
      expect(again.map((x) => x.pulled + x.pushed + x.deletedHere + x.deletedThere + x.conflicts)).toEqual([0]);
      await node.close();
    }, 180_000);
  }
});
