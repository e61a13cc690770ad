// The device catalog format: round trip with awkward values, the fast reader agreeing with n3's TriG parser, and
// catalogs older versions wrote (N-Quads, `.semsync/catalog.nq`) still read.
import { readFileSync } from 'node:fs';
import n3 from 'n3';
import { describe, expect, it } from 'vitest';
import { parseCatalog, serializeCatalog, type CatalogRecord } from '../../src/devices/index.js';

const records: CatalogRecord[] = [
  { path: 'Music/Beth Hart/01 - "Sinner\'s" Prayer.mp3', content: 'urn:sha256:' + 'a'.repeat(64), size: 277274, rule: 'https://w3id.org/semsync/rules#music', values: { artist: 'Beth Hart', title: 'Line\nbreak \\ back "quote"' }, placedAt: '2025-01-02T03:04:05.000Z' },
  { path: 'eBooks/SciFi/Ñandú – 🚀 ; x .epub', content: 'urn:sha256:' + 'b'.repeat(64), size: 1, rule: 'urn:x:rule with space', values: {}, placedAt: '2025-01-02T03:04:05.000Z' },
];

describe('catalog TriG', () => {
  it('round-trips records, and is valid TriG in one graph named by the device', () => {
    const text = serializeCatalog('dev-1', records);
    const quads = new n3.Parser({ format: 'TriG' }).parse(text);
    expect(new Set(quads.map((q) => q.graph.value))).toEqual(new Set(['https://w3id.org/semsync/id/device/dev-1']));
    expect(quads.filter((q) => q.predicate.value.endsWith('#fileSize')).map((q) => (q.object as n3.Literal).datatype.value))
      .toEqual(['http://www.w3.org/2001/XMLSchema#integer', 'http://www.w3.org/2001/XMLSchema#integer']);
    const { device, records: back } = parseCatalog(text);
    expect(device).toBe('https://w3id.org/semsync/id/device/dev-1');
    expect(back).toEqual([records[0], { ...records[1], rule: 'urn:x:rule%20with%20space' }]);
  });
  it('reads catalogs written by other tools (n3 fallback) the same way', async () => {
    const text = serializeCatalog('dev-1', records);
    const quads = new n3.Parser({ format: 'TriG' }).parse(text);
    const writer = new n3.Writer({ format: 'TriG', prefixes: { ss: 'https://w3id.org/semsync/ns#' } });
    writer.addQuads(quads);
    const other = await new Promise<string>((resolve, reject) => writer.end((e, out: string) => (e ? reject(e) : resolve(out))));
    expect(other).not.toBe(text);
    expect(parseCatalog(other)).toEqual(parseCatalog(text));
    const nquads = new n3.Writer({ format: 'N-Quads' }).quadsToString(quads);
    expect(parseCatalog(nquads, 'N-Quads')).toEqual(parseCatalog(text));
  });
  it('reads an N-Quads catalog as versions before the TriG catalog wrote it', () => {
    const old = readFileSync(new URL('./fixtures/catalog-nquads.nq', import.meta.url), 'utf8');
    const want = {
      device: 'https://w3id.org/semsync/id/device/dev-old',
      records: [
        { path: 'Photos/2010/01/p0.jpg', content: 'urn:sha256:' + 'c'.repeat(64), size: 16384, rule: 'https://w3id.org/semsync/rules/default#place-photo', values: { kind: 'photo', year: '2010', month: '01' }, placedAt: '2025-03-04T05:06:07.000Z' },
        { ...records[0], content: 'urn:sha256:' + 'd'.repeat(64), placedAt: '2025-03-04T05:06:07.000Z' },
      ],
    };
    expect(parseCatalog(old)).toEqual(want);
    expect(parseCatalog(old.replaceAll(' <', '\t<'))).toEqual(want); // not the fast reader's shape: n3 reads it
  });
});
