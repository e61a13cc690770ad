// The change log: an append-only, segmented file of encoded patches, each record framed by length and CRC32, fsync'd per append.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import zlib from 'node:zlib';
import { CorruptLogError, StoreError } from './errors.js';
import { peekPatch } from './patch.js';

const MAGIC = Buffer.from('SSPL', 'latin1');
const HEADER = 12; // magic, u32 length, u32 crc32 of the payload
const MAX_RECORD = 256 << 20;
const SEGMENT_RE = /^(\d{12})\.log$/;

/** Where one patch lives in the log. */
export interface LogEntry {
  segment: number;
  offset: number;
  length: number;
  author: string;
  seq: number;
}

export interface LogOptions {
  /** Start a new segment once the current one is this big (default 16 MiB). */
  segmentBytes?: number;
}

/** What recovery did about a damaged last record. */
export interface TornTail {
  file: string;
  offset: number;
  bytes: number;
}

function segmentName(n: number): string {
  return `${String(n).padStart(12, '0')}.log`;
}

function frameAt(buf: Buffer, off: number): { length: number } | null {
  if (buf.length - off < HEADER) return null;
  if (buf.compare(MAGIC, 0, 4, off, off + 4) !== 0) return null;
  const length = buf.readUInt32BE(off + 4);
  if (length > MAX_RECORD || off + HEADER + length > buf.length) return null;
  if (zlib.crc32(buf.subarray(off + HEADER, off + HEADER + length)) !== buf.readUInt32BE(off + 8)) return null;
  return { length };
}

/** True if any valid frame starts after `from`: then damage at `from` is in the middle, not at the end. */
function validFrameAfter(buf: Buffer, from: number): boolean {
  for (let p = buf.indexOf(MAGIC, from + 1); p >= 0; p = buf.indexOf(MAGIC, p + 1)) if (frameAt(buf, p)) return true;
  return false;
}

