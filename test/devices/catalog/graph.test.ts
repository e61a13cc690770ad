// A catalog as statements for the node's store (src/devices/catalog/graph.ts): the rows built straight from the
// records as text are the statements a term-by-term reference builds, and a hostile catalog's paths, contents and
// rules stay out.
import { pathToFileURL } from 'node:url';
import n3 from 'n3';
import { describe, expect, it } from 'vitest';
import type { Quad } from '@rdfjs/types';
import { catalogGraphRows, deviceQuads, type CatalogRecord, type DeviceSeen } from '../../../src/devices/index.js';
import { DCTERMS, NFO, NIE, RDF, RDFS, SS, XSD, categoryIri } from '../../../src/graph/vocab.js';
import { rowOf } from '../../../src/graph/index.js';
import { awkward, hex, randomRecords } from './records-helper.js';

const G = 'https://w3id.org/semsync/id/graph/nodeA/device/dev-1';
const seen: DeviceSeen = { id: 'dev-1', label: 'Reader', kind: 'mount', fsType: 'vfat', root: '/media/alice/READER', lastSeen: '2025-01-01T00:00:00.000Z', attached: true, free: 10, total: 20, version: 'v1' };

const { literal, namedNode, quad } = n3.DataFactory;
type Known = { titled: ReadonlySet<string>; categorised: ReadonlySet<string> };

/**
 * The reference: the catalog's statements built term by term (n3 terms, file IRIs by pathToFileURL), in the order
 * the docs give: the device's, then per usable record its file's six, then per new content its title and category,
 * then the categories' labels.
 */
