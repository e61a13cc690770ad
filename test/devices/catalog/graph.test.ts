// A catalog as statements for the node's store (src/devices/catalog/graph.ts): the rows built straight from the
// records are the statements catalogGraphQuads gives, and a hostile catalog's paths, contents and rules stay out.
import { pathToFileURL } from 'node:url';
import n3 from 'n3';
import { describe, expect, it } from 'vitest';
import { catalogGraphQuads, catalogGraphRows, type DeviceSeen } from '../../../src/devices/index.js';
import { rowOf } from '../../../src/graph/index.js';
import { awkward, hex, randomRecords } from './records-helper.js';

const G = 'https://w3id.org/semsync/id/graph/nodeA/device/dev-1';
const seen: DeviceSeen = { id: 'dev-1', label: 'Reader', kind: 'mount', fsType: 'vfat', root: '/media/alice/READER', lastSeen: '2025-01-01T00:00:00.000Z', attached: true, free: 10, total: 20, version: 'v1' };

describe('catalog graph', () => {
  it('builds as rows exactly the statements catalogGraphQuads gives (each once), known contents\' descriptions left out', () => {
    const records = [...awkward, ...randomRecords(200, 5).map((r) => ({ ...r, path: r.path.replace(/(^|\/)\.\.?(?=\/|$)/g, '$1x') }))];
    const known = { titled: new Set([hex('a')]), categorised: new Set<string>() };
    const quads = catalogGraphQuads(G, seen, records, known);
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
    const files = catalogGraphQuads(G, seen, [ok, ...hostile]).filter((q) => q.predicate.value === 'https://w3id.org/semsync/ns#relativePath');
    expect(files.map((q) => q.object.value)).toEqual(['ok.mp3']);
    expect(files[0].subject.value).toBe('file:///media/alice/READER/ok.mp3');
  });

  it('names each copy by the file IRI `semsync describe PATH` looks up, for any name', () => {
    const names = ['Ñandú – 🚀 ; x .epub', 'a b/c#d?e%f.mp3', "q'u\"o`t{e}.txt", 'Artist 1/Album 2/03 - Song (live) & more.mp3', 'a~b/~c.mp3'];
    const quads = catalogGraphQuads(G, seen, names.map((p) => ({ ...awkward[0], path: p })));
    const iris = quads.filter((q) => q.predicate.value === 'https://w3id.org/semsync/ns#relativePath').map((q) => q.subject.value);
    expect(iris).toEqual(names.map((p) => pathToFileURL(`${seen.root}/${p}`).href));
    expect(quads.every((q) => q.graph.equals(n3.DataFactory.namedNode(G)))).toBe(true);
  });
});

describe('catalog graph rows from a hostile catalog', () => {
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
