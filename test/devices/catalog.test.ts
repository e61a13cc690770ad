// The device catalog format: round trip with awkward values, and the fast reader agreeing with n3's N-Quads parser.
import n3 from 'n3';
import { describe, expect, it } from 'vitest';
import { parseCatalog, serializeCatalog, type CatalogRecord } from '../../src/devices/index.js';

const records: CatalogRecord[] = [
  { path: 'Music/Beth Hart/01 - "Sinner\'s" Prayer.mp3', content: 'urn:sha256:' + 'a'.repeat(64), size: 277274, rule: 'https://w3id.org/semsync/rules#music', values: { artist: 'Beth Hart', title: 'Line\nbreak \\ back "quote"' }, placedAt: '2025-01-02T03:04:05.000Z' },
  { path: 'eBooks/SciFi/Ñandú – 🚀.epub', content: 'urn:sha256:' + 'b'.repeat(64), size: 1, rule: 'urn:x:rule with space', values: {}, placedAt: '2025-01-02T03:04:05.000Z' },
];

describe('catalog N-Quads', () => {
  it('round-trips records, and is valid N-Quads in one graph named by the device', () => {
    const text = serializeCatalog('dev-1', records);
    const quads = new n3.Parser({ format: 'N-Quads' }).parse(text);
    expect(new Set(quads.map((q) => q.graph.value))).toEqual(new Set(['https://w3id.org/semsync/id/device/dev-1']));
    const { device, records: back } = parseCatalog(text);
    expect(device).toBe('https://w3id.org/semsync/id/device/dev-1');
    expect(back).toEqual([records[0], { ...records[1], rule: 'urn:x:rule%20with%20space' }]);
  });
  it('reads catalogs written by other tools (n3 fallback) the same way', () => {
    const text = serializeCatalog('dev-1', records);
    const writer = new n3.Writer({ format: 'N-Quads' });
    const other = writer.quadsToString(new n3.Parser({ format: 'N-Quads' }).parse(text)).replace(' <', '\t<'); // a tab: not the shape the fast reader takes
    expect(parseCatalog(other)).toEqual(parseCatalog(text));
  });
});
