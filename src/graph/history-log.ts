// The retained history: log segments a snapshot covers, kept in `<store>/history/` for a while (OpenOptions.historyDays)
// so that `semsync history` and `undo` still read them after compaction. Only history reads them: peers are served
// from the live log alone (patchesSince), and a restart replays the snapshot and the live log, never these.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { readIndex, writeIndex } from './history-index.js';
import { judge } from './log-format.js';
import { decodePatch, peekPatch } from './patch.js';
import type { Patch, VersionVector } from './types.js';

/** A retained segment's name: its number in the log and the clock milliseconds of its newest record. */
const RETAINED_RE = /^(\d{12})-(\d{1,16})\.log$/;
const TRUSTED = { maxBytes: 1 << 30, maxRows: 1 << 30, maxTermLength: 1 << 30 };
const DAY = 86_400_000;

/** How long and how much history is kept (OpenOptions.historyDays, historyBytes, now). */
export interface Retention {
  dir: string;
  days: number;
  maxBytes: number;
  now: () => number;
}

export function retentionOf(storeDir: string, opts: { historyDays?: number; historyBytes?: number; now?: () => number }): Retention {
  const days = opts.historyDays ?? 90;
  return { dir: path.join(storeDir, 'history'), days: Number.isFinite(days) && days > 0 ? days : 0, maxBytes: opts.historyBytes ?? 1 << 30, now: opts.now ?? Date.now };
}

/**
 * A covered segment leaves the live log: moved into the history folder when its newest record is younger than the
 * retention, else removed. Then the history folder is pruned: older than the retention, then oldest first past maxBytes.
 */
export async function retireSegment(file: string, seg: number, newestMs: number, r: Retention | undefined): Promise<void> {
  if (!r || !r.days || newestMs < r.now() - r.days * DAY) return fsp.rm(file, { force: true });
  await fsp.mkdir(r.dir, { recursive: true });
  const kept = path.join(r.dir, `${String(seg).padStart(12, '0')}-${Math.max(0, Math.floor(newestMs))}.log`);
  await fsp.rename(file, kept);
  await indexBestEffort(kept);
}

/** A segment's index (history-index.ts) only speeds history up: one that cannot be written (a full disk) is left out. */
async function indexBestEffort(file: string): Promise<void> {
  await writeIndex(file).catch(() => fsp.rm(`${file}.idx.tmp`, { force: true }).catch(() => undefined));
}

interface Retained {
  name: string;
  seg: number;
  ms: number;
}

async function retained(dir: string): Promise<Retained[]> {
  const names = (await fsp.readdir(dir).catch(() => [] as string[])).filter((n) => RETAINED_RE.test(n)).sort();
  return names.map((name) => {
    const m = RETAINED_RE.exec(name)!;
    return { name, seg: Number(m[1]), ms: Number(m[2]) };
  });
}

/**
 * Remove retained segments (and their indexes) older than the retention, then the oldest ones while the folder is over
 * maxBytes; index a kept segment that has no index (a home from before the index). Returns how many segments went.
 */
export async function pruneHistory(r: Retention): Promise<number> {
  const all = await retained(r.dir);
  const cutoff = r.now() - r.days * DAY;
  let gone = 0;
  const rest: Array<Retained & { size: number; bytes: number }> = [];
  const sizeOf = async (f: string) => (await fsp.stat(f).catch(() => null))?.size ?? 0;
  const drop = async (f: string) => {
    await fsp.rm(f, { force: true });
    await fsp.rm(`${f}.idx`, { force: true });
  };
  for (const x of all) {
    const file = path.join(r.dir, x.name);
    if (!r.days || x.ms < cutoff) {
      await drop(file);
      gone++;
    } else {
      const bytes = await sizeOf(file);
      rest.push({ ...x, bytes, size: bytes + (await sizeOf(`${file}.idx`)) });
    }
  }
  let total = rest.reduce((n, x) => n + x.size, 0);
  while (rest.length && total > r.maxBytes) {
    const x = rest.shift()!;
    await drop(path.join(r.dir, x.name));
    total -= x.size;
    gone++;
  }
  await tidyIndexes(r.dir, new Map(rest.map((x) => [x.name, x.bytes])));
  return gone;
}

/** Most bytes of segments one compaction indexes after the fact, so a home from before the index is caught up over a few. */
const CATCH_UP_BYTES = 128 << 20;

/**
 * Indexes whose segment is gone are removed; a kept segment without an index that fits it (`kept`: name → bytes)
 * gets one, newest first, up to CATCH_UP_BYTES of segments per call (the next compaction goes on).
 */
