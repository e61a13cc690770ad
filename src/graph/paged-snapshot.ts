// The snapshot a paged graph stands on (paged.ts): its file held open, its parts grouped by predicate, each part
// checked against its checksum before its first use, read whole, in slices, or found line by line through its index;
// and the snapshot's parts with the changes since merged in (an export, the next snapshot).
import fs from 'node:fs';
import zlib from 'node:zlib';
import oxigraph from 'oxigraph';
import type { PartText } from './narrow.js';
import { PartIndex, forEachLine } from './part-index.js';
import type { Changes } from './changes.js';
import { freeStore as free } from './wasm-memory.js';
import { checkPart, crcOfRange, dumpGraphs, readPart, type Part, type PartData } from './snapshot.js';

export const NQUADS = { format: 'application/n-quads', lenient: true, no_transaction: true } as const;

export class PagedSnapshot {
  /** Per predicate (N-Triples text; '' for lines of another shape), its parts. */
  readonly byPredicate = new Map<string, Part[]>();
  /** Per predicate, its statements in the snapshot. */
  readonly count = new Map<string, number>();
  /** Parts read, kept while replaying the log (many patches look up the same parts); null otherwise. */
  private cache: Map<Part, Buffer> | null = null;
  /** The snapshot, open while it is the base. */
  private fd: number;
  private readonly indexes = new Map<Part, PartIndex>();
  /** Parts whose bytes matched their checksum (each is checked before its first use: nothing damaged is served). */
  private readonly verified = new Set<Part>();

  constructor(
    readonly file: string,
    readonly parts: Part[],
    /** Statements in the snapshot. */
    readonly quads: number,
  ) {
    for (const part of parts) {
      const list = this.byPredicate.get(part[0]);
      if (list) list.push(part);
      else this.byPredicate.set(part[0], [part]);
      this.count.set(part[0], (this.count.get(part[0]) ?? 0) + part[3]);
    }
    this.fd = fs.openSync(file, 'r');
  }

  /** Release the file. */
  close(): void {
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = -1;
  }

  /** Run `fn` with the parts kept in memory once read (the log's replay). */
  withPartsCached<T>(fn: () => T): T {
    this.cache = new Map();
    try {
      return fn();
    } finally {
      this.cache = null;
    }
  }

  /** Throws CorruptSnapshotError, naming the file and the part, unless every one of `parts` matches its checksum. */
  check(parts: Iterable<Part>): void {
    for (const part of parts) {
      if (this.verified.has(part)) continue;
      checkPart(this.file, part, crcOfRange(this.fd, part[1], part[2]));
      this.verified.add(part);
    }
  }

  /** Parts, each read only when a search needs all its lines, and indexed for finding a few. */
  read(parts: Part[]): PartText[] {
    this.check(parts);
    return parts.map((part) => {
      const bytes = () => {
        let buf = this.cache?.get(part);
        if (!buf) {
          buf = readPart(this.fd, part[1], part[2]);
          this.cache?.set(part, buf);
        }
        return buf;
      };
      let index = this.indexes.get(part);
      if (!index) {
        index = new PartIndex(this.fd, part[1], part[2], part[0], part[4]);
        this.indexes.set(part, index);
      }
      const found = index;
      return { predicate: part[0], graph: part[4], buf: bytes, find: (which: 's' | 'o', value: string) => found.find(which, value), count: (which: 's' | 'o', value: string) => found.count(which, value) };
    });
  }

  /** Each line of a part, checked first: `fn(buf, start)` (part-index.ts forEachLine). */
  eachLine(part: Part, fn: (buf: Buffer, start: number) => void): void {
    forEachLine(this.fd, part[1], part[2], fn);
  }

  /** The parts' text in slices of 1 MiB, read as loaded (a buffer of a whole part would stay in the process's memory after). */
  *chunks(parts: Part[]): Generator<Buffer> {
    this.check(parts); // before anything is yielded: a store is never loaded with part of a damaged part
    const buf = Buffer.allocUnsafe(1 << 20);
    for (const [, offset, length] of parts) {
      for (let at = 0; at < length; ) {
        const n = fs.readSync(this.fd, buf, 0, Math.min(buf.length, length - at), offset + at);
        if (n === 0) throw new Error('a snapshot part ends early');
        at += n;
        yield buf.subarray(0, n);
      }
    }
  }

  /** The parts (only `graph`'s when given) with `changes` merged, and the parts only changes hold. */
  *merged(changes: Changes, only?: string): Generator<PartData> {
    const added = changes.addedLines(only); // graph → predicate → lines
    const deleted = changes.deletedParts();
    const fd = fs.openSync(this.file, 'r');
    try {
      for (const part of this.parts) {
        const [predicate, offset, length, , graph] = part;
        if (only !== undefined && graph !== only) continue;
        let data: Buffer | string = readPart(fd, offset, length);
        checkPart(this.file, part, zlib.crc32(data)); // an export or the next snapshot never carries a damaged part
        if (predicate !== '' && deleted.has(`${graph} ${predicate}`)) {
          const tmp = new oxigraph.Store();
          tmp.load(data, NQUADS);
          changes.removeDeleted(tmp, predicate, graph);
          data = [...dumpGraphs(tmp)].map((x) => x.text).join('');
          free(tmp);
        }
        const more = added.get(graph)?.get(predicate);
        if (more) {
          added.get(graph)!.delete(predicate);
          data = Buffer.concat([typeof data === 'string' ? Buffer.from(data) : data, Buffer.from(more.join(''))]);
        }
        yield { graph, predicate, data };
      }
    } finally {
      fs.closeSync(fd);
    }
    for (const [graph, byPred] of added) for (const [predicate, lines] of byPred) yield { graph, predicate, data: lines.join('') };
  }
}
