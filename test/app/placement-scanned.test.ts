// Placement is told what the scan recorded of each local source (nfo:fileSize and nfo:fileLastModified of this node's
// share graph): a source still at that size and mtime is not hashed again; a source changed after the scan is hashed
// and refused if its bytes are not its content. Built without a node: the share graph holds what the scanner writes.
import { createHash, randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import n3 from 'n3';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { GraphStore } from '../../src/graph/store.js';
import { DCTERMS, NFO, RDF, XSD } from '../../src/graph/vocab.js';
import { fileQuads, shareGraph } from '../../src/library/index.js';
import { defaultConfig, type NodeConfig } from '../../src/app/config.js';
import { Devices } from '../../src/app/devices.js';
import type { NodeHome } from '../../src/app/home.js';
import { scanRecords } from '../../src/app/sources.js';

const { quad, namedNode, literal } = n3.DataFactory;
const NODE = 'node-a';

let base: string;
let share: string;
let store: GraphStore;
let home: NodeHome;
beforeEach(async () => {
  base = await fsp.mkdtemp(path.join(os.tmpdir(), 'semsync-placement-scanned-'));
  share = path.join(base, 'photos');
  await fsp.mkdir(share);
  store = await GraphStore.open({ dir: path.join(base, 'home', 'store'), nodeId: NODE });
  let config: NodeConfig = { ...defaultConfig(NODE), shares: [{ name: 'photos', path: share }] };
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

/** A photo in the share, described in the share graph as the scanner describes it (its size and mtime as stat says). */
async function scannedPhoto(name: string, year: number): Promise<{ file: string; bytes: Buffer; content: string; mtimeMs: number }> {
  const bytes = randomBytes(3000);
  const file = path.join(share, name);
  await fsp.writeFile(file, bytes);
  // A whole second: utimes takes float seconds, which may not hold a given millisecond exactly.
  await fsp.utimes(file, new Date(), new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000));
  const st = await fsp.stat(file);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const content = `urn:sha256:${sha256}`;
  const g = shareGraph(NODE, 'photos');
  const quads = fileQuads(NODE, { name: 'photos', path: share }, { path: file, relPath: name, size: bytes.length, mtimeMs: st.mtimeMs, mime: 'image/jpeg', sha256, errors: [] });
  quads.push(quad(namedNode(content), RDF('type'), NFO('Image'), g), quad(namedNode(content), DCTERMS('date'), literal(`${year}-01-01T12:00:00`, XSD('dateTime')), g));
  await store.commit(quads.map((q) => ({ op: 'A' as const, quad: q })));
  return { file, bytes, content, mtimeMs: Math.floor(st.mtimeMs) };
}

it('reads the scan\'s size and mtime (whole ms) of this node\'s share files', async () => {
  const p = await scannedPhoto('a.jpg', 2001);
  const scanned = scanRecords(home);
  expect(scanned(p.file)).toEqual({ size: 3000, mtimeMs: p.mtimeMs });
  expect(scanned(path.join(share, 'not-described.jpg'))).toBeUndefined();
});

it('a source as the scan recorded it is trusted; one changed after the scan is hashed and refused, naming it', async () => {
  const same = await scannedPhoto('same.jpg', 2001);
  const changed = await scannedPhoto('changed.jpg', 2002);
  // Both rewritten with other bytes of the same size: `same.jpg` also gets its scanned mtime back (indistinguishable
  // from the scanned file without reading it: trusted, as the scanner itself would skip it), `changed.jpg` keeps a
  // new mtime (hashed while copied: its bytes are not its content).
  const other = randomBytes(3000);
  await fsp.writeFile(same.file, other);
  await fsp.utimes(same.file, new Date(), new Date(same.mtimeMs));
  await fsp.writeFile(changed.file, randomBytes(3000));
  await fsp.utimes(changed.file, new Date(), new Date(changed.mtimeMs + 5000));
  const devices = new Devices({ home, user: 'tester' });
  const target = path.join(base, 'target');
  await devices.addTarget(target, 'target');
  const r = await devices.place('target');
  expect(r.copied).toBe(1);
  expect(r.errors).toEqual([expect.objectContaining({ content: changed.content, code: 'VerifyError', message: expect.stringContaining(`content mismatch: ${changed.file} has sha256`) })]);
  const op = r.operations.find((o) => o.kind === 'copy' && o.content === same.content) as { target: string };
  expect(await fsp.readFile(path.join(target, op.target))).toEqual(other); // not hashed again: the scan's record held
  await devices.graphsSettled();
});

it('reads the scan\'s records once per library version: again only after the store changed (a scan)', async () => {
  const a = await scannedPhoto('a.jpg', 2001);
  const devices = new Devices({ home, user: 'tester' });
  await devices.addTarget(path.join(base, 't1'), 't1');
  await devices.addTarget(path.join(base, 't2'), 't2');
  const reads = { n: 0 };
  const match = store.match.bind(store);
  store.match = (s, p, o, g) => {
    if (p?.equals(NFO('fileLastModified'))) reads.n++;
    return match(s, p, o, g);
  };
  expect((await devices.place('t1')).copied).toBe(1);
  expect(reads.n).toBe(1);
  // Another device, the library unchanged: the records already read serve (the copy is still checked against them).
  await fsp.writeFile(a.file, randomBytes(3000)); // same size, new mtime: hashed while copied, refused
  await fsp.utimes(a.file, new Date(), new Date(a.mtimeMs + 5000));
  const r2 = await devices.place('t2');
  expect(reads.n).toBe(1);
  expect(r2.errors).toEqual([expect.objectContaining({ content: a.content, code: 'VerifyError' })]);
  // A scan changed the store: read again, so a file scanned since is trusted by its new record.
  const b = await scannedPhoto('b.jpg', 2002);
  const r3 = await devices.place('t2');
  expect(reads.n).toBe(2);
  expect(r3.copied).toBe(1); // b.jpg; a.jpg is still not its content
  expect(r3.operations).toContainEqual(expect.objectContaining({ kind: 'copy', content: b.content }));
  expect(r3.errors).toEqual([expect.objectContaining({ content: a.content, code: 'VerifyError' })]);
  await devices.graphsSettled();
});
