// The change log: an append-only, segmented file of encoded patches, each record framed by length, CRC32 and a commit marker (log-format.ts), fsync'd per append.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { CorruptLogError, StoreError } from './errors.js';
import { peekPatch } from './patch.js';
import { encodeRecord, judge, keepAside, MAX_RECORD, recordsAfter } from './log-format.js';
import { pruneHistory, retireSegment, type Retention } from './history-log.js';

const SEGMENT_RE = /^(\d{12})\.log$/;

/** Where one patch lives in the log. */
export interface LogEntry {
  segment: number;
  /** Where its record starts in the segment. */
  offset: number;
  /** Where its payload starts (after the record's header, whose size depends on the record's version). */
  payloadAt: number;
  length: number;
  author: string;
  seq: number;
}

export interface LogOptions {
  /** Start a new segment once the current one is this big (default 16 MiB). */
  segmentBytes?: number;
  /** Open to read only: nothing is truncated or created, and append() is refused (a `semsync query`). */
  readOnly?: boolean;
  /** Where damaged bytes are copied before the damage is reported (default: `<log folder>/../damaged`). */
  damagedDir?: string;
}

/** An append that never finished at the end of the log (never acknowledged): dropped by a writer, ignored by a reader. */
export interface TornTail {
  file: string;
  offset: number;
  bytes: number;
  reason: string;
  /** Whether it was cut off the file (a writer) or only left unread (a reader). */
  truncated: boolean;
}

export function segmentName(n: number): string {
  return `${String(n).padStart(12, '0')}.log`;
}