async function tidyIndexes(dir: string, kept: Map<string, number>): Promise<void> {
  for (const n of await fsp.readdir(dir).catch(() => [] as string[])) {
    if ((n.endsWith('.idx') || n.endsWith('.idx.tmp')) && !kept.has(n.replace(/\.idx(\.tmp)?$/, ''))) await fsp.rm(path.join(dir, n), { force: true });
  }
  let budget = CATCH_UP_BYTES;
  for (const [seg, bytes] of [...kept].reverse()) {
    if (budget <= 0) break;
    if (readIndex(path.join(dir, seg), bytes)) continue;
    await indexBestEffort(path.join(dir, seg));
    budget -= bytes;
  }
}

/** A record found for history: whose, which seq, its text. */
interface Found {
  author: string;
  seq: number;
  text: string;
}

/** Where one patch of the live log is (ChangeLog's LogEntry). */
export interface LiveEntry {
  segment: number;
  payloadAt: number;
  length: number;
  author: string;
  seq: number;
}

/** What history reads besides the retained folder: the live log's entries and the file of each of its segments. */
export interface LiveLog {
  entries: LiveEntry[];
  file: (segment: number) => string;
}

/** Where any of `needles` occurs in `buf`, ascending. */
function occurrences(buf: Buffer, needles: Buffer[]): number[] {
  const out: number[] = [];
  for (const n of needles) for (let at = buf.indexOf(n); at >= 0; at = buf.indexOf(n, at + 1)) out.push(at);
  return out.sort((a, b) => a - b);
}

/** Whether one of the sorted positions `at` lies in [from, to). */
function within(at: number[], from: number, to: number): boolean {
  let lo = 0;
  let hi = at.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (at[mid] < from) lo = mid + 1;
    else hi = mid;
  }
  return lo < at.length && at[lo] < to;
}

/** Records of `heads` that `hit` picks, with the other parts of a full state one of them is part of (same author and seq). */
function withParts<T extends { author: string; seq: number }>(heads: T[], hit: (i: number) => boolean): T[] {
  const want = new Set<string>();
  heads.forEach((h, i) => hit(i) && want.add(`${h.author}\n${h.seq}`));
  return want.size ? heads.filter((h) => want.has(`${h.author}\n${h.seq}`)) : [];
}

/** One retained segment read in full: its records that mention a needle (all without needles); a damaged tail is left unread. */
function scanSegment(buf: Buffer, needles: Buffer[] | undefined, firsts: Map<string, number>, out: Found[]): void {
  const heads: Array<{ author: string; seq: number; from: number; to: number }> = [];
  for (let off = 0; off < buf.length; ) {
    const j = judge(buf, off);
    if (j.kind !== 'record') break;
    const head = peekPatch(buf.toString('utf8', j.payloadAt, j.payloadAt + Math.min(j.length, 4096)));
    if (head) heads.push({ author: head.author, seq: head.seq, from: j.payloadAt, to: j.payloadAt + j.length });
    off = j.end;
  }
  for (const h of heads) if (!firsts.has(h.author)) firsts.set(h.author, h.seq);
  const at = needles ? occurrences(buf, needles) : [];
  for (const h of withParts(heads, (i) => !needles || within(at, heads[i].from, heads[i].to))) out.push({ author: h.author, seq: h.seq, text: buf.toString('utf8', h.from, h.to) });
}

/** One retained segment through its index: the records it says change a subject at or below one of `iris`. Null: no usable index. */
function indexedSegment(file: string, size: number, iris: string[], firsts: Map<string, number>, out: Found[]): boolean {
  const idx = readIndex(file, size);
  if (!idx) return false;
  let picked: Array<{ author: string; seq: number; payloadAt: number; length: number }>;
  try {
    const hits = new Set(idx.lookup(iris));
    const heads = hits.size ? idx.records() : [];
    picked = withParts(heads, (i) => hits.has(i));
    if (picked.some((h) => h.payloadAt + h.length > size)) return false;
  } catch {
    return false;
  }
  for (const [a, s] of idx.first) if (!firsts.has(a)) firsts.set(a, s);
  if (!picked.length) return true;
  const fd = fs.openSync(file, 'r');
  try {
    for (const h of picked) {
      const buf = Buffer.alloc(h.length);
      fs.readSync(fd, buf, 0, h.length, h.payloadAt);
      out.push({ author: h.author, seq: h.seq, text: buf.toString('utf8') });
    }
  } finally {
    fs.closeSync(fd);
  }
  return true;
}

