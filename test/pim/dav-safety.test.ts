// No deletion without proof, against Radicale: UIDs as the world writes them survive repeated syncs; a server that
// re-encodes hrefs, an incomplete listing, or a mass deletion deletes nothing here; deletions keep the item's text.
import http from 'node:http';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SS } from '../../src/graph/vocab.js';
import { SemsyncNode } from '../../src/node/node.js';
import { NodePim } from '../../src/node/pim.js';
import { DavClient } from '../../src/dav/index.js';
import { mergedView, readPimBytes } from '../../src/pim/store.js';
import { derivedUid } from '../../src/dav/outgoing.js';
import { cli } from '../helpers/cli.js';
import { radicaleMissing, startRadicale, type Radicale } from '../helpers/radicale.js';
import { freePort } from '../helpers/net.js';

const missing = radicaleMissing();
if (missing) console.log(`skipping the DAV safety tests: ${missing}`);

const event = (uid: string | undefined, summary: string) =>
  `BEGIN:VEVENT\r\n${uid === undefined ? '' : `UID:${uid}\r\n`}DTSTAMP:20240101T000000Z\r\nDTSTART:20240110T100000Z\r\nSUMMARY:${summary}\r\nEND:VEVENT\r\n`;
const calendar = (events: string[]) => `BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n${events.join('')}END:VCALENDAR\r\n`;

/** UIDs as Google, Outlook, Thunderbird and ownCloud write them, and worse. */
const WORLD_UIDS = [
  'meeting-123@example.com',
  'no-at-sign-456',
  'team/weekly@corp.example',
  '100%-sure',
  'a+b=c',
  'with space in it',
  'ünïcödé-日本語-uid',
  'x'.repeat(200),
  '040000008200E00074C5B7101A82E00800000000D0E5B5C2F4A6D901000000000000000010000000A1B2C3D4E5F60718293A4B5C6D7E8F90',
];

/** Every object of a collection as the server holds it: UID → summary, and the hrefs. */
async function onServer(r: Radicale, url: string): Promise<{ uids: Map<string, string>; hrefs: string[] }> {
  const client = new DavClient(url, { user: r.user, password: r.password });
  const listing = await client.list(url);
  const objs = await client.multiget(url, 'calendar', [...listing.items.values()].map((l) => l.href));
  const uids = new Map<string, string>();
  for (const o of objs.values()) for (const g of readPimBytes('calendar', Buffer.from(o.text)).groups) uids.set(derivedUid(g.master), /SUMMARY:([^\r\n]*)/.exec(o.text)?.[1] ?? '');
  return { uids, hrefs: [...listing.items.values()].map((l) => l.href) };
}