/** The segment files of a log folder, oldest first (names only). */
export async function segmentNames(dir: string): Promise<string[]> {
  return (await fsp.readdir(dir).catch(() => [] as string[])).filter((n) => SEGMENT_RE.test(n)).sort();
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
  /** Per segment, the clock milliseconds of its newest record (how long the retained history keeps it). */
  private readonly newest = new Map<number, number>();
  private readonly segmentBytes: number;
  /** Bytes appended since the log was opened or last asked (see takeBytes). */
  private appended = 0;
  tornTail: TornTail | null = null;

  private readonly readOnly: boolean;

  private constructor(readonly dir: string, segments: number[], opts: LogOptions) {
    this.segments = segments;
    this.readOnly = opts.readOnly ?? false;
    this.current = segments.length ? segments[segments.length - 1] : 1;
    this.segmentBytes = opts.segmentBytes ?? 16 << 20;
  }

  /**
   * Open (creating, unless read-only) the log in `dir`, checking every record. `onRecord` sees each record in order.
   * An append that never finished at the end of the last segment is dropped (cut off by a writer, left by a reader;
   * see tornTail). Anything else that is not a whole record (a checksum that fails, damage before the end) is copied
   * into the damaged folder and throws CorruptLogError naming the file and offset: nothing is truncated.
   */
  static async open(dir: string, onRecord: (e: LogEntry, payload: Buffer) => void, opts: LogOptions = {}): Promise<ChangeLog> {
    if (!opts.readOnly) await fsp.mkdir(dir, { recursive: true });
    const names = await segmentNames(dir);
    const log = new ChangeLog(dir, names.map((n) => Number(SEGMENT_RE.exec(n)![1])), opts);
    for (let i = 0; i < log.segments.length; i++) {
      const seg = log.segments[i];
      const file = path.join(dir, segmentName(seg));
      const buf = await fsp.readFile(file);
      const last = i === log.segments.length - 1;
      let off = 0;
      while (off < buf.length) {
        const j = judge(buf, off);
        if (j.kind === 'record') {
          const payload = buf.subarray(j.payloadAt, j.end - (j.version === 2 ? 4 : 0));
          const head = peekPatch(payload.toString('utf8', 0, Math.min(payload.length, 4096)));
          if (!head) throw await log.damaged(file, buf, off, 'a record that is not a patch', opts);
          const e: LogEntry = { segment: seg, offset: off, payloadAt: j.payloadAt, length: j.length, author: head.author, seq: head.seq };
          log.index(e, head.ms);
          onRecord(e, payload);
          off = j.end;
          continue;
        }
        if (j.kind === 'torn' && last) {
          log.tornTail = { file, offset: off, bytes: buf.length - off, reason: j.reason, truncated: !opts.readOnly };
          if (!opts.readOnly) await fsp.truncate(file, off);
          break;
        }
        throw await log.damaged(file, buf, off, j.kind === 'torn' ? `a segment that ends inside a record (${j.reason}) before the last segment` : j.reason, opts);
      }
      if (last) log.size = Math.min(off, buf.length);
    }
    if (opts.readOnly) return log;
    if (!log.segments.length) log.segments.push(log.current);
    log.fh = await fsp.open(path.join(dir, segmentName(log.current)), 'a');
    await fsyncDir(dir);
    return log;
  }

  /** The error for damage at `off` of `file`, once the bytes from there to its end are kept aside. */
  private async damaged(file: string, buf: Buffer, off: number, reason: string, opts: LogOptions): Promise<CorruptLogError> {
    const hidden = recordsAfter(buf, off).length;
    let kept = '';
    let where = '';
    try {
      kept = await keepAside(file, buf, off, opts.damagedDir ?? path.join(path.dirname(this.dir), 'damaged'));
      where = `were copied to ${kept}`;
    } catch (e) {
      where = `could not be copied aside (${(e as Error).message})`;
    }
    return new CorruptLogError(
      `The change log ${file} is damaged at byte ${off}: ${reason}. ` +
        `Acknowledged changes from there on cannot be read${hidden ? ` (${hidden} whole record${hidden === 1 ? '' : 's'} follow the damage)` : ''}. ` +
        `Its ${buf.length - off} bytes from byte ${off} ${where}; nothing was changed. ` +
        `Run \`semsync repair\` to keep what comes before the damage and set the rest aside (it reports what is lost), or restore the store folder from a backup.`,
      file,
      off,
      kept,
    );
  }

  private index(e: LogEntry, ms: number): void {
    this.newest.set(e.segment, Math.max(this.newest.get(e.segment) ?? 0, ms));
    let list = this.byAuthor.get(e.author);
    if (!list) this.byAuthor.set(e.author, (list = []));
    list.push(e);
  }

  /** Append records (one write, one fdatasync). Resolves once they are durable. */
  async append(records: Array<{ payload: Buffer; author: string; seq: number }>): Promise<LogEntry[]> {
    if (!this.fh) throw new StoreError(this.readOnly ? `The change log in ${this.dir} was opened to read only.` : 'The change log is closed.');
    if (this.size >= this.segmentBytes) await this.rotate();
    const frames: Buffer[] = [];
    const entries: LogEntry[] = [];
    let off = this.size;
    for (const r of records) {
      if (r.payload.length > MAX_RECORD) throw new StoreError(`A patch of ${r.payload.length} bytes is too large for the change log.`);
      const frame = encodeRecord(r.payload);
      frames.push(frame);
      entries.push({ segment: this.current, offset: off, payloadAt: off + frame.length - 4 - r.payload.length, length: r.payload.length, author: r.author, seq: r.seq });
      off += frame.length;
    }
    const buf = frames.length === 1 ? frames[0] : Buffer.concat(frames); // one record: no second copy of its bytes
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
    entries.forEach((e, i) => this.index(e, peekPatch(records[i].payload.toString('utf8', 0, Math.min(records[i].payload.length, 4096)))?.ms ?? 0));
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
        const n = fs.readSync(fd, buf, done, e.length - done, e.payloadAt + done);
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
   * newest `keep` covered segments for peers that are a little behind. Never deletes the current segment. With
   * `retain`, a segment whose newest record is younger than the retention moves to the history folder instead
   * (history-log.ts), and the history folder is pruned.
   */
  async compact(covered: Record<string, number>, keep = 2, retain?: Retention): Promise<number> {
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
      await retireSegment(path.join(this.dir, segmentName(seg)), seg, this.newest.get(seg) ?? 0, retain);
      this.segments.splice(this.segments.indexOf(seg), 1);
      this.newest.delete(seg);
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
    if (retain) await pruneHistory(retain);
    return drop.length;
  }

  async close(): Promise<void> {
    const fh = this.fh;
    this.fh = null;
    if (fh) await fh.close();
  }
}
