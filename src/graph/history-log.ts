// The retained history: log segments a snapshot covers, kept in `<store>/history/` for a while (OpenOptions.historyDays)
// so that `semsync history` and `undo` still read them after compaction. Only history reads them: peers are served
// from the live log alone (patchesSince), and a restart replays the snapshot and the live log, never these.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
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
  await fsp.rename(file, path.join(r.dir, `${String(seg).padStart(12, '0')}-${Math.max(0, Math.floor(newestMs))}.log`));
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

/** Remove retained segments older than the retention, then the oldest ones while the folder is over maxBytes. Returns how many went. */
export async function pruneHistory(r: Retention): Promise<number> {
  const all = await retained(r.dir);
  const cutoff = r.now() - r.days * DAY;
  let gone = 0;
  const rest: Array<Retained & { size: number }> = [];
  for (const x of all) {
    const file = path.join(r.dir, x.name);
    if (!r.days || x.ms < cutoff) {
      await fsp.rm(file, { force: true });
      gone++;
    } else rest.push({ ...x, size: (await fsp.stat(file).catch(() => null))?.size ?? 0 });
  }
  let total = rest.reduce((n, x) => n + x.size, 0);
  for (const x of rest) {
    if (total <= r.maxBytes) break;
    await fsp.rm(path.join(r.dir, x.name), { force: true });
    total -= x.size;
    gone++;
  }
  return gone;
}

/** One record's text, by author and seq (a full state's parts share one seq). */
export interface RecordText {
  author: string;
  seq: number;
  text: string;
}

/** The records of the retained segments, oldest segment first; a damaged tail of a segment is left unread (history only). */
export function readRetained(dir: string): RecordText[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir).filter((n) => RETAINED_RE.test(n)).sort();
  } catch {
    return [];
  }
  const out: RecordText[] = [];
  for (const name of names) {
    const buf = fs.readFileSync(path.join(dir, name));
    for (let off = 0; off < buf.length; ) {
      const j = judge(buf, off);
      if (j.kind !== 'record') break;
      const text = buf.toString('utf8', j.payloadAt, j.end - (j.version === 2 ? 4 : 0));
      const head = peekPatch(text.slice(0, 4096));
      if (head) out.push({ author: head.author, seq: head.seq, text });
      off = j.end;
    }
  }
  return out;
}

/**
 * Patches out of records (each author's in seq order; a full state's parts as one patch) and `complete`: whether
 * every author of `vv` is there from its first patch on. `mentions` keeps only the records whose text holds one.
 */
export function patchesOf(records: RecordText[], vv: VersionVector, mentions?: string[]): { patches: Patch[]; complete: boolean } {
  const byAuthor = new Map<string, RecordText[]>();
  for (const r of records) {
    const list = byAuthor.get(r.author);
    if (list) list.push(r);
    else byAuthor.set(r.author, [r]);
  }
  const patches: Patch[] = [];
  let complete = true;
  for (const author of [...byAuthor.keys()].sort()) {
    const list = byAuthor.get(author)!;
    if (list[0].seq !== 1) complete = false;
    for (let i = 0; i < list.length; ) {
      let j = i + 1;
      while (j < list.length && list[j].seq === list[i].seq) j++; // the parts of one full state
      const texts = list.slice(i, j).map((r) => r.text);
      i = j;
      if (mentions && !texts.some((t) => mentions.some((m) => t.includes(m)))) continue;
      const parts = texts.map((t) => decodePatch(t, TRUSTED));
      patches.push({ ...parts[0], changes: parts.flatMap((p) => p.changes) });
    }
  }
  for (const author of Object.keys(vv)) if (!byAuthor.has(author)) complete = false;
  return { patches, complete };
}
