// Every copy in the graph (a catalog graph per device and target), mirror mode into the trash and back, and claiming
// with --accepts/--formats/--name/--mirror, through a node's devices.
import { createHash, randomBytes } from 'node:crypto';
import { promises as fsp, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import n3 from 'n3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDeviceTtl, PROFILE_FILE, readCatalogRecords, serializeCatalog } from '../../src/devices/index.js';
import { CatalogGraphError } from '../../src/app/device-graph.js';
import { DCTERMS, NFO, NIE, RDF, XSD, graphIri } from '../../src/graph/vocab.js';
import { LocalApi } from '../../src/node/api.js';
import { devicesOf, type NodeDevices } from '../../src/node/devices.js';
import { SemsyncNode } from '../../src/node/node.js';

const { quad, namedNode, literal } = n3.DataFactory;
let base: string;
let node: SemsyncNode;
let devices: NodeDevices;
let api: LocalApi;
let card: string;
const photos = new Map<string, n3.Quad[]>();

beforeAll(async () => {
  base = await fsp.mkdtemp(path.join(os.tmpdir(), 'semsync-device-graph-'));
  const src = path.join(base, 'pics');
  card = path.join(base, 'card');
  await fsp.mkdir(src);
  node = await SemsyncNode.open({ home: path.join(base, 'home') });
  await node.addShare(src, 'pics');
  const g = graphIri(node.nodeId, 'share/pics');
  for (let i = 0; i < 3; i++) {
    const bytes = randomBytes(1024);
    const file = path.join(src, `p${i}.jpg`);
    await fsp.writeFile(file, bytes);
    const c = namedNode(`urn:sha256:${createHash('sha256').update(bytes).digest('hex')}`);
    const f = namedNode(pathToFileURL(file).href);
    const qs = [
      quad(f, RDF('type'), NFO('FileDataObject'), g), quad(f, NIE('interpretedAs'), c, g), quad(f, NIE('mimeType'), literal('image/jpeg'), g),
      quad(f, NFO('fileSize'), literal('1024', XSD('integer')), g), quad(c, RDF('type'), NFO('Image'), g),
      quad(c, DCTERMS('date'), literal(`${2020 + i}-0${i + 1}-01T12:00:00`, XSD('dateTime')), g),
    ];
    photos.set(`p${i}.jpg`, qs);
    await node.store.commit(qs.map((q) => ({ op: 'A' as const, quad: q })));
  }
  devices = devicesOf(node);
  api = new LocalApi(node);
  await devices.addTarget(card, 'card', { mirror: true });
});
afterAll(async () => {
  await node.close();
  await fsp.rm(base, { recursive: true, force: true });
});

/** Every copy the graph knows on the device labelled `label`: its relative path, with the file IRI checked. */
function copies(label: string): string[] {
  const out = node.store.query(`PREFIX ss: <https://w3id.org/semsync/ns#> PREFIX nie: <http://www.semanticdesktop.org/ontologies/2007/01/19/nie#>
    PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
    SELECT ?file ?rel WHERE { GRAPH ?g { ?file nie:interpretedAs ?c ; ss:onDevice ?d ; ss:relativePath ?rel . ?d rdfs:label "${label}" } } ORDER BY ?rel`);
  if (out.kind !== 'bindings') throw new Error('not bindings');
  return out.rows.map((r) => {
    const rel = r.rel!.value;
    const root = label === 'card' ? card : '';
    if (root) expect(r.file!.value).toBe(pathToFileURL(path.join(root, rel)).href);
    return rel;
  });
}
/** Place, then wait for the catalog graph (loaded in the background after a placement). */
async function placed(root: string) {
  const r = await devices.place(root);
  await devices.graphsSettled();
  return r;
}
const ask = (q: string) => {
  const out = node.store.query(`PREFIX ss: <https://w3id.org/semsync/ns#> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> ${q}`);
  return out.kind === 'boolean' ? out.value : undefined;
};

describe('every copy in the graph', () => {
  it('a placement loads the target\'s catalog into its own graph; describe PATH works for a copy', async () => {
    expect((await placed(card)).copied).toBe(3);
    expect(copies('card')).toEqual(['Photos/2020/01/p0.jpg', 'Photos/2021/02/p1.jpg', 'Photos/2022/03/p2.jpg']);
    const id = (await devices.find(card)).id;
    const g = graphIri(node.nodeId, `device/${id}`).value;
    expect(ask(`ASK { GRAPH <${g}> { ?d a ss:Device ; ss:attached true ; ss:deviceKind "target" ; ss:freeSpace ?f ; ss:lastSeen ?t ; ss:mirror true } }`)).toBe(true);
    const text = await api.describe(path.join(card, 'Photos/2021/02/p1.jpg'), 'nquads');
    expect(text).toContain(g);
    expect(text).toContain('interpretedAs');    // Copies are not the content's files for planning (never a name, a format or a source).
    for (const f of devices.currentFacts().values()) expect(f.files.every((x) => !x.iri.startsWith(pathToFileURL(card).href))).toBe(true);
  });

  it('a file the person deleted by hand leaves the graph and is remembered, not copied back', async () => {
    await fsp.rm(path.join(card, 'Photos/2020/01/p0.jpg'));
    const r = await placed(card);
    expect(r.copied).toBe(0);
    expect(copies('card')).toEqual(['Photos/2021/02/p1.jpg', 'Photos/2022/03/p2.jpg']);
    expect((await readCatalogRecords(card)).find((x) => x.path === 'Photos/2020/01/p0.jpg')?.removedAt).toBeTruthy();
  });

  it('mirror mode: a copy whose source left goes to the XDG trash, and `trash restore` brings it back into place and into the graph', async () => {
    const c2 = photos.get('p2.jpg')![1].object.value;
    await node.store.commit(photos.get('p2.jpg')!.map((q) => ({ op: 'D' as const, quad: q })));
    // Adopted: the node still describes the content its copy holds (its date, copied from the share into the card's graph).
    expect(ask(`ASK { <${c2}> <http://purl.org/dc/terms/date> ?d }`)).toBe(true);
    const r = await placed(card);
    expect(r.removed).toBe(1);
    expect(copies('card')).toEqual(['Photos/2021/02/p1.jpg']);
    const listed = await api.trashList('card');
    expect(listed.map((t) => [t.path, t.deviceName])).toEqual([['Photos/2022/03/p2.jpg', 'card']]);
    expect(listed[0].file.startsWith(path.join(process.env.XDG_DATA_HOME!, 'Trash', 'files'))).toBe(true);
    const back = await api.trashRestore([listed[0].id]);
    expect(back.errors).toEqual([]);
    expect(readFileSync(path.join(card, 'Photos/2022/03/p2.jpg')).length).toBe(1024);
    expect(copies('card')).toEqual(['Photos/2021/02/p1.jpg', 'Photos/2022/03/p2.jpg']);
    expect(await api.trashList()).toEqual([]);
  });

  it('a detached device keeps its graph, marked detached', async () => {
    const id = (await devices.find(card)).id;
    const g = graphIri(node.nodeId, `device/${id}`).value;
    expect(await devices.graphs.detached(card)).toBe(true);
    expect(ask(`ASK { GRAPH <${g}> { ?d ss:attached false } }`)).toBe(true);
    expect(ask(`ASK { GRAPH <${g}> { ?d ss:attached true } }`)).toBe(false);
    // History says it came from the device (its name), not from a local edit.
    const lastVia = () => node.store.logPatches().patches.filter((p) => p.changes.some((c) => c.quad.graph.value === g)).at(-1)?.via;
    expect(lastVia()).toBe('device:card');
    expect(copies('card')).toEqual(['Photos/2021/02/p1.jpg', 'Photos/2022/03/p2.jpg']);    // A node started again marks what was unplugged meanwhile as detached, and nothing else.
    await devices.loadGraph(await devices.find(card));
    expect(ask(`ASK { GRAPH <${g}> { ?d ss:attached true } }`)).toBe(true);
    expect(await devices.graphs.detachMissing([card])).toBe(0);
    expect(await devices.graphs.detachMissing([])).toBe(1);
    expect(lastVia()).toBe('device');
    expect(ask(`ASK { GRAPH <${g}> { ?d ss:attached false } }`)).toBe(true);
    expect(ask(`ASK { GRAPH <${g}> { ?d ss:attached true } }`)).toBe(false);
    await devices.loadGraph(await devices.find(card)); // plugged in again: attached
    expect(ask(`ASK { GRAPH <${g}> { ?d ss:attached true } }`)).toBe(true);
  });
});

describe('claiming as a person expects', () => {
  it('--accepts, --formats and --mirror write the profile; --name renames a device claimed before', async () => {
    const media = path.join(base, 'media');
    await fsp.mkdir(media);
    await devices.addRoot(media);
    const row = await devices.claim(media, { name: 'Reader', accepts: ['ebook'], formats: ['application/epub+zip', 'application/pdf'], mirror: true });
    expect(row.name).toBe('Reader');
    const ttl = parseDeviceTtl(await fsp.readFile(path.join(media, PROFILE_FILE), 'utf8'));
    expect(ttl).toMatchObject({ name: 'Reader', accepts: ['ebook'], formats: { ebook: ['application/epub+zip', 'application/pdf'] }, mirror: true });
    const renamed = await devices.claim(media, { name: 'Kobo' });
    expect(renamed.name).toBe('Kobo');
    expect(renamed.id).toBe(row.id);
    const again = parseDeviceTtl(await fsp.readFile(path.join(media, PROFILE_FILE), 'utf8'));
    expect(again).toMatchObject({ id: row.id, name: 'Kobo', accepts: ['ebook'], formats: { ebook: ['application/epub+zip', 'application/pdf'] }, mirror: true });
    await expect(devices.claim(media, { accepts: ['books'] })).rejects.toThrow(/unknown kind "books"/);
    await expect(devices.claim(media, { formats: ['epub'] })).rejects.toThrow(/not a MIME type/);
    expect((await devices.claim(media, { mirror: false })).state).toBe('claimed');
    expect(parseDeviceTtl(await fsp.readFile(path.join(media, PROFILE_FILE), 'utf8')).mirror).toBeUndefined();
  });
});

describe('a catalog from a device that is not ours', () => {
  it('only plain relative paths, content hashes and IRIs become copies; a linked or oversized catalog is not read', async () => {
    const stick = path.join(base, 'stick');
    await fsp.mkdir(path.join(stick, '.semsync'), { recursive: true });
    const good = `urn:sha256:${'a'.repeat(64)}`;
    const rec = (p: string, content: string, rule = 'urn:x:rule') => ({ path: p, content, size: 1, rule, values: { title: 'T' }, placedAt: '' });
    await fsp.writeFile(path.join(stick, '.semsync', 'catalog.trig'), serializeCatalog('stick', [
      rec('ok/a.epub', good), rec('../../etc/passwd', good), rec('/etc/shadow', good), rec('b.epub', 'urn:sha256:zz'), rec('c.epub', good, 'not an iri'),
    ]));
    const row = { id: 'stick', name: 'Stick', root: stick, kind: 'mount', fsType: 'vfat' };
    await devices.graphs.load(row);
    expect(copies('Stick')).toEqual(['ok/a.epub']);
    await fsp.rm(path.join(stick, '.semsync', 'catalog.trig'));
    await fsp.writeFile(path.join(base, 'host-file.trig'), 'x');
    await fsp.symlink(path.join(base, 'host-file.trig'), path.join(stick, '.semsync', 'catalog.trig'));
    await expect(devices.graphs.load(row)).rejects.toBeInstanceOf(CatalogGraphError);
    await fsp.rm(path.join(stick, '.semsync', 'catalog.trig'));
    const big = await fsp.open(path.join(stick, '.semsync', 'catalog.trig'), 'w');
    await big.truncate(200 << 20); // sparse: 200 MiB said, nothing read
    await big.close();
    await expect(devices.graphs.load(row)).rejects.toThrow(/at most 134217728 bytes/);
    expect(copies('Stick')).toEqual(['ok/a.epub']); // what was loaded before stays
  });
});
