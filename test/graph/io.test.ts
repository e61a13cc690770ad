import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import n3 from 'n3';
import { GraphStore } from '../../src/graph/store.js';
import { ImportError } from '../../src/graph/errors.js';
import { graphIri } from '../../src/graph/vocab.js';
import type { Change, ResultFormat } from '../../src/graph/types.js';
import { tempDir } from './helpers.js';

const { namedNode, literal, quad } = n3.DataFactory;
const stores: GraphStore[] = [];
async function openStore(dir: string, nodeId: string): Promise<GraphStore> {
  const s = await GraphStore.open({ dir, nodeId });
  stores.push(s);
  return s;
}
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
});

const G1 = namedNode('https://w3id.org/semsync/id/graph/nodeA/books');
const G2 = namedNode('https://w3id.org/semsync/id/graph/nodeA/music');
const XSD = 'http://www.w3.org/2001/XMLSchema#';
function sample(): Change[] {
  const s = namedNode('urn:sha256:' + 'ab'.repeat(32));
  const objs = [
    literal('Dune'),
    literal('Düne — “quoted” \\ back\nslash\ttab 😀'),
    literal('le livre', 'fr'),
    literal('42', namedNode(XSD + 'integer')),
    literal('2024-01-02', namedNode(XSD + 'date')),
    literal('-12.5E0', namedNode(XSD + 'double')),
    namedNode('file:///home/me/Books/Dune%20(1965).epub'),
  ];
  const out: Change[] = objs.map((o, i) => ({ op: 'A', quad: quad(s, namedNode(`http://ex.org/p${i}`), o, G1) }));
  out.push({ op: 'A', quad: quad(namedNode('http://ex.org/song'), namedNode('http://purl.org/dc/terms/title'), literal('Song'), G2) });
  return out;
}
const lines = (t: string) => t.split('\n').filter(Boolean).sort();

describe('export and import', () => {
  it.each(['nquads', 'trig', 'jsonld'] as const)('round-trips the whole dataset as %s', async (format) => {
    const a = await openStore(tempDir('exp'), 'nodeA');
    await a.commit(sample());
    const file = path.join(tempDir('file'), `dump.${{ nquads: 'nq', trig: 'trig', jsonld: 'jsonld' }[format]}`);
    fs.writeFileSync(file, a.export(format));
    const b = await openStore(tempDir('imp'), 'nodeB');
    const r = await b.importFile(file);
    expect(r).toEqual({ quads: 8, patches: 1 });
    expect(lines(b.export('nquads'))).toEqual(lines(a.export('nquads')));
  });

  it.each(['turtle', 'ntriples'] as const)('round-trips one graph as %s into the import graph', async (format) => {
    const a = await openStore(tempDir('exp'), 'nodeA');
    await a.commit(sample());
    const text = a.export(format, { graph: G1.value });
    const file = path.join(tempDir('file'), format === 'turtle' ? 'g.ttl' : 'g.nt');
    fs.writeFileSync(file, text);
    const b = await openStore(tempDir('imp'), 'nodeB');
    await b.importFile(file);
    const target = graphIri('nodeB', 'import').value;
    expect(lines(b.export('ntriples', { graph: target }))).toEqual(lines(a.export('ntriples', { graph: G1.value })));
    expect(b.match(null, null, null, namedNode(target))).toHaveLength(7);
  });

  it('exports the union of graphs as turtle and streams big exports to a file', async () => {
    const a = await openStore(tempDir('exp'), 'nodeA');
    await a.commit(sample());
    expect(a.export('ntriples').split('\n').filter(Boolean)).toHaveLength(8);
    for (const f of ['nquads', 'trig', 'ntriples', 'turtle', 'jsonld'] as ResultFormat[]) {
      const file = path.join(tempDir('out'), 'x');
      await a.exportTo(file, f);
      expect(fs.readFileSync(file, 'utf8')).toBe(a.export(f));
    }
    const trig = a.export('trig', { graph: G2.value });
    expect(trig).toContain(`<${G2.value}> {`);
    expect(trig).not.toContain('Dune');
  });

  it('batches, reports progress, and gives blank nodes stable per-import IRIs', async () => {
    const dir = tempDir('file');
    const file = path.join(dir, 'b.ttl');
    fs.writeFileSync(file, '@prefix ex: <http://ex.org/> .\n_:a ex:name "A" ; ex:knows [ ex:name "B" ] .\nex:c ex:name "C" .\nex:d ex:name "D" .\n');
    const b = await openStore(tempDir('imp'), 'nodeB');
    const seen: number[] = [];
    const r = await b.importFile(file, { batch: 2, onProgress: (n) => seen.push(n) });
    expect(r).toEqual({ quads: 5, patches: 3 });
    expect(seen).toEqual([2, 4, 5]);
    const again = await b.importFile(file, { format: 'turtle' });
    expect(again.patches).toBe(1);
    expect(b.size).toBe(8); // the two blank nodes are new each time; the IRIs are not
    expect(b.match().every((x) => x.subject.termType === 'NamedNode' && x.object.termType !== 'BlankNode')).toBe(true);
  });

  it('names the file and line of a parse error, and imports nothing from a rejected file', async () => {
    const dir = tempDir('file');
    const file = path.join(dir, 'bad.nt');
    fs.writeFileSync(file, '<http://a> <http://b> "1" .\n<http://a> <http://b> "2" .\n<http://a> <http://b> "3" .\n<http://a> <http://b> oops .\n');
    const b = await openStore(tempDir('imp'), 'nodeB');
    const err = await b.importFile(file, { batch: 2 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImportError);
    expect((err as ImportError).line).toBe(4);
    expect((err as ImportError).message).toContain('bad.nt');
    expect((err as ImportError).quads).toBe(0);
    expect(b.size).toBe(0); // issue 7: no store change from a rejected input
    await expect(b.importFile(path.join(dir, 'x.docx'))).rejects.toThrow(/extension/);
    await expect(b.importFile(path.join(dir, 'missing.nq'))).rejects.toThrow(ImportError);
  });
});