describe.skipIf(!!missing)('DAV sync deletes nothing without proof (Radicale)', () => {
  let r: Radicale;
  let dir: string;
  let auth: string;
  beforeAll(async () => {
    r = await startRadicale();
    dir = await mkdtemp(path.join(os.tmpdir(), 'semsync-davsafety-'));
    auth = 'Basic ' + Buffer.from(`${r.user}:${r.password}`).toString('base64');
  }, 30_000);
  afterAll(async () => {
    await r?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('the issue\'s case: a UID with @, synced twice through the CLI, deletes nothing', async () => {
    const home = path.join(dir, 'minimal');
    const coll = await r.mkcol('minimal', 'calendar');
    await writeFile(path.join(dir, 'min.ics'), calendar([event('meeting-123@example.com', 'Quarterly planning'), event('no-at-sign-456', 'Other')]));
    const run = (...args: string[]) => cli(home, args);
    expect((await run('pim', 'import', path.join(dir, 'min.ics'))).code).toBe(0);
    expect((await run('dav', 'add', coll, '--name', 'r', '--user', r.user, '--password-file', r.passwordFile)).code).toBe(0);
    for (let i = 0; i < 3; i++) {
      const res = await run('dav', 'sync', 'r', '--json');
      expect(res.code, res.stderr).toBe(0);
      const [rep] = JSON.parse(res.stdout) as Array<{ deletedHere: number; deletedThere: number; pushed: number }>;
      expect(rep).toMatchObject({ deletedHere: 0, deletedThere: 0, pushed: i === 0 ? 2 : 0 });
    }
    const cal = (await run('pim', 'export', '--calendar')).stdout;
    expect(cal).toContain('SUMMARY:Quarterly planning');
    expect((await onServer(r, coll)).uids.get('meeting-123@example.com')).toBe('Quarterly planning');
    // The server loses both: the CLI stops, says how to go on, exits 1, and nothing is deleted here.
    for (const h of (await onServer(r, coll)).hrefs) await fetch(h, { method: 'DELETE', headers: { authorization: auth } });
    const stopped = await run('dav', 'sync', 'r');
    expect(stopped.code).toBe(1);
    expect(stopped.stderr).toMatch(/would delete 2 of the 2 item\(s\)[\s\S]*--allow-mass-delete/);
    expect((await run('pim', 'export', '--calendar')).stdout).toContain('SUMMARY:Quarterly planning');
  }, 120_000);

  describe('through the library', () => {
    let node: SemsyncNode;
    let pim: NodePim;
    let coll: string;
    beforeAll(async () => {
      node = await SemsyncNode.open({ home: path.join(dir, 'world') });
      pim = NodePim.for(node);
      coll = await r.mkcol('world', 'calendar');
      await writeFile(path.join(dir, 'world.ics'), calendar([...WORLD_UIDS.map((u, i) => event(u, `Event ${i}`)), event(undefined, 'No UID at all')]));
      await pim.import([path.join(dir, 'world.ics')], dir);
      await pim.dav.add(coll, { name: 'world', user: r.user, passwordFile: r.passwordFile }, dir);
    }, 30_000);
    afterAll(async () => node?.close());

    const live = () => [...mergedView(node.store, 'calendar').items.values()].filter((i) => !i.deleted);

    it('UIDs with @ / % + space, non-ASCII, 200 characters, Outlook GLOBAL-IDs or none: all arrive, under safe names, and stay', async () => {
      for (let i = 0; i < 3; i++) {
        const [rep] = await pim.dav.sync('world');
        expect(rep).toMatchObject({ deletedHere: 0, deletedThere: 0, failed: [], conflicts: 0, pushed: i === 0 ? WORLD_UIDS.length + 1 : 0, pulled: 0 });
      }
      const server = await onServer(r, coll);
      for (const [i, uid] of WORLD_UIDS.entries()) expect(server.uids.get(uid), uid).toBe(`Event ${i}`);
      expect(server.uids.size).toBe(WORLD_UIDS.length + 1);
      for (const h of server.hrefs) expect(decodeURIComponent(new URL(h).pathname.split('/').pop()!)).toMatch(/^[A-Za-z0-9._-]+\.ics$/);
      expect(live()).toHaveLength(WORLD_UIDS.length + 1);
    }, 120_000);

    it('an edit on the server to an item with a hard UID comes in as that item, not as a new one', async () => {
      const { hrefs } = await onServer(r, coll);
      const client = new DavClient(coll, { user: r.user, password: r.password });
      const objs = await client.multiget(coll, 'calendar', hrefs);
      const target = [...objs.values()].find((o) => o.text.includes('team/weekly@corp.example'))!;
      const res = await fetch(target.href, { method: 'PUT', headers: { authorization: auth, 'content-type': 'text/calendar', 'if-match': target.etag }, body: target.text.replace('SUMMARY:Event 2', 'SUMMARY:Moved by the office').replace(/DTSTAMP:[^\r\n]*/, 'DTSTAMP:20300101T000000Z') });
      expect(res.status).toBeLessThan(300);
      const [rep] = await pim.dav.sync('world');
      expect(rep).toMatchObject({ pulled: 1, deletedHere: 0, deletedThere: 0, conflicts: 0 });
      expect(live()).toHaveLength(WORLD_UIDS.length + 1);
      expect(live().some((i) => i.quads.some((q) => q.object.value === 'Moved by the office'))).toBe(true);
    }, 60_000);

    it('a deletion on the server is taken (one of many, named removed by sync-collection), and the tombstone keeps the text to undo it', async () => {
      // The sync before left an RFC 6578 token: this sync asks only what changed, and the server names the removal.
      const st = JSON.parse(await readFile(path.join(dir, 'world', 'pim', 'dav-world.json'), 'utf8')) as { collections: Record<string, { syncToken?: string }> };
      expect(Object.values(st.collections)[0].syncToken).toMatch(/./);
      const { hrefs } = await onServer(r, coll);
      const client = new DavClient(coll, { user: r.user, password: r.password });
      const objs = await client.multiget(coll, 'calendar', hrefs);
      const target = [...objs.values()].find((o) => o.text.includes('UID:100%-sure'))!;
      expect((await fetch(target.href, { method: 'DELETE', headers: { authorization: auth } })).status).toBeLessThan(300);
      const [rep] = await pim.dav.sync('world');
      expect(rep).toMatchObject({ deletedHere: 1, deletedThere: 0 });
      const gone = mergedView(node.store, 'calendar').items.get('https://w3id.org/semsync/id/event/100%25-sure')!;
      expect(gone.deleted).toBe(true);
      expect(gone.quads.find((q) => q.predicate.equals(SS('sourceText')))?.object.value).toContain('SUMMARY:Event 3');
    }, 60_000);

    it('a server that loses most of a collection: the sync stops and deletes nothing, unless --allow-mass-delete', async () => {
      const { hrefs } = await onServer(r, coll);
      for (const h of hrefs.slice(0, 5)) await fetch(h, { method: 'DELETE', headers: { authorization: auth } });
      const before = live().length;
      const [rep] = await pim.dav.sync('world');
      expect(rep.stopped).toMatch(/would delete 5 of the 9 item\(s\).*--allow-mass-delete/);
      expect(rep.deletedHere).toBe(0);
      expect(live()).toHaveLength(before);
      expect((await pim.dav.sync('world'))[0].stopped).toBeDefined(); // and again: nothing happens by itself
      expect(live()).toHaveLength(before);
      const [forced] = await pim.dav.sync('world', { allowMassDelete: true });
      expect(forced).toMatchObject({ deletedHere: 5 });
      expect(live()).toHaveLength(before - 5);
    }, 60_000);

    it('local deletions of most of a collection stop too: nothing is deleted on the server', async () => {
      const masters = live().map((i) => i.master);
      const serverBefore = (await onServer(r, coll)).uids.size;
      await pim.remove('calendar', masters.slice(0, 4));
      const [rep] = await pim.dav.sync('world');
      expect(rep.stopped).toMatch(/would delete 4 of the 4 object\(s\).*on the server/);
      expect((await onServer(r, coll)).uids.size).toBe(serverBefore);
    }, 60_000);
  });

  it('an expired sync token and then an incomplete listing (507, or a reply that is no multistatus) delete nothing here', async () => {
    const node = await SemsyncNode.open({ home: path.join(dir, 'partial') });
    try {
      const pim = NodePim.for(node);
      const coll = await r.mkcol('partial', 'calendar');
      await writeFile(path.join(dir, 'partial.ics'), calendar([event('p-1@x', 'One'), event('p-2@x', 'Two'), event('p-3@x', 'Three')]));
      await pim.import([path.join(dir, 'partial.ics')], dir);
      let mode: 'pass' | '507' | 'empty' = 'pass';
      const port = await freePort();
      const upstream = new URL(r.url);
      const proxy = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', async () => {
          const body = Buffer.concat(chunks);
          // The stored sync token is refused (as an expired one is): the sync falls back to a full listing.
          if (mode !== 'pass' && req.method === 'REPORT' && body.toString().includes('sync-collection')) return res.writeHead(409, { 'content-type': 'application/xml' }).end('<?xml version="1.0"?><error xmlns="DAV:"><valid-sync-token/></error>');
          const up = await fetch(`${upstream.origin}${req.url}`, { method: req.method, headers: Object.fromEntries(Object.entries(req.headers).filter(([k]) => k !== 'host' && k !== 'content-length')) as Record<string, string>, body: body.length ? body : undefined });
          let text = await up.text();
          const listing = req.method === 'PROPFIND' && req.headers.depth === '1' && req.url?.includes('/partial/');
          if (listing && mode === 'empty') return res.writeHead(200, { 'content-type': 'text/plain' }).end('');
          if (listing && mode === '507') {
            const responses = text.match(/<([A-Za-z0-9]+:)?response\b[\s\S]*?<\/\1?response>/g) ?? [];
            for (const x of responses.slice(1)) text = text.replace(x, '');
            text = text.replace(/(<\/([A-Za-z0-9]+:)?multistatus>)/, `<response xmlns="DAV:"><href>${req.url}</href><status>HTTP/1.1 507 Insufficient Storage</status></response>$1`);
          }
          res.writeHead(up.status, Object.fromEntries([...up.headers].filter(([k]) => !['content-length', 'content-encoding', 'transfer-encoding'].includes(k))));
          res.end(text);
        });
      });
      await new Promise<void>((ok) => proxy.listen(port, '127.0.0.1', ok));
      try {
        const viaProxy = coll.replace(upstream.origin, `http://127.0.0.1:${port}`);
        await pim.dav.add(viaProxy, { name: 'partial', user: r.user, passwordFile: r.passwordFile }, dir);
        expect((await pim.dav.sync('partial'))[0]).toMatchObject({ pushed: 3 });
        for (const m of ['507', 'empty'] as const) {
          mode = m;
          const [rep] = await pim.dav.sync('partial').catch((err: Error) => [{ deletedHere: 0, errors: [err.message] }]);
          expect(rep.deletedHere, m).toBe(0);
          expect(rep.errors.join(' '), m).toMatch(/incomplete|answered/);
          expect([...mergedView(node.store, 'calendar').items.values()].filter((i) => !i.deleted), m).toHaveLength(3);
        }
      } finally {
        proxy.close();
      }
    } finally {
      await node.close();
    }
  }, 90_000);
});