/** The retained segments' records, oldest segment first: through each one's index when `mentions` are given and it has one. */
function readRetained(dir: string, mentions: string[] | undefined, firsts: Map<string, number>, out: Found[]): void {
  let names: string[];
  try {
    names = fs.readdirSync(dir).filter((n) => RETAINED_RE.test(n)).sort();
  } catch {
    return;
  }
  const needles = mentions?.map((m) => Buffer.from(m));
  for (const name of names) {
    const file = path.join(dir, name);
    const size = fs.statSync(file, { throwIfNoEntry: false })?.size;
    if (size === undefined) continue;
    if (mentions && indexedSegment(file, size, mentions, firsts, out)) continue;
    scanSegment(fs.readFileSync(file), needles, firsts, out);
  }
}

/** The live log's records (each segment read once), those that mention a needle when there are needles. */
function readLive(live: LiveLog, needles: Buffer[] | undefined, firsts: Map<string, number>, out: Found[]): void {
  const segments = new Map<number, { buf: Buffer; at: number[] }>();
  const heads: Array<LiveEntry & { buf: Buffer; at: number[] }> = [];
  for (const e of live.entries) {
    let s = segments.get(e.segment);
    if (!s) {
      const buf = fs.readFileSync(live.file(e.segment));
      segments.set(e.segment, (s = { buf, at: needles ? occurrences(buf, needles) : [] }));
    }
    if (!firsts.has(e.author)) firsts.set(e.author, e.seq);
    heads.push({ ...e, ...s });
  }
  const hit = (i: number) => !needles || within(heads[i].at, heads[i].payloadAt, heads[i].payloadAt + heads[i].length);
  for (const h of withParts(heads, hit)) out.push({ author: h.author, seq: h.seq, text: h.buf.toString('utf8', h.payloadAt, h.payloadAt + h.length) });
}

/**
 * A patch's text with only the rows whose subject is equal to or below one of `iris` (and those whose subject is
 * written with escapes, which the decoder reads): a big patch (an import) is decoded for the rows history shows only.
 */
export function rowsAbout(text: string, iris: string[]): string {
  const out: string[] = [];
  for (let pos = 0; pos < text.length; ) {
    let nl = text.indexOf('\n', pos);
    if (nl < 0) nl = text.length;
    const op = text.charCodeAt(pos);
    const row = (op === 65 || op === 68) && text.charCodeAt(pos + 1) === 32;
    if (!row) out.push(text.slice(pos, nl + 1));
    else if (text.charCodeAt(pos + 2) === 60) {
      const end = text.indexOf('>', pos + 3);
      const subject = end > 0 && end < nl ? text.slice(pos + 3, end) : '\\';
      if (subject.includes('\\') || iris.some((i) => subject === i || (subject.startsWith(i) && subject.charCodeAt(i.length) === 47))) out.push(text.slice(pos, nl + 1));
    }
    pos = nl + 1;
  }
  return out.join('');
}

/**
 * Every patch of the retained history and the live log (each author's in seq order; a full state's parts as one
 * patch), and `complete`: whether every author of `vv` is there from its first patch on. `mentions` (IRIs): only the
 * patches that may change a subject equal to or below one of them, each with only its rows about them (rows with a
 * blank subject left out; more may come: the caller filters exactly); a retained segment is then read through its
 * index (history-index.ts) when it has one.
 */
export function readHistory(retainDir: string, live: LiveLog, vv: VersionVector, mentions?: string[]): { patches: Patch[]; complete: boolean } {
  const firsts = new Map<string, number>();
  const found: Found[] = [];
  readRetained(retainDir, mentions, firsts, found);
  readLive(live, mentions?.map((m) => Buffer.from(m)), firsts, found);
  const byAuthor = new Map<string, Found[]>();
  for (const r of found) {
    const list = byAuthor.get(r.author);
    if (list) list.push(r);
    else byAuthor.set(r.author, [r]);
  }
  const patches: Patch[] = [];
  for (const author of [...byAuthor.keys()].sort()) {
    const list = byAuthor.get(author)!;
    for (let i = 0; i < list.length; ) {
      let j = i + 1;
      while (j < list.length && list[j].seq === list[i].seq) j++; // the parts of one full state
      const parts = list.slice(i, j).map((r) => decodePatch(mentions ? rowsAbout(r.text, mentions) : r.text, TRUSTED));
      i = j;
      patches.push({ ...parts[0], changes: parts.flatMap((p) => p.changes) });
    }
  }
  const complete = [...firsts.values()].every((s) => s === 1) && Object.keys(vv).every((a) => firsts.has(a));
  return { patches, complete };
}
