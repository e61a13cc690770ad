// The dashboard's conflicts, recent changes with undo, and "add" forms over HTTP on a real node: each action settles,
// undoes or adds what the CLI's command would, and none is done without the page's CSRF token.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SemsyncNode } from '../../src/node/node.js';
import { LocalApi } from '../../src/node/api.js';
import { serveNodeHttp, type NodeHttp } from '../../src/server/node-http.js';
import { recordLabel } from '../../src/server/dashboard-views.js';

const card = (uid: string, fn: string, tel = '+1000') => `BEGIN:VCARD\r\nVERSION:3.0\r\nUID:${uid}\r\nFN:${fn}\r\nTEL:${tel}\r\nEND:VCARD\r\n`;

let dir: string;
let a: SemsyncNode;
let b: SemsyncNode;
let api: LocalApi;
let http: NodeHttp;

/** Imports vCard text as an edit on a node. */
async function edit(node: SemsyncNode, name: string, text: string): Promise<void> {
  const file = path.join(dir, name);
  await writeFile(file, text);
  await new LocalApi(node).pimImport([file], dir);
}

/** Gives node A every change of node B it does not have (what a sync would carry). */
async function syncFromB(): Promise<void> {
  for (const p of b.store.logPatches().patches) await a.store.applyRemote(p);
}

/** Opens the page as a browser does: its session cookie and CSRF token, as the headers its actions send. */
async function page(): Promise<Record<string, string>> {
  const res = await fetch(http.url);
  const cookie = res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const csrf = /<meta name="csrf-token" content="([^"]+)">/.exec(await res.text())![1];
  return { 'content-type': 'application/json', origin: http.url.replace(/\/$/, ''), cookie, 'x-csrf-token': csrf };
}

async function post(route: string, body: unknown, headers: Record<string, string>): Promise<{ status: number; json: { ok: boolean; error?: string; result?: any } }> {
  const res = await fetch(`${http.url}api/${route}`, { method: 'POST', headers, body: JSON.stringify(body) });
  const text = await res.text(); // a cross-site request is refused before the route, in plain text
  return { status: res.status, json: res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : { ok: false, error: text } };
}

const get = async (route: string) => (await fetch(`${http.url}api/${route}`)).json();

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'semsync-dash-views-'));
  a = await SemsyncNode.open({ home: path.join(dir, 'a') });
  b = await SemsyncNode.open({ home: path.join(dir, 'b') });
  api = new LocalApi(a);
  http = await serveNodeHttp(a, api, { host: '127.0.0.1', port: 0, queryTimeoutMs: 0 });
}, 60_000);

afterAll(async () => {
  await http?.close();
  await a?.close();
  await b?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the conflicts view', () => {
  it('lists an open conflict with both sides, refuses to settle it without the token, and settles it with "keep theirs"', async () => {
    await edit(b, 'b.vcf', card('u1', 'Ann on B'));
    await new Promise((r) => setTimeout(r, 5));
    await edit(a, 'a.vcf', card('u1', 'Ann on A'));
    await syncFromB();
    const list = await get('conflicts');
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ uid: 'u1', field: 'FN' });
    expect(list[0].sides.map((s: { value: string; mine: boolean; node: string }) => [s.value, s.mine, s.node])).toEqual([['Ann on A', true, a.nodeId], ['Ann on B', false, b.nodeId]]);

    const headers = await page();
    const noToken = await post('conflict-resolve', { id: list[0].id, keep: 'theirs' }, { ...headers, 'x-csrf-token': 'wrong' });
    expect(noToken.status).toBe(403);
    const otherSite = await post('conflict-resolve', { id: list[0].id, keep: 'theirs' }, { ...headers, origin: 'http://evil.example' });
    expect(otherSite.status).toBe(403);
    expect(await get('conflicts')).toHaveLength(1);

    const bad = await post('conflict-resolve', { id: list[0].id, keep: 'everything' }, headers);
    expect(bad.status).toBe(400);
    expect(bad.json.error).toMatch(/keep "mine", "theirs" or a value of your own/);
    // a value of one's own comes as { keep: 'value', value }: a blank one is refused, nothing written
    const blank = await post('conflict-resolve', { id: list[0].id, keep: 'value', value: '  ' }, headers);
    expect(blank.json).toMatchObject({ ok: false, error: 'type the value to keep' });
    expect(await get('conflicts')).toHaveLength(1);

    const done = await post('conflict-resolve', { id: list[0].id, keep: 'theirs' }, headers);
    expect(done.json).toMatchObject({ ok: true, result: { written: true, kept: 'Ann on B' } });
    expect(await get('conflicts')).toEqual([]);
    expect((await api.pimExport('contacts', undefined, dir)).text).toContain('FN:Ann on B');
  });
});

