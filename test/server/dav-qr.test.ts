// The dashboard's "Phones and apps" panel: each account's DAV address as a QR code (SVG), without any password.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import QRCode from 'qrcode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphStore } from '../../src/graph/store.js';
import { davDashboard, nodeDavServer } from '../../src/server/dav-mount.js';
import type { SemsyncNode } from '../../src/node/node.js';

let home: string;
let store: GraphStore;
let node: SemsyncNode;
let password = '';

beforeAll(async () => {
  home = await mkdtemp(path.join(os.tmpdir(), 'semsync-davqr-'));
  store = await GraphStore.open({ dir: path.join(home, 'store'), nodeId: 'laptop' });
  node = { store, paths: { home } } as unknown as SemsyncNode;
  password = (await nodeDavServer(node).accounts.add('phone', undefined)).password;
});
afterAll(async () => {
  await store?.close();
  if (home) await rm(home, { recursive: true, force: true });
});

describe('davDashboard', () => {
  it("gives each account its DAV address and that address as an SVG QR code, with no password in it", async () => {
    const d = (await davDashboard(node, 'http://127.0.0.1:4567/')) as { accounts: { name: string; url?: string; qr?: string }[] };
    const a = d.accounts.find((x) => x.name === 'phone')!;
    expect(a.url).toBe('http://127.0.0.1:4567/dav/phone/');
    expect(a.qr).toMatch(/^<svg[^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    // The code is exactly the address's: the same symbol as one made from the address alone.
    expect(a.qr).toBe(await QRCode.toString(a.url!, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 }));
    expect(JSON.stringify(d)).not.toContain(password);
  });

  it('has no QR code when the node serves no HTTP at all', async () => {
    const d = (await davDashboard(node, undefined)) as { accounts: { qr?: string }[] };
    expect(d.accounts[0].qr).toBeUndefined();
  });
});