function referenceQuads(graph: string, d: DeviceSeen, records: readonly CatalogRecord[], known: Known): Quad[] {
  const g = namedNode(graph);
  const out = deviceQuads(graph, d);
  const emit = (s: Quad['subject'], p: Quad['predicate'], o: Quad['object']) => out.push(quad(s, p, o, g));
  const dev = out[0].subject;
  const contents = new Set<string>();
  const labels = new Set<string>();
  for (const r of records) {
    if (r.removedAt || r.path === '' || r.path.startsWith('/') || r.path.includes('\\') || r.path.split('/').some((x) => x === '..' || x === '.')) continue;
    if (!/^urn:sha256:[0-9a-f]{64}$/.test(r.content) || !/^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>"{}|\\^`]{1,2000}$/.test(r.rule)) continue;
    const f = namedNode(pathToFileURL(`${d.root}/${r.path}`).href);
    const c = namedNode(r.content);
    emit(f, RDF('type'), NFO('FileDataObject'));
    emit(f, NIE('interpretedAs'), c);
    emit(f, NFO('fileSize'), literal(String(r.size), XSD('integer')));
    emit(f, SS('onDevice'), dev);
    emit(f, SS('relativePath'), literal(r.path));
    emit(f, SS('placedBy'), namedNode(r.rule));
    if (contents.has(r.content)) continue;
    contents.add(r.content);
    if (r.values.title && !known.titled.has(r.content)) emit(c, DCTERMS('title'), literal(r.values.title));
    if (r.values.category && !known.categorised.has(r.content)) {
      emit(c, SS('category'), categoryIri(r.values.category));
      labels.add(r.values.category);
    }
  }
  for (const l of labels) {
    emit(categoryIri(l), RDF('type'), SS('Category'));
    emit(categoryIri(l), RDFS('label'), literal(l));
  }
  return out;
}

/** The statements of the rows catalogGraphRows builds. */
const catalogQuads = (d: DeviceSeen, records: readonly CatalogRecord[]) => catalogGraphRows(G, d, records).map((c) => c.quad);

describe('catalog graph', () => {
  it('builds as rows exactly the statements the term-by-term reference gives (each once), known contents\' descriptions left out', () => {
    const records = [...awkward, ...randomRecords(200, 5).map((r) => ({ ...r, path: r.path.replace(/(^|\/)\.\.?(?=\/|$)/g, '$1x') }))];
    const known = { titled: new Set([hex('a')]), categorised: new Set<string>() };
    const quads = referenceQuads(G, seen, records, known);
    const rows = catalogGraphRows(G, seen, records, known);
    expect([...rows.keyed.keys()]).toEqual([...new Set(quads.map(rowOf))]);
    expect(rows.some((c) => c.quad.predicate.value === 'http://purl.org/dc/terms/title' && c.quad.subject.value === hex('a'))).toBe(false);
  });

  it('leaves out removed files and hostile records: paths leaving the device, absolute or empty, bad contents and rules', () => {
    const ok = { ...awkward[0], path: 'ok.mp3' };
    const hostile = [
      { ...ok, path: '../../etc/passwd' }, { ...ok, path: 'a/../../b' }, { ...ok, path: '/etc/shadow' }, { ...ok, path: '' }, { ...ok, path: 'a\\b' },
      { ...ok, path: 'x1', content: 'urn:sha256:XYZ' }, { ...ok, path: 'x2', content: 'file:///etc/passwd' }, { ...ok, path: 'x3', rule: 'not an iri' },
      { ...ok, path: 'x4', rule: 'urn:x:<bad>' }, { ...ok, path: 'x5', removedAt: '2025-01-01T00:00:00.000Z' },
    ];
    const files = catalogQuads(seen, [ok, ...hostile]).filter((q) => q.predicate.value === 'https://w3id.org/semsync/ns#relativePath');
    expect(files.map((q) => q.object.value)).toEqual(['ok.mp3']);
    expect(files[0].subject.value).toBe('file:///media/alice/READER/ok.mp3');
  });

  it('names each copy by the file IRI `semsync describe PATH` looks up, for any name', () => {
    const names = ['Ñandú – 🚀 ; x .epub', 'a b/c#d?e%f.mp3', "q'u\"o`t{e}.txt", 'Artist 1/Album 2/03 - Song (live) & more.mp3', 'a~b/~c.mp3'];
    const quads = catalogQuads(seen, names.map((p) => ({ ...awkward[0], path: p })));
    const iris = quads.filter((q) => q.predicate.value === 'https://w3id.org/semsync/ns#relativePath').map((q) => q.subject.value);
    expect(iris).toEqual(names.map((p) => pathToFileURL(`${seen.root}/${p}`).href));
    expect(quads.every((q) => q.graph.equals(n3.DataFactory.namedNode(G)))).toBe(true);
  });
});

describe('catalog graph rows from a hostile catalog', () => {
  it('lists a path the catalog names twice once, with the first record\'s content: each row once', () => {
    const first = { ...awkward[0], path: 'twice.mp3', content: hex('1'), values: {} };
    const rows = catalogGraphRows(G, seen, [first, { ...first, content: hex('2'), size: 7 }, { ...first, path: 'other.mp3', content: hex('2') }]);
    expect(new Set(rows.rows).size).toBe(rows.rows.length);
    expect(rows.rows).toEqual([...rows.keyed.keys()]);
    const contents = rows.map((c) => c.quad).filter((q) => q.predicate.value === NIE('interpretedAs').value).map((q) => [q.subject.value.replace(/.*\//, ''), q.object.value]);
    expect(contents).toEqual([['twice.mp3', hex('1')], ['other.mp3', hex('2')]]);
  });


  it('leaves out a copy whose path the store would refuse (a lone surrogate), and a title or category it would refuse, not the whole catalog', () => {
    const ok = { ...awkward[0], path: 'ok.mp3', content: hex('1'), values: { title: 'Fine' } };
    const bad = [
      { ...ok, path: 'bad\uD800.mp3', content: hex('2') }, { ...ok, path: 'title.mp3', content: hex('3'), values: { title: 'x\uDC00' } },
      { ...ok, path: 'category.mp3', content: hex('4'), values: { category: 'Sci\uD800Fi' } },
    ];
    const rows = catalogGraphRows(G, seen, [ok, ...bad]);
    const quads = rows.map((c) => c.quad);
    const paths = quads.filter((q) => q.predicate.value === 'https://w3id.org/semsync/ns#relativePath').map((q) => q.object.value);
    expect(paths).toEqual(['ok.mp3', 'title.mp3', 'category.mp3']);
    expect(quads.some((q) => q.predicate.value === 'https://w3id.org/semsync/ns#category')).toBe(false);
    expect(quads.filter((q) => q.predicate.value === 'http://purl.org/dc/terms/title').map((q) => [q.subject.value, q.object.value])).toEqual([[hex('1'), 'Fine']]);
  });
});
