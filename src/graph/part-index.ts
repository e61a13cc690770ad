// An index of one snapshot part's lines by subject text and by object text, so a paged store (paged.ts) finds the
// lines about a few values without reading the whole part. Each entry is a 22-bit hash of the text times 2^31 plus
// the line's offset in the part, in one sorted Float64Array per slot (8 bytes a line); a hit is read from the file
// and compared in full, so a hash collision costs a read, never a wrong line.
import fs from 'node:fs';
import { lineRange, parseLine, type Line } from './narrow.js';

const SPAN = 2 ** 31;

/** FNV-1a over bytes, folded to 22 bits. */
function hash(buf: Buffer, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ buf[i], 0x01000193);
  return (h >>> 0) >>> 10;
}

/**
 * Every line of the file's bytes `offset`..`offset + length`, read in windows of 1 MiB (grown for a longer line):
 * `fn(window, start, at)` with the line at `start` in the window and at `at` in the range.
 */
export function forEachLine(fd: number, offset: number, length: number, fn: (buf: Buffer, start: number, at: number) => void): void {
  let window = Buffer.allocUnsafe(Math.min(1 << 20, Math.max(length, 1)));
  for (let at = 0; at < length; ) {
    const n = fs.readSync(fd, window, 0, Math.min(window.length, length - at), offset + at);
    if (n === 0) throw new Error('a snapshot part ends early');
    const buf = window.subarray(0, n);
    const last = n < length - at ? buf.lastIndexOf(10) + 1 : n; // whole lines only, but for the range's end
    if (last === 0) {
      window = Buffer.allocUnsafe(window.length * 2); // a line longer than the window
      continue;
    }
    for (let start = 0; start < last; ) {
      let nl = buf.indexOf(10, start);
      if (nl < 0 || nl >= last) nl = last - 1;
      fn(buf, start, at + start);
      start = nl + 1;
    }
    at += last;
  }
}

export class PartIndex {
  private keys: { s: Float64Array; o: Float64Array } | null = null;

  /**
   * `fd`: the snapshot, open; `offset`, `length`: the part's bytes in it; `predicate`, `graph`: the N-Triples text
   * its lines share.
   */
  constructor(
    private readonly fd: number,
    private readonly offset: number,
    private readonly length: number,
    private readonly predicate: string,
    private readonly graph: string,
  ) {}

  /** Reads the part in windows (a buffer of the whole part would stay in the process's memory after). */
  private build(): { s: Float64Array; o: Float64Array } {
    if (this.length >= SPAN) throw new Error('a snapshot part of 2 GiB or more cannot be indexed');
    const pBytes = Buffer.byteLength(this.predicate);
    const gBytes = this.graph ? Buffer.byteLength(this.graph) : 0;
    const s: number[] = [];
    const o: number[] = [];
    forEachLine(this.fd, this.offset, this.length, (buf, start, at) => {
      const r = lineRange(buf, start, pBytes, gBytes);
      if (!r) return;
      s.push(hash(buf, start, r.sEnd) * SPAN + at);
      o.push(hash(buf, r.oStart, r.oEnd) * SPAN + at);
    });
    return { s: Float64Array.from(s).sort(), o: Float64Array.from(o).sort() };
  }

  /** The first entry of `keys` at or past `key`. */
  private static lowerBound(keys: Float64Array, key: number): number {
    let a = 0;
    let b = keys.length;
    while (a < b) {
      const m = (a + b) >>> 1;
      if (keys[m] < key) a = m + 1;
      else b = m;
    }
    return a;
  }

  /** How many lines may have `value` in slot `which` (hash collisions included: never fewer than there are). */
  count(which: 's' | 'o', value: string): number {
    this.keys ??= this.build();
    const v = Buffer.from(value);
    const lo = hash(v, 0, v.length) * SPAN;
    const keys = this.keys[which];
    return PartIndex.lowerBound(keys, lo + SPAN) - PartIndex.lowerBound(keys, lo);
  }

  /** The bytes held in memory by the index (0 before its first use). */
  get bytes(): number {
    return this.keys ? this.keys.s.byteLength + this.keys.o.byteLength : 0;
  }

  /** The lines whose subject ('s') or object ('o') text is `value`. */
  find(which: 's' | 'o', value: string): Array<Omit<Line, 'part'>> {
    this.keys ??= this.build();
    const keys = this.keys[which];
    const v = Buffer.from(value);
    const lo = hash(v, 0, v.length) * SPAN;
    const a = PartIndex.lowerBound(keys, lo);
    const out: Array<Omit<Line, 'part'>> = [];
    for (let i = a; i < keys.length && keys[i] < lo + SPAN; i++) {
      const start = keys[i] - lo;
      const line = this.lineAt(start);
      if (line && line[which] === value) out.push(line);
    }
    return out;
  }

  /** The line at `start`, read from the file. */
  private lineAt(start: number): Omit<Line, 'part'> | null {
    for (let size = 512; ; size *= 8) {
      const n = Math.min(size, this.length - start);
      const buf = Buffer.allocUnsafe(n);
      const got = fs.readSync(this.fd, buf, 0, n, this.offset + start);
      const nl = buf.indexOf(10);
      if (nl >= 0 || got < size) {
        const line = parseLine(buf.subarray(0, nl >= 0 ? nl + 1 : got), 0, this.predicate, this.graph);
        return line && { ...line, start, end: start + line.end };
      }
    }
  }
}
