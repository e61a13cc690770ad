// Seeded mutations of corpus files for the fuzz tests: byte flips, truncations, inserted garbage, resized length fields.
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const corpus = path.resolve(repoRoot, '..', 'shared', 'corpus');

export { rng } from '../helpers/rng.js';

export type Mutation = 'flip' | 'truncate' | 'insert' | 'length';
export const MUTATIONS: Mutation[] = ['flip', 'truncate', 'insert', 'length'];

/** Applies one mutation; `length` overwrites a 2- or 4-byte field near the start (where headers and their lengths live) with 0, max or a random value. */
export function mutate(src: Buffer, kind: Mutation, r: () => number): Buffer {
  const int = (n: number) => Math.floor(r() * n);
  const b = Buffer.from(src);
  switch (kind) {
    case 'flip': {
      const n = 1 + int(16);
      for (let i = 0; i < n && b.length; i++) b[int(b.length)] ^= 1 << int(8);
      return b;
    }
    case 'truncate':
      return b.subarray(0, int(b.length));
    case 'insert': {
      const at = int(b.length + 1);
      const junk = Buffer.alloc(1 + int(512));
      for (let i = 0; i < junk.length; i++) junk[i] = int(256);
      return Buffer.concat([b.subarray(0, at), junk, b.subarray(at)]);
    }
    case 'length': {
      const window = Math.min(b.length, r() < 0.7 ? 4096 : b.length);
      const wide = r() < 0.5;
      if (window < 4) return b;
      const at = int(window - (wide ? 4 : 2));
      const v = [0, 0xffffffff, 0x7fffffff, int(0x100000000), 1][int(5)];
      if (wide) (r() < 0.5 ? b.writeUInt32BE(v >>> 0, at) : b.writeUInt32LE(v >>> 0, at));
      else (r() < 0.5 ? b.writeUInt16BE(v & 0xffff, at) : b.writeUInt16LE(v & 0xffff, at));
      return b;
    }
  }
}

/** The corpus files per family (the folder's extractor), skipping files over `maxBytes` to keep the run short. */
export function corpusFiles(maxBytes = 800_000): Array<{ family: string; file: string }> {
  const out: Array<{ family: string; file: string }> = [];
  const families: Array<[string, string]> = [['epub', 'epub'], ['audio', 'audio'], ['photo', 'photos'], ['vcard', 'pim/contacts'], ['ical', 'pim/calendars'], ['pim', 'pim/generated'], ['mixed', 'generated'],
    ['document', path.join(repoRoot, 'test/extractors/fixtures/documents')]];
  for (const [family, dir] of families) {
    let names: string[] = [];
    try { names = readdirSync(path.resolve(corpus, dir)); } catch { continue; }
    for (const n of names.sort()) {
      const file = path.resolve(corpus, dir, n);
      const st = statSync(file);
      if (st.isFile() && st.size <= maxBytes && st.size > 0) out.push({ family, file });
    }
  }
  for (const n of ['README.md', 'SOURCES.md']) out.push({ family: 'generic', file: path.join(corpus, n) });
  return out;
}