describe('the recent changes feed and undo', () => {
  it('lists the newest changes first, shows what an undo will do, then undoes it (never without the token)', async () => {
    await edit(a, 'rename.vcf', card('u2', 'Bob'));
    await edit(a, 'rename2.vcf', card('u2', 'Robert'));
    const feed = await get('changes?limit=5');
    const newest = feed.changes[0];
    expect(newest).toMatchObject({ by: 'this node', channel: 'import', shown: ['contact u2'], records: 1 }); // `pim import`: its channel
    expect(newest.fields).toContain('fn');
    expect(feed.changes.map((c: { change: string }) => c.change)).toContain(`${b.nodeId}:1`); // B's edit, through a peer
    expect(feed.changes.find((c: { change: string }) => c.change === `${b.nodeId}:1`)).toMatchObject({ channel: 'peer', by: b.nodeId });

    const headers = await page();
    expect((await post('undo', { change: newest.change }, { ...headers, 'x-csrf-token': '' })).status).toBe(403);
    const dry = await post('undo', { change: newest.change, dryRun: true }, headers);
    expect(dry.json.result).toMatchObject({ dryRun: true, commit: null, items: [{ item: 'https://w3id.org/semsync/id/contact/u2', action: 'restore' }] });
    expect((await api.pimExport('contacts', undefined, dir)).text).toContain('FN:Robert');

    const done = await post('undo', { change: newest.change, dryRun: false }, headers);
    expect(done.json.result.commit).toMatch(new RegExp(`^${a.nodeId}:\\d+$`));
    const text = (await api.pimExport('contacts', undefined, dir)).text!;
    expect(text).toContain('FN:Bob');
    expect(text).not.toContain('FN:Robert');
    expect((await get('changes?limit=1')).changes[0].change).toBe(done.json.result.commit); // the undo is a change too
  });

  it('says which record a change touched in words', () => {
    expect(recordLabel('https://w3id.org/semsync/id/event/standup%40x')).toBe('event standup@x');
    expect(recordLabel('file:///home/me/Books/a%20b.epub')).toBe('/home/me/Books/a b.epub');
  });
});

describe('adding a share, a host target, a DAV account and a peer policy', () => {
  it('adds each from the page, refuses each without the token, and refuses a relative path', async () => {
    const headers = await page();
    const books = path.join(dir, 'Books');
    const backup = path.join(dir, 'backup');
    await mkdir(books);
    await mkdir(backup);
    for (const [route, body] of [['share-add', { folder: books }], ['target-add', { dir: backup }], ['policy-set', { target: b.nodeId, policy: 'work' }]] as const) {
      const refused = await post(route, body, { ...headers, origin: 'http://evil.example' });
      expect(refused.status, route).toBe(403);
    }
    expect((await api.shareList()).map((s) => s.name)).not.toContain('books');

    expect((await post('share-add', { folder: 'Books', name: 'rel' }, headers)).json.error).toMatch(/absolute path/);
    expect((await post('share-add', { folder: books, name: 'books' }, headers)).json).toMatchObject({ ok: true, result: { name: 'books' } });
    expect((await api.shareList()).map((s) => s.name)).toContain('books');

    expect((await post('target-add', { dir: backup, name: 'backup' }, headers)).json.ok).toBe(true);
    expect(await api.targetList()).toContainEqual(expect.objectContaining({ name: 'backup' }));

    const pw = path.join(dir, 'dav-pw');
    await writeFile(pw, 'secret\n', { mode: 0o600 });
    const account = { url: 'http://127.0.0.1:9/dav/me/', name: 'office', user: 'me', passwordFile: pw, policy: 'work' };
    expect((await post('dav-add', account, { ...headers, 'x-csrf-token': 'nope' })).status).toBe(403);
    expect((await post('dav-add', { ...account, passwordFile: '' }, headers)).json.error).toMatch(/password file/);
    expect((await post('dav-add', account, headers)).json.ok).toBe(true);
    expect(await api.davList()).toEqual([expect.objectContaining({ name: 'office', url: 'http://127.0.0.1:9/dav/me/', user: 'me', passwordFile: pw, policy: { work: true } })]);

    expect((await post('policy-set', { target: b.nodeId, policy: 'sometimes' }, headers)).json.error).toMatch(/work, personal or clear/);
    expect((await post('policy-set', { target: b.nodeId, policy: 'work' }, headers)).json.ok).toBe(true);
    expect((await api.policyShow(b.nodeId)).policy).toEqual({ work: true });
    expect(await get('policies')).toContainEqual(expect.objectContaining({ target: b.nodeId, policy: { work: true } }));
  });
});

describe('contacts and calendars', () => {
  it('finds records by name, and shows one\'s fields, its history and where each policy lets it go', async () => {
    await edit(a, 'private.vcf', 'BEGIN:VCARD\r\nVERSION:3.0\r\nUID:u3\r\nFN:Annie Private\r\nCATEGORIES:Personal\r\nEND:VCARD\r\n');
    const found = await get('records?q=ann');
    expect(found.rows.map((r: { uid: string; title: string }) => [r.uid, r.title])).toEqual([['u1', 'Ann on B'], ['u3', 'Annie Private']]);
    expect((await get('records?q=robert')).rows).toEqual([]);

    const u1 = await get(`record?item=${encodeURIComponent(found.rows[0].item)}`);
    expect(u1.fields).toContainEqual({ name: 'fn', values: ['Ann on B'] });
    expect(u1.fields.map((f: { name: string }) => f.name)).not.toContain('revision'); // bookkeeping is not shown
    expect(u1.history.entries.map((e: { change: string }) => e.change)).toContain(`${b.nodeId}:1`);
    // B is paired under a work policy (set above), the server "office" too: a plain contact goes to both
    expect(u1.goes).toEqual(expect.arrayContaining([
      expect.objectContaining({ target: b.nodeId, policy: 'work', allowed: true }),
      expect.objectContaining({ target: 'dav:office', policy: 'work', allowed: true }),
    ]));
    const u3 = await get(`record?item=${encodeURIComponent(found.rows[1].item)}`);
    expect(u3.goes.filter((g: { allowed: boolean }) => g.allowed)).toEqual([]); // Personal stays off work nodes and servers

    const missing = await fetch(`${http.url}api/record?item=${encodeURIComponent('https://w3id.org/semsync/id/contact/nobody')}`);
    expect(missing.status).toBe(404);
  });
});
