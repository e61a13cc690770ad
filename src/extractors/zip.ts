// The extractors' one zip reader (EPUB, ODF, OOXML), on yauzl: named members read from the central directory, bounded
// against zip bombs; never the whole archive. Only the recovery walk over a truncated archive's local headers is ours.
import type { FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { inflateRawSync } from 'node:zlib';
import yauzl from 'yauzl';
import { FailureError } from '../base/index.js';
import { memoryBytes } from './bytes.js';

/** An archive that cannot be read, or a member that breaks a bound; the message names the member. */
export class ZipReadError extends FailureError {
  override name = 'ZipReadError';
}

export interface ZipLimits {
  /** A member larger than this (declared, or found while inflating) is refused. */
  maxMemberBytes: number;
  /** How many members are looked at, in the central directory or the local headers, before giving up. */
  maxEntries: number;
  /**
   * Read what can be read of a damaged archive (EPUB): walk the local headers when the central directory is missing
   * (a cut download), and stop at a damaged central directory with a problem instead of failing.
   */
  recover?: boolean;
}

/** Past {@link RATIO_FLOOR} bytes, a member may not inflate to more than this many times its compressed size. */
export const MAX_RATIO = 100;
export const RATIO_FLOOR = 1024 * 1024;
/** Hostile member names reported one by one, up to this many. */
const MAX_NAME_PROBLEMS = 5;

export interface ZipMember {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  encrypted: boolean;
  /** Where the data starts, when known (local walk); else found from the local header at `headerOffset`. */
  dataOffset?: number;
  headerOffset: number;
  /** The yauzl entry, to find the data start through its local header. */
  entry?: yauzl.Entry;
}

const READ_AHEAD = 64 * 1024;
/** Reads up to this size are kept for the reads that follow (yauzl's first read is the last 64 KiB + 42 bytes). */
const MAX_CACHED = 128 * 1024;

/** yauzl reads through our file handle (or a memory handle), with two read-ahead blocks (central directory, data). */
class HandleReader extends yauzl.RandomAccessReader {
  private blocks: Array<{ pos: number; buf: Buffer }> = [];

  constructor(private readonly fh: FileHandle, private readonly size: number) {
    super();
    const bytes = memoryBytes(fh);
    // A file already in memory is one block: every read is a slice.
    if (bytes) this.blocks = [{ pos: 0, buf: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length) }];
  }

  private cached(pos: number, len: number): Buffer | undefined {
    const b = this.blocks.find((x) => pos >= x.pos && pos + len <= x.pos + x.buf.length);
    return b?.buf.subarray(pos - b.pos, pos - b.pos + len);
  }

  /** `len` bytes at `pos` (fewer at the end of the file). Small reads go through a block of {@link READ_AHEAD}. */
  async readAt(pos: number, len: number): Promise<Buffer> {
    const hit = this.cached(pos, len);
    if (hit) return hit;
    const want = Math.max(0, Math.min(Math.max(len, READ_AHEAD), this.size - pos));
    const buf = Buffer.allocUnsafe(len <= MAX_CACHED ? want : len);
    const { bytesRead } = await this.fh.read(buf, 0, buf.length, pos);
    const got = buf.subarray(0, bytesRead);
    if (len <= MAX_CACHED) this.blocks = [{ pos, buf: got }, ...this.blocks.slice(0, 1)];
    return got.subarray(0, len);
  }

  override read(buffer: Buffer, offset: number, length: number, position: number, callback: (err: Error | null) => void): void {
    const done = callback as (err: Error | null, bytesRead?: number) => void;
    const hit = this.cached(position, length);
    if (hit) done(null, hit.copy(buffer, offset)); // most central directory reads: no promise, no copy of a block
    else this.readAt(position, length).then((b) => done(null, b.copy(buffer, offset)), (e: Error) => done(e));
  }

  override _readStreamForRange(start: number, end: number): Readable {
    return Readable.from((async function* (reader: HandleReader) {
      for (let p = start; p < end; p += READ_AHEAD) yield Buffer.from(await reader.readAt(p, Math.min(READ_AHEAD, end - p)));
    })(this));
  }

  override close(callback: (err: Error | null) => void): void {
    callback(null); // the handle is the caller's to close
  }
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * An archive opened over a file handle. Members are found by walking the central directory lazily, as far as needed
 * (at most `maxEntries`). Names are read as UTF-8 (what EPUB, ODF and OOXML require, flag or not); a member named
 * with an absolute path, `..` or a backslash is skipped and reported in {@link problems}.
 */
export class ZipArchive {
  /** True when the members come from walking local headers because the central directory is missing. */
  partial = false;
  /** Problems that did not stop the reading (hostile names, a damaged central directory), one line each. */
  readonly problems: string[] = [];
  private readonly seen = new Map<string, ZipMember>();
  private walk?: AsyncIterator<yauzl.Entry>;
  private count = 0;
  private skipped = 0;

  private constructor(
    private readonly reader: HandleReader,
    private readonly limits: ZipLimits,
    private readonly zip?: yauzl.ZipFile,
  ) {
    this.walk = zip?.eachEntry();
  }

  /** Opens the archive by its central directory; a truncated one is walked by its local headers if `recover`. */
  static async open(fh: FileHandle, size: number, limits: ZipLimits): Promise<ZipArchive> {
    const reader = new HandleReader(fh, size);
    let failure: unknown;
    try {
      const zip = await yauzl.fromRandomAccessReaderPromise(reader, size, { autoClose: false, decodeStrings: false, validateEntrySizes: false });
      const archive = new ZipArchive(reader, limits, zip);
      // A central directory that yields not even its first member is as good as missing (when recovering).
      const first = await archive.next();
      if (first) archive.seen.set(first.name, first);
      if (first || !limits.recover) return archive;
      zip.close();
    } catch (e) {
      if (e instanceof ZipReadError && !limits.recover) throw e;
      failure = e;
    }
    if (!limits.recover) throw new ZipReadError(`not a readable zip: ${message(failure)}`);
    const archive = new ZipArchive(reader, limits);
    archive.partial = true;
    for (const m of await walkLocalHeaders(reader, size, limits.maxEntries)) if (!archive.seen.has(m.name)) archive.seen.set(m.name, m);
    return archive;
  }

  /** The next member of the central directory (hostile names skipped), or undefined at its end. */
  private async next(): Promise<ZipMember | undefined> {
    while (this.walk) {
      let step: IteratorResult<yauzl.Entry>;
      try {
        step = await this.walk.next();
      } catch (e) {
        this.walk = undefined;
        if (!this.limits.recover) throw new ZipReadError(`damaged zip: ${message(e)}`);
        this.problems.push(`damaged central directory after ${this.count} members: ${message(e)}`);
        return undefined;
      }
      if (step.done) {
        this.walk = undefined;
        return undefined;
      }
      if (++this.count > this.limits.maxEntries) {
        this.walk = undefined;
        throw new ZipReadError(`more than ${this.limits.maxEntries} members: stopped looking`);
      }
      const member = this.named(step.value);
      if (member) return member;
    }
    return undefined;
  }

  /** The entry as a member, or undefined (and a problem) when its name is absolute, climbs with `..` or holds `\`. */
  private named(e: yauzl.Entry): ZipMember | undefined {
    const name = (e.fileName as unknown as Buffer).toString('utf8');
    const bad = yauzl.validateFileName(name);
    if (bad !== null) {
      if (++this.skipped <= MAX_NAME_PROBLEMS) this.problems.push(`skipped the member named ${JSON.stringify(name)}: ${bad}`);
      return undefined;
    }
    return {
      name, method: e.compressionMethod, compressedSize: e.compressedSize, size: e.uncompressedSize,
      encrypted: (e.generalPurposeBitFlag & 1) !== 0, headerOffset: e.relativeOffsetOfLocalHeader, entry: e,
    };
  }

  /** The first member for which `pred` holds (looked at in archive order), walking on only as far as needed. */
  async find(pred: (name: string) => boolean): Promise<ZipMember | undefined> {
    for (const m of this.seen.values()) if (pred(m.name)) return m;
    for (let m = await this.next(); m; m = await this.next()) {
      if (this.seen.has(m.name)) continue;
      this.seen.set(m.name, m);
      if (pred(m.name)) return m;
    }
    return undefined;
  }

  /** The member called `name` (exactly), or undefined. */
  async member(name: string): Promise<ZipMember | undefined> {
    return this.seen.get(name) ?? this.find((n) => n === name);
  }

  /** The member's bytes, or undefined when it is absent; a damaged or oversized member throws {@link ZipReadError}. */
  async read(name: string): Promise<Buffer | undefined> {
    const m = await this.member(name);
    return m && this.readMember(m);
  }

  private async readMember(m: ZipMember): Promise<Buffer> {
    const max = this.limits.maxMemberBytes;
    if (m.size > max) throw new ZipReadError(`${m.name} is ${m.size} bytes (more than ${max}): refused as too large`);
    if (m.compressedSize > max) throw new ZipReadError(`${m.name} is ${m.compressedSize} bytes compressed (more than ${max}): refused as too large`);
    if (m.size > RATIO_FLOOR && m.size > MAX_RATIO * m.compressedSize) {
      throw new ZipReadError(`${m.name} would inflate ${m.compressedSize} bytes to ${m.size} (more than ${MAX_RATIO}×): refused (a zip bomb?)`);
    }
    if (m.encrypted) throw new ZipReadError(`${m.name} is encrypted`);
    if (m.method !== 0 && m.method !== 8) throw new ZipReadError(`${m.name}: unsupported compression method ${m.method}`);
    const start = m.dataOffset ?? (await this.dataStart(m));
    const data = await this.reader.readAt(start, m.compressedSize);
    if (data.length < m.compressedSize) throw new ZipReadError(`${m.name} is truncated`);
    if (m.method === 0) return Buffer.from(data);
    const cap = Math.min(max, Math.max(RATIO_FLOOR, MAX_RATIO * m.compressedSize));
    let out: Buffer;
    try {
      out = inflateRawSync(data, { maxOutputLength: cap });
    } catch (e) {
      if ((e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw new ZipReadError(`${m.name} inflates past ${cap} bytes: refused (a zip bomb?)`);
      throw new ZipReadError(`${m.name} cannot be inflated: ${message(e)}`);
    }
    if (out.length !== m.size) throw new ZipReadError(`${m.name} inflates to ${out.length} bytes, not the ${m.size} its header declares`);
    return out;
  }

  private async dataStart(m: ZipMember): Promise<number> {
    try {
      return (await this.zip!.readLocalFileHeaderPromise(m.entry!, { minimal: true })).fileDataStart;
    } catch (e) {
      throw new ZipReadError(`${m.name}: bad local header: ${message(e)}`);
    }
  }

  /** Lets yauzl go (the file handle stays open: it is the caller's). */
  close(): void {
    this.zip?.close();
  }
}

/** Members found by walking local headers from the start (for an archive cut before its central directory). */
async function walkLocalHeaders(reader: HandleReader, size: number, maxEntries: number): Promise<ZipMember[]> {
  const out: ZipMember[] = [];
  let pos = 0;
  for (let n = 0; n < maxEntries && pos + 30 <= size; n++) {
    const h = await reader.readAt(pos, 30);
    if (h.length < 30 || h.readUInt32LE(0) !== 0x04034b50) break;
    const flags = h.readUInt16LE(6);
    const nameLen = h.readUInt16LE(26);
    const extraLen = h.readUInt16LE(28);
    const name = (await reader.readAt(pos + 30, nameLen)).toString('utf8');
    const compressedSize = h.readUInt32LE(18);
    const dataOffset = pos + 30 + nameLen + extraLen;
    if (flags & 8 && compressedSize === 0) break; // sizes only in a trailing descriptor: cannot walk further
    if (yauzl.validateFileName(name) === null) {
      out.push({ name, method: h.readUInt16LE(8), compressedSize, size: h.readUInt32LE(22), encrypted: (flags & 1) !== 0, headerOffset: pos, dataOffset });
    }
    pos = dataOffset + compressedSize;
  }
  return out;
}
