// Catalog records for the catalog tests: awkward ones by hand, and many made from a seed (the same every run).
import type { CatalogRecord } from '../../../src/devices/index.js';

export const hex = (c: string) => `urn:sha256:${c.repeat(64)}`;

/** Records with the values that break writers: quotes, backslashes, line breaks, non-ASCII, huge sizes, marks. */
export const awkward: CatalogRecord[] = [
  { path: 'Music/Beth Hart/01 - "Sinner\'s" Prayer.mp3', content: hex('a'), size: 277274, rule: 'https://w3id.org/semsync/rules#music', values: { artist: 'Beth Hart', title: 'Line\nbreak \\ back "quote"\ttab' }, placedAt: '2025-01-02T03:04:05.000Z' },
  { path: 'eBooks/SciFi/Ñandú – 🚀 ; x .epub', content: hex('b'), size: 1, rule: 'urn:x:rule', values: {}, placedAt: '2025-01-02T03:04:05.000Z' },
  { path: 'Big/image.iso', content: hex('c'), size: 2 ** 53 + 2, rule: 'urn:x:rule', values: { note: '\u0000\u0001\u007f' }, placedAt: '2025-01-02T03:04:06.000Z' },
  { path: 'Gone/by hand.mp3', content: hex('d'), size: 5, rule: 'urn:x:rule', values: {}, placedAt: '2025-01-02T03:04:05.000Z', removedAt: '2025-02-01T00:00:00.000Z' },
  { path: 'Back/from trash.mp3', content: hex('e'), size: 6, rule: 'urn:x:rule', values: { title: '@prefix x: <y> .' }, placedAt: '2025-01-02T03:04:05.000Z', restoredAt: '2025-02-02T00:00:00.000Z' },
  { path: 'Folder/ends with } brace {.txt', content: hex('f'), size: 0, rule: 'https://example.org/r?a=1#x', values: { '': 'empty key', 'k"ey': 'v' }, placedAt: '2025-01-02T03:04:05.000Z' },
];

/** A small seeded generator (xorshift32), so a failure is the same on every run. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

const ALPHABET = ['a', 'Z', '0', ' ', '"', '\\', '\n', '\r', '\t', ';', '.', '{', '}', '<', '>', '#', ':', 'é', 'ß', '日', '🚀', '\u0301', '\u2028', "'", '^', '@'];

/** `n` records with random text drawn from characters that are special in TriG, N-Quads or JSON. */
export function randomRecords(n: number, seed = 7): CatalogRecord[] {
  const r = rng(seed);
  const text = (max: number) => Array.from({ length: 1 + Math.floor(r() * max) }, () => ALPHABET[Math.floor(r() * ALPHABET.length)]).join('');
  return Array.from({ length: n }, (_, i) => {
    const rec: CatalogRecord = {
      path: `${text(8).replace(/[\r\n]/g, '_')}/${i}-${text(12)}`.normalize('NFC'),
      content: `urn:sha256:${i.toString(16).padStart(64, '0')}`,
      size: Math.floor(r() * 2 ** 40),
      rule: `urn:x:rule-${i % 3}`,
      values: { title: text(20), [text(3)]: text(5) },
      placedAt: new Date(1.7e12 + i * 1000).toISOString(),
    };
    if (r() < 0.2) rec.removedAt = new Date(1.8e12 + i).toISOString();
    else if (r() < 0.2) rec.restoredAt = new Date(1.8e12 + i).toISOString();
    return rec;
  });
}
