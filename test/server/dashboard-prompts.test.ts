// The dashboard's prompts over HTTP on a real node: a new device claimed as what the person said it is, a new peer
// paired with the policy chosen; what is not one of the choices (or a name with control characters, a device claimed
// already, a time that is not one) is refused and changes nothing.
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SemsyncNode } from '../../src/node/node.js';
import { LocalApi } from '../../src/node/api.js';
import { serveNodeHttp, type NodeHttp } from '../../src/server/node-http.js';
import { parseDeviceTtl } from '../../src/devices/index.js';

let dir: string;
let a: SemsyncNode;
let b: SemsyncNode;
let api: LocalApi;
let http: NodeHttp;
let card: string;

async function page(): Promise<Record<string, string>> {
  const res = await fetch(http.url);
  const cookie = res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const csrf = /<meta name="csrf-token" content="([^"]+)">/.exec(await res.text())![1];
  return { 'content-type': 'application/json', origin: http.url.replace(/\/$/, ''), cookie, 'x-csrf-token': csrf };
}

async function post(route: string, body: unknown): Promise<{ status: number; ok: boolean; error?: string; result?: any }> {
  const res = await fetch(`${http.url}api/${route}`, { method: 'POST', headers: await page(), body: JSON.stringify(body) });
  return { status: res.status, ...((await res.json()) as { ok: boolean; error?: string; result?: unknown }) };
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'semsync-dash-prompts-'));
  a = await SemsyncNode.open({ home: path.join(dir, 'a') });
  b = await SemsyncNode.open({ home: path.join(dir, 'b') });
  api = new LocalApi(a);
  card = path.join(dir, 'card');
  await mkdir(card);
  await api.mediaRootAdd(card);
  http = await serveNodeHttp(a, api, { host: '127.0.0.1', port: 0, queryTimeoutMs: 0 });
}, 60_000);

afterAll(async () => {
  await http?.close();
  await a?.close();
  await b?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('a new device: what is it?', () => {
  it('refuses what is not a choice, then claims it as a camera card taking photos, and not twice', async () => {
    const row = (await api.deviceList()).find((d) => d.root === card)!;
    expect(row.state).toBe('unclaimed');
    const wrong = await post('claim-as', { deviceId: row.id, what: 'toaster' });
    expect(wrong).toMatchObject({ status: 400, ok: false, error: expect.stringContaining('ebook, player, phone, photos, other') });
    const badName = await post('claim-as', { deviceId: row.id, what: 'photos', name: 'Card\u0007' });
    expect(badName).toMatchObject({ status: 400, error: expect.stringContaining('control characters') });
    expect((await api.deviceList()).find((d) => d.root === card)!.state).toBe('unclaimed');

    const done = await post('claim-as', { deviceId: row.id, what: 'photos', name: 'Camera' });
    expect(done.ok).toBe(true);
    expect((await api.deviceList()).find((d) => d.root === card)).toMatchObject({ state: 'claimed', name: 'Camera', accepts: ['photo'] });
    expect(parseDeviceTtl(await readFile(path.join(card, '.semsync', 'device.ttl'), 'utf8')).accepts).toEqual(['photo']);
    const claimed = (await api.deviceList()).find((d) => d.root === card)!;
    const again = await post('claim-as', { deviceId: claimed.id, what: 'ebook' });
    expect(again).toMatchObject({ status: 400, error: expect.stringContaining('claimed already') });
    expect(parseDeviceTtl(await readFile(path.join(card, '.semsync', 'device.ttl'), 'utf8')).accepts).toEqual(['photo']);
  });
});

describe('a new peer: personal or work?', () => {
  it('refuses what is not a choice or not a peer id (nothing paired, no policy), then pairs as personal with its name', async () => {
    expect(await post('pair-as', { peerId: b.nodeId, what: 'admin' })).toMatchObject({ status: 400, error: expect.stringContaining('personal or work') });
    expect(await post('pair-as', { peerId: 'not-a-peer', what: 'work' })).toMatchObject({ status: 400, error: expect.stringContaining('not a peer id') });
    expect(await api.peerList()).toEqual([]);
    expect(await api.policyList()).toEqual([]);

    expect((await post('pair-as', { peerId: b.nodeId, what: 'personal', name: '  home desktop ' })).ok).toBe(true);
    expect((await api.peerList()).find((p) => p.peerId === b.nodeId)).toMatchObject({ name: 'home desktop' });
    expect((await api.policyShow(b.nodeId)).policy).toEqual({ work: false });
  });
});

describe('undo a peer\'s window', () => {
  it('refuses a time it cannot read, and a peer with no change in the window', async () => {
    expect(await post('undo-peer', { peer: b.nodeId, since: 'last tuesday-ish', dryRun: true })).toMatchObject({ status: 400, error: expect.stringContaining('not a time') });
    expect(await post('undo-peer', { peer: b.nodeId, since: '1h', dryRun: true })).toMatchObject({ status: 400, error: expect.stringContaining('no change by') });
    expect(await post('undo-peer', { peer: '', since: '1h' })).toMatchObject({ status: 400, error: expect.stringContaining('whose changes') });
  });
});