export async function fsyncDir(dir: string): Promise<void> {
  const fh = await fsp.open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export class ChangeLog {
  private fh: fsp.FileHandle | null = null;
  private size = 0;
  private current: number;
  private readonly byAuthor = new Map<string, LogEntry[]>();
  private readonly segments: number[];
  private readonly segmentBytes: number;
  /** Bytes appended since the log was opened or last asked (see takeBytes). */
  private appended = 0;
  tornTail: TornTail | null = null;

  private constructor(readonly dir: string, segments: number[], opts: LogOptions) {
    this.segments = segments;
    this.current = segments.length ? segments[segments.length - 1] : 1;
    this.segmentBytes = opts.segmentBytes ?? 16 << 20;
  }

  /**
   * Open (creating) the log in `dir`, checking every record. `onRecord` sees each record in order.
   * A torn or corrupt last record is cut off (see tornTail); damage anywhere else throws CorruptLogError.
   */
  static async open(dir: string, onRecord: (e: LogEntry, payload: Buffer) => void, opts: LogOptions = {}): Promise<ChangeLog> {
    await fsp.mkdir(dir, { recursive: true });
    const names = (await fsp.readdir(dir)).filter((n) => SEGMENT_RE.test(n)).sort();
    const log = new ChangeLog(dir, names.map((n) => Number(SEGMENT_RE.exec(n)![1])), opts);
    for (let i = 0; i < log.segments.length; i++) {
      const seg = log.segments[i];
      const file = path.join(dir, segmentName(seg));
      const buf = await fsp.readFile(file);
      const last = i === log.segments.length - 1;
      let off = 0;
      while (off < buf.length) {
        const f = frameAt(buf, off);
        if (!f) {
          const zeros = buf.subarray(off).every((b) => b === 0);
          if (last && (zeros || !validFrameAfter(buf, off))) {
            log.tornTail = { file, offset: off, bytes: buf.length - off };
            await fsp.truncate(file, off);
            break;
          }
          throw new CorruptLogError(
            `The change log ${file} is damaged at byte ${off}, before its end: changes after that point cannot be trusted. ` +
              `Keep a copy of the store folder, then restore it from a backup or a peer (move the damaged log segments aside to start from the last snapshot).`,
            file,
            off,
          );
        }
        const payload = buf.subarray(off + HEADER, off + HEADER + f.length);
        const head = peekPatch(payload.toString('utf8', 0, Math.min(payload.length, 4096)));
        if (!head) throw new CorruptLogError(`The change log ${file} holds a record at byte ${off} that is not a patch.`, file, off);
        const e: LogEntry = { segment: seg, offset: off, length: f.length, author: head.author, seq: head.seq };
        log.index(e);
        onRecord(e, payload);
        off += HEADER + f.length;
      }
      if (last) log.size = Math.min(off, buf.length);
    }
    if (!log.segments.length) log.segments.push(log.current);
    log.fh = await fsp.open(path.join(dir, segmentName(log.current)), 'a');
    await fsyncDir(dir);
    return log;
  }

  private index(e: LogEntry): void {
    let list = this.byAuthor.get(e.author);
    if (!list) this.byAuthor.set(e.author, (list = []));
    list.push(e);
  }

  /** Append records (one write, one fdatasync). Resolves once they are durable. */
  async append(records: Array<{ payload: Buffer; author: string; seq: number }>): Promise<LogEntry[]> {
    if (!this.fh) throw new StoreError('The change log is closed.');
    if (this.size >= this.segmentBytes) await this.rotate();
    const frames: Buffer[] = [];
    const entries: LogEntry[] = [];
    let off = this.size;
    for (const r of records) {
      if (r.payload.length > MAX_RECORD) throw new StoreError(`A patch of ${r.payload.length} bytes is too large for the change log.`);
      const h = Buffer.alloc(HEADER);
      MAGIC.copy(h, 0);
      h.writeUInt32BE(r.payload.length, 4);
      h.writeUInt32BE(zlib.crc32(r.payload), 8);
      frames.push(h, r.payload);
      entries.push({ segment: this.current, offset: off, length: r.payload.length, author: r.author, seq: r.seq });
      off += HEADER + r.payload.length;
    }
    const buf = Buffer.concat(frames);
    try {
      let done = 0;
      while (done < buf.length) done += (await this.fh.write(buf, done, buf.length - done, null)).bytesWritten;
      await this.fh.datasync();
    } catch (err) {
      // leave no half record behind: cut back to what was durable before
      await this.fh.truncate(this.size).catch(() => undefined);
      throw new StoreError(`Could not write the change log in ${this.dir}: ${(err as Error).message}`);
    }
    this.size = off;
    this.appended += buf.length;
    for (const e of entries) this.index(e);
    return entries;
  }

  private async rotate(): Promise<void> {
    await this.fh!.close();
    this.current += 1;
    this.segments.push(this.current);
    this.fh = await fsp.open(path.join(this.dir, segmentName(this.current)), 'a');
    this.size = 0;
    await fsyncDir(this.dir);
  }

  /** The payload of one entry (synchronous read). */
  read(e: LogEntry): Buffer {
    const fd = fs.openSync(path.join(this.dir, segmentName(e.segment)), 'r');
    try {
      const buf = Buffer.alloc(e.length);
      let done = 0;
      while (done < e.length) {
        const n = fs.readSync(fd, buf, done, e.length - done, e.offset + HEADER + done);
        if (n === 0) throw new StoreError(`The change log segment ${e.segment} is shorter than its index says.`);
        done += n;
      }
      return buf;
    } finally {
      fs.closeSync(fd);
    }
  }

  /** The entries of one author still in the log, in seq order. */
  entries(author: string): readonly LogEntry[] {
    return this.byAuthor.get(author) ?? [];
  }

  authors(): string[] {
    return [...this.byAuthor.keys()];
  }

  /** Bytes appended since the last call. */
  takeBytes(): number {
    const n = this.appended;
    this.appended = 0;
    return n;
  }

  /**
   * Delete old segments whose every patch is covered (seq <= covered[author]), oldest first, keeping the
   * newest `keep` covered segments for peers that are a little behind. Never deletes the current segment.
   */
  async compact(covered: Record<string, number>, keep = 2): Promise<number> {
    const closed = this.segments.filter((s) => s !== this.current);
    const isCovered = (seg: number): boolean => {
      for (const list of this.byAuthor.values())
        for (const e of list) if (e.segment === seg && e.seq > (covered[e.author] ?? 0)) return false;
      return true;
    };
    let n = 0;
    while (n < closed.length && isCovered(closed[n])) n++;
    const drop = closed.slice(0, Math.max(0, n - keep));
    for (const seg of drop) {
      await fsp.rm(path.join(this.dir, segmentName(seg)), { force: true });
      this.segments.splice(this.segments.indexOf(seg), 1);
    }
    if (drop.length) {
      const gone = new Set(drop);
      for (const [a, list] of this.byAuthor) {
        const rest = list.filter((e) => !gone.has(e.segment));
        if (rest.length) this.byAuthor.set(a, rest);
        else this.byAuthor.delete(a);
      }
      await fsyncDir(this.dir);
    }
    return drop.length;
  }

  async close(): Promise<void> {
    const fh = this.fh;
    this.fh = null;
    if (fh) await fh.close();
  }
}
