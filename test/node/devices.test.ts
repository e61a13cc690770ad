// NodeDevices re-plans only when an input changed: a device edited by hand, a rules file, the graph, the profile.
import { createHash, randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import n3 from 'n3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeviceWatch } from '../../src/node/device-watch.js';
import { readCatalogRecords, walkDevice } from '../../src/devices/index.js';
import { REMOVED_BY_PERSON } from '../../src/rules/index.js';
import { DCTERMS, NFO, NIE, RDF, XSD, graphIri } from '../../src/graph/vocab.js';
import { devicesOf, type NodeDevices } from '../../src/node/devices.js';
import { SemsyncNode } from '../../src/node/node.js';

const { quad, namedNode, literal } = n3.DataFactory;
interface Library {
  base: string;
  node: SemsyncNode;
  devices: NodeDevices;
  /** The host target the photos are placed on. */
  dev: string;
  addPhoto(name: string, year: number, month: number): Promise<void>;
}

/** A node whose share holds `count` photos (described in the graph), with a host target "card". */
async function library(count: number): Promise<Library> {
  const base = await fsp.mkdtemp(path.join(os.tmpdir(), 'semsync-node-devices-'));
  const src = path.join(base, 'pics');
  const dev = path.join(base, 'card');
  await fsp.mkdir(src, { recursive: true });
  const node = await SemsyncNode.open({ home: path.join(base, 'home') });
  await node.addShare(src, 'pics');
  const g = graphIri(node.nodeId, 'share/pics');
  const addPhoto = async (name: string, year: number, month: number) => {
    const bytes = randomBytes(2048);
    const file = path.join(src, name);
    await fsp.writeFile(file, bytes);
    const c = namedNode(`urn:sha256:${createHash('sha256').update(bytes).digest('hex')}`);
    const f = namedNode(pathToFileURL(file).href);
    await node.store.commit([
      quad(f, RDF('type'), NFO('FileDataObject'), g), quad(f, NIE('interpretedAs'), c, g), quad(f, NIE('mimeType'), literal('image/jpeg'), g),
      quad(f, NFO('fileSize'), literal('2048', XSD('integer')), g), quad(c, RDF('type'), NFO('Image'), g),
      quad(c, DCTERMS('date'), literal(`${year}-${String(month).padStart(2, '0')}-01T12:00:00`, XSD('dateTime')), g),
    ].map((q) => ({ op: 'A' as const, quad: q })));
  };
  for (let i = 0; i < count; i++) await addPhoto(`p${i}.jpg`, 2020 + i, i + 1);
  const devices = devicesOf(node);
  await devices.addTarget(dev, 'card'); // a host folder, placed like a device
  return { base, node, devices, dev, addPhoto };
}

/** A user rules file: photos go to Pictures/<year>/<file name>. */
async function byYearRules(home: string): Promise<void> {
  await fsp.mkdir(path.join(home, 'rules'), { recursive: true });
  await fsp.writeFile(path.join(home, 'rules', 'mine.ttl'), `@prefix ss: <https://w3id.org/semsync/ns#> .
<urn:x-test:by-year> a ss:PlacementRule ; ss:kind "photo" ; ss:folder "Pictures" ; ss:priority 5 ; ss:template "{year}/{filename}" .
`);
}

const libs: Library[] = [];
afterAll(async () => {
  for (const l of libs) {
    await l.node.close();
    await fsp.rm(l.base, { recursive: true, force: true });
  }
});

let node: SemsyncNode;
let devices: NodeDevices;
let dev: string;
let addPhoto: Library['addPhoto'];
const files = async (root = dev) => (await walkDevice(root)).map((f) => f.path);

beforeAll(async () => {
  const l = await library(5);
  libs.push(l);
  ({ node, devices, dev, addPhoto } = l);
});

describe('placing again from a running node', () => {
  it('a second run plans nothing; a file removed by hand is not copied back (remembered), until place --restore', async () => {
    expect((await devices.place(dev)).copied).toBe(5);
    expect((await devices.place(dev)).operations).toEqual([]);
    await fsp.rm(path.join(dev, 'Photos/2022/03/p2.jpg'));
    const again = await devices.place(dev);
    expect(again.operations).toEqual([]);
    expect(again.skipped.map((k) => [path.basename(k.file ?? ''), k.reason])).toEqual([['p2.jpg', REMOVED_BY_PERSON]]);
    // The catalog remembers it: a new process (no memo) does not copy it back either.
    expect((await readCatalogRecords(dev)).filter((r) => r.removedAt).map((r) => r.path)).toEqual(['Photos/2022/03/p2.jpg']);
    expect((await devices.place(dev)).operations).toEqual([]);
    const back = await devices.place(dev, { restore: true });
    expect(back.operations.map((o) => o.target)).toEqual(['Photos/2022/03/p2.jpg']);
    expect(back.copied).toBe(1);
    expect((await readCatalogRecords(dev)).filter((r) => r.removedAt)).toEqual([]);
    expect((await devices.place(dev)).operations).toEqual([]);
  });

  it('a placed file changed by hand (another size) is left alone; the content goes beside it, once', async () => {
    await fsp.writeFile(path.join(dev, 'Photos/2021/02/p1.jpg'), 'edited');
    const r = await devices.place(dev);
    expect(r.operations.map((o) => `${o.kind} ${o.target}`)).toEqual(['copy Photos/2021/02/p1 (2).jpg']);
    expect(await fsp.readFile(path.join(dev, 'Photos/2021/02/p1.jpg'), 'utf8')).toBe('edited');
    expect((await devices.place(dev)).operations).toEqual([]);
    await fsp.rm(path.join(dev, 'Photos/2021/02/p1.jpg'));
    expect((await devices.place(dev)).operations).toEqual([]); // the copy beside it stays where it is
  });

  it('a new photo in the graph is placed', async () => {
    await addPhoto('p9.jpg', 2030, 12);
    const r = await devices.place(dev);
    expect(r.operations.map((o) => o.target)).toEqual(['Photos/2030/12/p9.jpg']);
    expect((await devices.place(dev)).operations).toEqual([]);
  });

  it('a new rules file re-plans: the photos move to the new template', async () => {
    await byYearRules(node.paths.home);
    const r = await devices.place(dev);
    expect(r.copied).toBe(6);
    expect(r.removed).toBe(6);
    expect(await files()).toEqual(['Pictures/2020/p0.jpg', 'Pictures/2021/p1.jpg', 'Pictures/2022/p2.jpg', 'Pictures/2023/p3.jpg', 'Pictures/2024/p4.jpg', 'Pictures/2030/p9.jpg']);
    expect((await devices.place(dev)).operations).toEqual([]);
  });
});

describe('placing many files', () => {
  it('stages new content while planning: every file placed whole, nothing left in staging, a re-run plans nothing', async () => {
    const l = await library(0);
    libs.push(l);
    const src = path.join(l.base, 'pics');
    const g = graphIri(l.node.nodeId, 'share/pics');
    const changes = [];
    const bytesOf = new Map<string, Buffer>();
    for (let i = 0; i < 300; i++) {
      const bytes = randomBytes(1500 + i);
      const file = path.join(src, `m${i}.jpg`);
      await fsp.writeFile(file, bytes);
      bytesOf.set(`m${i}.jpg`, bytes);
      const c = namedNode(`urn:sha256:${createHash('sha256').update(bytes).digest('hex')}`);
      const f = namedNode(pathToFileURL(file).href);
      for (const q of [
        quad(f, RDF('type'), NFO('FileDataObject'), g), quad(f, NIE('interpretedAs'), c, g), quad(f, NIE('mimeType'), literal('image/jpeg'), g),
        quad(f, NFO('fileSize'), literal(String(bytes.length), XSD('integer')), g), quad(c, RDF('type'), NFO('Image'), g),
        quad(c, DCTERMS('date'), literal(`${2000 + (i % 20)}-01-01T12:00:00`, XSD('dateTime')), g),
      ]) changes.push({ op: 'A' as const, quad: q });
    }
    await l.node.store.commit(changes);
    await l.devices.refreshCategories();
    const r = await l.devices.place(l.dev);
    expect(r).toMatchObject({ copied: 300, errors: [] });
    const placed = await files(l.dev);
    expect(placed).toHaveLength(300);
    for (const p of placed) expect((await fsp.readFile(path.join(l.dev, p))).equals(bytesOf.get(path.basename(p))!)).toBe(true);
    expect(await fsp.readdir(path.join(l.dev, '.semsync'))).not.toContain('staging');
    expect((await l.devices.place(l.dev)).operations).toEqual([]);
  });
});

describe('the running node\'s device watch', () => {
  it('places a host target when a rules file changes, without a scan', async () => {
    const l = await library(3);
    libs.push(l);
    const said: string[] = [];
    const watch = new DeviceWatch(l.node, { intervalMs: 100, say: (line) => said.push(line) });
    await watch.start();
    try {
      const until = async (what: string, ok: () => Promise<boolean>) => {
        for (const t0 = Date.now(); !(await ok()); await new Promise((r) => setTimeout(r, 50))) {
          if (Date.now() - t0 > 20_000) throw new Error(`timed out waiting for ${what}; the node said: ${said.join(' | ')}`);
        }
      };
      await until('the first placement', async () => (await files(l.dev)).length === 3);
      expect(await files(l.dev)).toEqual(['Photos/2020/01/p0.jpg', 'Photos/2021/02/p1.jpg', 'Photos/2022/03/p2.jpg']);
      await byYearRules(l.node.paths.home);
      await until('the photos to move', async () => { const now = await files(l.dev); return now.length === 3 && now.every((f) => f.startsWith('Pictures/')); });
      expect(await files(l.dev)).toEqual(['Pictures/2020/p0.jpg', 'Pictures/2021/p1.jpg', 'Pictures/2022/p2.jpg']);
      // A broken rules file is reported (file and line) and nothing is removed.
      await fsp.writeFile(path.join(l.node.paths.home, 'rules', 'zz-broken.ttl'), '@prefix ss: <https://w3id.org/semsync/ns#> .\nthis is not turtle\n');
      await until('the broken file to be reported', async () => said.some((line) => line.includes('zz-broken.ttl')));
      expect(said.find((line) => line.includes('zz-broken.ttl'))).toMatch(/line 2/);
      expect(await files(l.dev)).toEqual(['Pictures/2020/p0.jpg', 'Pictures/2021/p1.jpg', 'Pictures/2022/p2.jpg']);
    } finally {
      await watch.stop();
    }
  });
});

describe('placement sources (issue 14, item 3)', () => {
  it('never copies a host file: not through a link in the share, not from a file IRI a peer asserted, not when the bytes changed', async () => {
    const l = await library(0);
    libs.push(l);
    const src = path.join(l.base, 'pics');
    const secret = randomBytes(3000);
    await fsp.writeFile(path.join(l.base, 'secret.jpg'), secret);
    await fsp.symlink(path.join(l.base, 'secret.jpg'), path.join(src, 'lnk.jpg')); // share/lnk -> a file outside the share
    const photo = (graph: string, file: string, bytes: Buffer, year: number) => {
      const g = namedNode(graph);
      const c = namedNode(`urn:sha256:${createHash('sha256').update(bytes).digest('hex')}`);
      const f = namedNode(pathToFileURL(file).href);
      return [
        quad(f, RDF('type'), NFO('FileDataObject'), g), quad(f, NIE('interpretedAs'), c, g), quad(f, NIE('mimeType'), literal('image/jpeg'), g),
        quad(f, NFO('fileSize'), literal(String(bytes.length), XSD('integer')), g), quad(c, RDF('type'), NFO('Image'), g),
        quad(c, DCTERMS('date'), literal(`${year}-01-01T12:00:00`, XSD('dateTime')), g),
      ].map((q) => ({ op: 'A' as const, quad: q }));
    };
    // A paired peer asserts, in its own graph, that our share's link holds the secret's content.
    const peerGraph = graphIri('12D3KooWPeerPeerPeerPeerPeerPeerPeerPeerPeerPeer', 'share/theirs').value;
    await l.node.store.commit(photo(peerGraph, path.join(src, 'lnk.jpg'), secret, 2001));
    // Our own graph describing a link out of the share (the scanner never would) does not make it a source either.
    const other = randomBytes(2500);
    await fsp.writeFile(path.join(l.base, 'other.jpg'), other);
    await fsp.symlink(path.join(l.base, 'other.jpg'), path.join(src, 'lnk2.jpg'));
    const own = graphIri(l.node.nodeId, 'share/pics').value;
    await l.node.store.commit(photo(own, path.join(src, 'lnk2.jpg'), other, 2002));
    // A file we described, whose bytes changed since (same size): its content hash no longer holds.
    const described = randomBytes(2048);
    await fsp.writeFile(path.join(src, 'changed.jpg'), described);
    await l.node.store.commit(photo(own, path.join(src, 'changed.jpg'), described, 2003));
    await fsp.writeFile(path.join(src, 'changed.jpg'), randomBytes(2048));
    const r = await l.devices.place(l.dev);
    expect(r.copied).toBe(0);
    expect(r.errors.map((e) => e.message)).toEqual([expect.stringMatching(new RegExp(`content mismatch: ${src}/changed\\.jpg has sha256 [0-9a-f]{64}, not the content urn:sha256:`))]);
    expect(r.skipped.map((s) => s.reason).filter((x) => x.startsWith('not on this node'))).toHaveLength(2); // the secret and the other file: no local source
    const onCard = await walkDevice(l.dev);
    expect(onCard).toEqual([]);
  });
});

describe('claims made before binding (issue 14, item 2)', () => {
  it('a host target claimed by an older version is bound at its next placement (its path is in the config); a device would not be', async () => {
    const l = await library(2);
    libs.push(l);
    const claims = JSON.parse(await fsp.readFile(l.node.paths.claims, 'utf8')) as { devices: Record<string, { binding?: unknown }> };
    for (const c of Object.values(claims.devices)) delete c.binding;
    await fsp.writeFile(l.node.paths.claims, JSON.stringify({ version: 1, devices: claims.devices }));
    expect((await l.devices.list()).find((r) => r.kind === 'target')).toMatchObject({ state: 'unclaimed', note: expect.stringMatching(/claim it again/) });
    expect((await l.devices.place(l.dev)).copied).toBe(2);
    const now = JSON.parse(await fsp.readFile(l.node.paths.claims, 'utf8')) as { devices: Record<string, { binding?: { mac: string } }> };
    expect(Object.values(now.devices).map((c) => typeof c.binding?.mac)).toEqual(['string']);
    expect((await l.devices.list()).find((r) => r.kind === 'target')!.state).toBe('claimed');
  });
});
