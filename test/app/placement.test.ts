// Placement fetches what this node lacks with the fetcher of its own call: two placements at once, each with its own
// fetcher, each use theirs (a shared fetcher swapped for the length of a call raced). Built without a node.
import { createHash, randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import n3 from 'n3';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { GraphStore } from '../../src/graph/store.js';
import { DCTERMS, NFO, NIE, RDF, XSD, graphIri } from '../../src/graph/vocab.js';
import { walkDevice } from '../../src/devices/index.js';
import { defaultConfig, type NodeConfig } from '../../src/app/config.js';
import { Devices } from '../../src/app/devices.js';
import type { NodeHome } from '../../src/app/home.js';

const { quad, namedNode, literal } = n3.DataFactory;
const NODE = 'node-a';
const PEER = '12D3KooWPeerPeerPeerPeerPeerPeerPeerPeerPeerPeer';

let base: string;
let store: GraphStore;
let home: NodeHome;
beforeEach(async () => {
  base = await fsp.mkdtemp(path.join(os.tmpdir(), 'semsync-placement-'));
  store = await GraphStore.open({ dir: path.join(base, 'home', 'store'), nodeId: NODE });
  let config: NodeConfig = defaultConfig(NODE);
  home = {
    nodeId: NODE, store, paths: { home: path.join(base, 'home'), claims: path.join(base, 'home', 'devices.json') },
    get config() { return config; },
    async saveConfig(next) { config = next; },
  };
});
afterEach(async () => {
  await store.close();
  await fsp.rm(base, { recursive: true, force: true });
});

/** A photo only a peer holds: described in the peer's graph, no file of ours. Returns its bytes and content IRI. */
async function peerPhoto(year: number): Promise<{ bytes: Buffer; content: string }> {
  const bytes = randomBytes(3000);
  const content = `urn:sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  const g = graphIri(PEER, 'share/theirs');
  const f = namedNode(pathToFileURL(path.join('/elsewhere', `${year}.jpg`)).href);
  const c = namedNode(content);
  await store.commit([
    quad(f, RDF('type'), NFO('FileDataObject'), g), quad(f, NIE('interpretedAs'), c, g), quad(f, NIE('mimeType'), literal('image/jpeg'), g),
    quad(f, NFO('fileSize'), literal(String(bytes.length), XSD('integer')), g), quad(c, RDF('type'), NFO('Image'), g),
    quad(c, DCTERMS('date'), literal(`${year}-01-01T12:00:00`, XSD('dateTime')), g),
  ].map((q) => ({ op: 'A' as const, quad: q })));
  return { bytes, content };
}

it('two placements at once, each with its own fetcher, each fetch through their own', async () => {
  const devices = new Devices({ home, user: 'tester' });
  const a = path.join(base, 'a');
  const b = path.join(base, 'b');
  await devices.addTarget(a, 'a');
  await devices.addTarget(b, 'b');
  const photo = await peerPhoto(2001);
  const asked: Record<string, string[]> = { A: [], B: [] };
  // Each fetcher waits until the other one was asked: the two placements are carried out at the same time.
  const started: Record<string, () => void> = {};
  const both = { A: new Promise<void>((r) => (started.A = r)), B: new Promise<void>((r) => (started.B = r)) };
  const fetcher = (me: 'A' | 'B', other: 'A' | 'B') => async (hash: string, out: string) => {
    asked[me].push(hash);
    started[me]();
    await both[other];
    await fsp.writeFile(out, photo.bytes);
  };
  const [ra, rb] = await Promise.all([
    devices.place('a', { fetcher: () => fetcher('A', 'B') }),
    devices.place('b', { fetcher: () => fetcher('B', 'A') }),
  ]);
  expect(asked).toEqual({ A: [photo.content], B: [photo.content] });
  expect([ra.copied, rb.copied]).toEqual([1, 1]);
  expect(ra.errors.concat(rb.errors)).toEqual([]);
  for (const [root, r] of [[a, ra], [b, rb]] as const) {
    const [op] = r.operations;
    expect(op).toMatchObject({ kind: 'copy', content: photo.content });
    expect(await fsp.readFile(path.join(root, (op as { target: string }).target))).toEqual(photo.bytes);
    expect((await walkDevice(root)).map((f) => f.path)).toContain((op as { target: string }).target);
  }
  await devices.graphsSettled();
});

it('without a fetcher, content only a peer holds is a skip, and a later call with one fetches it', async () => {
  const devices = new Devices({ home, user: 'tester' });
  const a = path.join(base, 'a');
  await devices.addTarget(a, 'a');
  const photo = await peerPhoto(2002);
  const first = await devices.place('a');
  expect(first.copied).toBe(0);
  expect(first.skipped).toEqual([expect.objectContaining({ content: photo.content, reason: expect.stringMatching(/^not on this node/) })]);
  const second = await devices.place('a', { fetcher: () => async (_hash, out) => fsp.writeFile(out, photo.bytes) });
  expect(second.copied).toBe(1);
  await devices.graphsSettled();
});

it("a placement's catalog commits come through the device's channel (device:<name>), as history shows them", async () => {
  const devices = new Devices({ home, user: 'tester' });
  const a = path.join(base, 'a');
  await devices.addTarget(a, 'walkman');
  const photo = await peerPhoto(2003);
  const r = await devices.place('walkman', { fetcher: () => async (_hash, out) => fsp.writeFile(out, photo.bytes) });
  expect(r.copied).toBe(1);
  await devices.graphsSettled();
  const deviceGraph = graphIri(NODE, 'device/').value;
  const mine = store.logPatches().patches.filter((p) => p.author === NODE && p.changes.some((c) => c.quad.graph.value.startsWith(deviceGraph)));
  expect(mine.length).toBeGreaterThan(0);
  expect(new Set(mine.map((p) => p.via))).toEqual(new Set(['device:walkman']));
});
