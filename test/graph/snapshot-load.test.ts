// A snapshot loaded in growing parts (snapshot.ts growingParts): whole lines only, each line once, parts of 8 KiB
// doubling up to 1 MiB, whatever the chunks the file is read in; a whole store loaded from one has every row once.
import { describe, expect, it, vi } from 'vitest';
import oxigraph from 'oxigraph';
import { growingParts, loadLatestSnapshot, writeSnapshot } from '../../src/graph/snapshot.js';
import { tempDir } from './helpers.js';

/** Deterministic pseudo-random numbers (a test that fails can be run again as it was). */
function rng(seed: number): () => number {
  return () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
}

/** `text` cut into chunks of random sizes (1 byte to 3 MiB), cutting lines anywhere. */
function chunked(text: Buffer, random: () => number): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < text.length; ) {
    const n = random() < 0.2 ? 1 + Math.floor(random() * 40) : Math.floor(random() * 3 * 2 ** 20) + 1;
    out.push(text.subarray(at, at + n));
    at += n;
  }
  return out;
}

describe('growingParts', () => {
  it('yields every byte once, in order, as whole lines in parts that grow from 8 KiB to 1 MiB', () => {
    const random = rng(7);
    const lines: string[] = [];
    for (let i = 0; i < 60_000; i++) lines.push(`<urn:x:${i}> <urn:p> "${'é'.repeat(Math.floor(random() * 60))}" .\n`);
    lines.splice(30_000, 0, `<urn:long> <urn:p> "${'y'.repeat(3 * 2 ** 20)}" .\n`); // a line longer than any part
    const text = Buffer.from(lines.join('') + '<urn:last> <urn:p> "no newline" .');
    for (let round = 0; round < 4; round++) {
      const parts = [...growingParts(chunked(text, random))].map((p) => Buffer.from(p));
      expect(Buffer.concat(parts).equals(text)).toBe(true);
      for (const p of parts.slice(0, -1)) expect(p[p.length - 1]).toBe(10);
      expect(parts[0].length).toBeLessThanOrEqual(8 << 10);
      expect(parts[1].length).toBeLessThanOrEqual(16 << 10);
      const big = parts.filter((p) => p.length > 2 ** 20);
      expect(big.map((p) => p.toString().startsWith('<urn:long>'))).toEqual([true]);
      expect(parts.length).toBeGreaterThan(10);
    }
  });

  it('yields nothing for no bytes, and a lone unterminated line as one part', () => {
    expect([...growingParts([])]).toEqual([]);
    expect([...growingParts([Buffer.from('<a> <b> <c> .')])].map((p) => Buffer.from(p).toString())).toEqual(['<a> <b> <c> .']);
  });
});

describe('loadLatestSnapshot', () => {
  it('loads every row of a snapshot exactly once, in several growing loads', async () => {
    const dir = tempDir('snapshot-load');
    const src = new oxigraph.Store();
    const rows: string[] = [];
    for (let i = 0; i < 40_000; i++) rows.push(`<urn:s:${i}> <urn:p:${i % 7}> "v ${i} \\"q\\" ☃" <urn:g:${i % 3}> .`);
    src.load(rows.join('\n') + '\n', { format: 'application/n-quads' });
    await writeSnapshot(dir, src, { vv: { a: 1 }, hlc: '1.0' });
    const dest = new oxigraph.Store();
    const loads: string[] = [];
    const load = dest.load.bind(dest);
    vi.spyOn(dest, 'load').mockImplementation((input, opts) => {
      loads.push(Buffer.from(input as Uint8Array).toString());
      load(input, opts);
    });
    expect(await loadLatestSnapshot(dir, dest)).not.toBeNull();
    expect(loads.length).toBeGreaterThan(5);
    const loaded = loads.join('').split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    expect(loaded.length).toBe(rows.length);
    expect(new Set(loaded).size).toBe(rows.length);
    expect(dest.size).toBe(rows.length);
    expect(dest.dump({ format: 'application/n-quads' }).split('\n').sort()).toEqual(src.dump({ format: 'application/n-quads' }).split('\n').sort());
  });
});
