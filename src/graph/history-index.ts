// The index of one retained history segment, `<segment>.idx` beside it: where its records are (author, seq, offset,
// length), each author's first seq in it, and the subjects its records change, as 32-bit hashes of each subject and of
// every prefix of it that ends before a `/` (so a record IRI finds its parts: `…/contact/u5` finds `…/contact/u5/tel/1`).
// With it, the history of one record reads only the records that change it, not every retained byte. Written when a
// segment is retained (and for a kept segment that has none: a home from before the index); a segment without one, or
// with one that does not fit it (another size, bad bytes), is read in full as before.
//
// Layout: "SSHX1\n", u32 LE length of the header, the header (JSON: v, bytes of the segment, first seq per author,
// records, pairs), `pairs` × (u32 LE hash, u32 LE record number) sorted, then the records as JSON [[author, seq,
// payloadAt, length], …].
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import { judge } from './log-format.js';
import { peekPatch } from './patch.js';
import { readTerm } from './terms.js';

const MAGIC = Buffer.from('SSHX1\n', 'latin1');
const MAX_INDEX = 256 << 20;

/** Where one record of a segment is. */
export interface RecordHead {
  author: string;
  seq: number;
  payloadAt: number;
  length: number;
}

/** A segment's index as read: what `lookup` needs, the records table parsed only when a lookup hits. */
export interface SegmentIndex {
  /** Each author's first seq in the segment, in the order they first appear. */
  first: Array<[string, number]>;
  /** The record numbers whose subjects may be equal to or below one of these IRIs. */
  lookup(iris: string[]): number[];
  records(): RecordHead[];
}

/** FNV-1a over the UTF-16 code units: a key's 32-bit hash. */
export function keyHash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The keys a subject IRI is found by: itself and each prefix of it that ends before a `/`. */
export function subjectKeys(iri: string, into: Set<number>): void {
  into.add(keyHash(iri));
  for (let i = iri.indexOf('/'); i > 0; i = iri.indexOf('/', i + 1)) into.add(keyHash(iri.slice(0, i)));
}

/** The subject IRIs of a patch's A/D rows (blank nodes have none), read without decoding the rest of the row. */
function rowSubjects(text: string, each: (iri: string) => void): void {
  for (let pos = 0; pos < text.length; ) {
    let nl = text.indexOf('\n', pos);
    if (nl < 0) nl = text.length;
    const op = text.charCodeAt(pos);
    if ((op === 65 || op === 68) && text.charCodeAt(pos + 1) === 32 && text.charCodeAt(pos + 2) === 60) {
      const end = text.indexOf('>', pos + 3);
      if (end > 0 && end < nl) {
        const raw = text.slice(pos + 3, end);
        if (!raw.includes('\\')) each(raw);
        else {
          try {
            each(readTerm({ s: text.slice(pos + 2, nl), i: 0, maxTerm: 1 << 20 }).value);
          } catch {
            // a row the decoder refuses: its patch is not read either
          }
        }
      }
    }
    pos = nl + 1;
  }
}

/** The index of a segment's bytes (its whole records; a damaged tail is left out, as history reads it). */
export function buildIndex(buf: Buffer): Buffer {
  const records: Array<[string, number, number, number]> = [];
  const first = new Map<string, number>();
  const pairs: number[] = [];
  for (let off = 0; off < buf.length; ) {
    const j = judge(buf, off);
    if (j.kind !== 'record') break;
    off = j.end;
    const text = buf.toString('utf8', j.payloadAt, j.payloadAt + j.length);
    const head = peekPatch(text.slice(0, 4096));
    if (!head) continue;
    const n = records.length;
    records.push([head.author, head.seq, j.payloadAt, j.length]);
    if (!first.has(head.author)) first.set(head.author, head.seq);
    const keys = new Set<number>();
    rowSubjects(text, (iri) => subjectKeys(iri, keys));
    for (const k of keys) pairs.push(k, n);
  }
  const order = Array.from({ length: pairs.length / 2 }, (_, i) => i).sort((a, b) => pairs[2 * a] - pairs[2 * b] || pairs[2 * a + 1] - pairs[2 * b + 1]);
  const table = Buffer.alloc(order.length * 8);
  order.forEach((p, i) => {
    table.writeUInt32LE(pairs[2 * p], 8 * i);
    table.writeUInt32LE(pairs[2 * p + 1], 8 * i + 4);
  });
  const header = Buffer.from(JSON.stringify({ v: 1, bytes: buf.length, first: [...first], records: records.length, pairs: order.length }));
  const size = Buffer.alloc(4);
  size.writeUInt32LE(header.length);
  return Buffer.concat([MAGIC, size, header, table, Buffer.from(JSON.stringify(records))]);
}

/** Write the index of the segment `file` as `<file>.idx` (durably, then renamed into place). */
export async function writeIndex(file: string, buf?: Buffer): Promise<void> {
  const data = buildIndex(buf ?? (await fsp.readFile(file)));
  const tmp = `${file}.idx.tmp`;
  const fh = await fsp.open(tmp, 'w');
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await fsp.rename(tmp, `${file}.idx`);
}

interface Header {
  v: number;
  bytes: number;
  first: Array<[string, number]>;
  records: number;
  pairs: number;
}

function validHeader(h: Header, segmentBytes: number): boolean {
  return h?.v === 1 && h.bytes === segmentBytes && Array.isArray(h.first) && Number.isSafeInteger(h.records) && Number.isSafeInteger(h.pairs);
}

/** The index of the segment `file` (of `segmentBytes` bytes), or null when it has none that fits it. */
export function readIndex(file: string, segmentBytes: number): SegmentIndex | null {
  let buf: Buffer;
  try {
    const st = fs.statSync(`${file}.idx`);
    if (st.size > MAX_INDEX) return null;
    buf = fs.readFileSync(`${file}.idx`);
  } catch {
    return null;
  }
  if (buf.length < MAGIC.length + 4 || !buf.subarray(0, MAGIC.length).equals(MAGIC)) return null;
  const hlen = buf.readUInt32LE(MAGIC.length);
  const tableAt = MAGIC.length + 4 + hlen;
  let h: Header;
  try {
    h = JSON.parse(buf.toString('utf8', MAGIC.length + 4, tableAt)) as Header;
  } catch {
    return null;
  }
  if (!validHeader(h, segmentBytes) || tableAt + h.pairs * 8 > buf.length) return null;
  const recordsAt = tableAt + h.pairs * 8;
  let records: RecordHead[] | undefined;
  const hashAt = (i: number) => buf.readUInt32LE(tableAt + 8 * i);
  return {
    first: h.first,
    lookup(iris) {
      const out = new Set<number>();
      for (const iri of iris) {
        const k = keyHash(iri);
        let lo = 0;
        let hi = h.pairs;
        while (lo < hi) {
          const mid = (lo + hi) >>> 1;
          if (hashAt(mid) < k) lo = mid + 1;
          else hi = mid;
        }
        for (let i = lo; i < h.pairs && hashAt(i) === k; i++) out.add(buf.readUInt32LE(tableAt + 8 * i + 4));
      }
      return [...out].filter((n) => n < h.records).sort((a, b) => a - b);
    },
    records() {
      records ??= (JSON.parse(buf.toString('utf8', recordsAt)) as Array<[string, number, number, number]>).map(([author, seq, payloadAt, length]) => ({ author, seq, payloadAt, length }));
      return records;
    },
  };
}
