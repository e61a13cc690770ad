// `semsync repair`: the explicit recovery of a damaged store. Nothing is deleted: a damaged snapshot, the damaged end
// of a log segment and the segments after it are moved or copied into the damaged folder first. Then the store keeps
// what is sound (the log up to the damage), and when the log no longer joins a snapshot (the snapshot is damaged or
// gone and the log was compacted) it is rebuilt from what the log holds. The report says what was lost.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import oxigraph from 'oxigraph';
import { segmentNames } from './changelog.js';
import { CorruptLogError, CorruptSnapshotError, MissingSnapshotError, StoreLockedError } from './errors.js';
import { HLC_ZERO, formatHlc, maxHlc, parseHlc } from './hlc.js';
import { judge, keepAside, recordsAfter } from './log-format.js';
import { peekPatch } from './patch.js';
import { acquirePidLock } from '../base/index.js';
import { applyRows } from './rows.js';
import { latestSnapshot, verifySnapshot, writeSnapshot } from './snapshot.js';
import { stateHeader } from './state.js';
import { GraphStore } from './store.js';
import type { VersionVector } from './types.js';

/** Patches no longer in the store, per author: `from`..`to`, and why. */
export interface LostPatches {
  author: string;
  from: number;
  to: number;
  why: string;
}

export interface RepairReport {
  store: string;
  damagedDir: string;
  /** A damaged snapshot, moved into the damaged folder. */
  snapshot: { file: string; problem: string; movedTo: string } | null;
  /** Damage in the log: where, why, and where its bytes were kept (the segment was cut there). */
  logDamage: { file: string; offset: number; reason: string; keptAt: string } | null;
  /** An unfinished append at the end of the log, dropped (never acknowledged). */
  tornTail: { file: string; offset: number; bytes: number } | null;
  /** Whole segments after the damage, moved into the damaged folder. */
  segmentsSetAside: string[];
  /** Whether the store was rebuilt from the log (the log no longer joined a snapshot); its segments were then set aside. */
  rebuilt: boolean;
  lost: LostPatches[];
  /** Other authors' patches not applied past a gap ("author after patch N"): their peers send them again on the next sync. */
  refetch: string[];
  /** The store after repair. */
  statements: number;
  vv: VersionVector;
  /** Whether anything was changed. */
  changed: boolean;
}

interface Rec {
  author: string;
  seq: number;
  payload: Buffer;
}

/** Adds a patch to the lost list, joining it to a run of the same author and reason. */
function addLost(lost: LostPatches[], author: string, seq: number, why: string): void {
  const run = lost.find((l) => l.author === author && l.why === why && l.to === seq - 1);
  if (run) run.to = seq;
  else if (!lost.some((l) => l.author === author && l.why === why && seq >= l.from && seq <= l.to)) lost.push({ author, from: seq, to: seq, why });
}

function headOf(buf: Buffer, j: { payloadAt: number; end: number; version: 1 | 2 }): Rec | null {
  const payload = buf.subarray(j.payloadAt, j.end - (j.version === 2 ? 4 : 0));
  const head = peekPatch(payload.toString('utf8', 0, Math.min(payload.length, 4096)));
  return head && { ...head, payload };
}

async function moveAside(file: string, damagedDir: string): Promise<string> {
  await fsp.mkdir(damagedDir, { recursive: true });
  let to = path.join(damagedDir, path.basename(file));
  if (fs.existsSync(to)) to = `${to}.${Date.now()}`;
  await fsp.copyFile(file, to, fs.constants.COPYFILE_EXCL);
  await fsp.rm(file);
  return to;
}

/** Step 1: a snapshot that fails its checksums is moved aside. */
async function checkSnapshot(dir: string, report: RepairReport): Promise<void> {
  let latest: Awaited<ReturnType<typeof latestSnapshot>> = null;
  try {
    latest = await latestSnapshot(dir);
    if (latest) verifySnapshot(latest.file);
  } catch (e) {
    if (!(e instanceof CorruptSnapshotError)) throw e;
    report.snapshot = { file: e.file, problem: e.message, movedTo: await moveAside(e.file, report.damagedDir) };
  }
}

/** Step 2: the log is cut at its first damage (kept aside first); the segments after it are moved aside. */
async function cutLog(logDir: string, report: RepairReport): Promise<void> {
  const names = await segmentNames(logDir);
  for (let i = 0; i < names.length; i++) {
    const file = path.join(logDir, names[i]);
    const buf = await fsp.readFile(file);
    let off = 0;
    while (off < buf.length) {
      const j = judge(buf, off);
      if (j.kind === 'record' && headOf(buf, j)) {
        off = j.end;
        continue;
      }
      if (j.kind === 'torn' && i === names.length - 1) {
        report.tornTail = { file, offset: off, bytes: buf.length - off };
        await fsp.truncate(file, off);
        return;
      }
      const reason = j.kind === 'record' ? 'a record that is not a patch' : j.reason;
      report.logDamage = { file, offset: off, reason, keptAt: await keepAside(file, buf, off, report.damagedDir) };
      const hit = peekPatch(buf.toString('utf8', off, Math.min(buf.length, off + 4096))); // the damaged record, when its head still reads
      if (hit) addLost(report.lost, hit.author, hit.seq, 'the damaged record');
      for (const r of recordsAfter(buf, off)) {
        const h = headOf(buf, r);
        if (h) addLost(report.lost, h.author, h.seq, `after the damage in ${names[i]}`);
      }
      await fsp.truncate(file, off);
      for (const later of names.slice(i + 1)) await setAsideSegment(path.join(logDir, later), report);
      return;
    }
  }
}

async function setAsideSegment(file: string, report: RepairReport): Promise<void> {
  const buf = await fsp.readFile(file);
  for (const r of recordsAfter(buf, -1)) {
    const h = headOf(buf, r);
    if (h) addLost(report.lost, h.author, h.seq, `in ${path.basename(file)}, after the damage`);
  }
  report.segmentsSetAside.push(await moveAside(file, report.damagedDir));
}

/** Every patch record of the log, in order (the log is sound by now). */
async function readRecords(logDir: string): Promise<Rec[]> {
  const out: Rec[] = [];
  for (const name of await segmentNames(logDir)) {
    const buf = await fsp.readFile(path.join(logDir, name));
    for (let off = 0; off < buf.length; ) {
      const j = judge(buf, off);
      if (j.kind !== 'record') break;
      const h = headOf(buf, j);
      if (h) out.push(h);
      off = j.end;
    }
  }
  return out;
}

/**
 * Step 3, when the log no longer joins a snapshot: a store from the snapshot (if a sound one is left) and, from the
 * log, this node's own patches in order (gaps reported) and other authors' patches while they follow on. Other
 * authors whose patches do not follow on are dropped: their peers send them again. The log is then set aside.
 */
async function rebuild(dir: string, nodeId: string, report: RepairReport): Promise<void> {
  const logDir = path.join(dir, 'log');
  const ox = new oxigraph.Store();
  const snap = await latestSnapshot(dir);
  const vv: VersionVector = { ...(snap?.meta.vv ?? {}) };
  if (snap) ox.load(fs.readFileSync(snap.file), { format: 'application/n-quads', lenient: true });
  let clock = (snap && parseHlc(snap.meta.hlc)) || HLC_ZERO;
  const stopped = new Set<string>();
  for (const r of await readRecords(logDir)) {
    const have = vv[r.author] ?? 0;
    if (r.seq <= have) continue;
    const own = r.author === nodeId;
    const follows = r.seq === have + 1 && !stateHeader(r.payload);
    if (!own && (stopped.has(r.author) || !follows)) {
      stopped.add(r.author);
      continue;
    }
    for (let s = have + 1; s < r.seq; s++) addLost(report.lost, r.author, s, snap ? 'missing from the log' : 'only in the snapshot that is gone');
    const text = r.payload.toString('utf8');
    if (!stateHeader(r.payload)) applyRows(ox, text);
    vv[r.author] = r.seq;
    const h = parseHlc(/^H hlc "([^"]+)" \.$/m.exec(text)?.[1] ?? '');
    if (h) clock = maxHlc(clock, h);
  }
  for (const a of stopped) report.refetch.push(`${a} after patch ${vv[a] ?? 0}`);
  // This node's patches set aside may be held by peers: its next patch is numbered after them, never reusing a number.
  for (const l of report.lost) if (l.author === nodeId && l.to > (vv[nodeId] ?? 0)) vv[nodeId] = l.to;
  await writeSnapshot(dir, ox, { vv, hlc: formatHlc(clock) });
  const aside = path.join(report.damagedDir, `log-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  await fsp.mkdir(aside, { recursive: true });
  for (const name of await segmentNames(logDir)) await fsp.rename(path.join(logDir, name), path.join(aside, name));
  report.segmentsSetAside.push(aside);
  report.rebuilt = true;
}

/** Repairs the store in `dir` (which must not be open anywhere): see the file's header. */
export async function repairStore(opts: { dir: string; nodeId: string; damagedDir: string }): Promise<RepairReport> {
  const dir = path.resolve(opts.dir);
  const report: RepairReport = { store: dir, damagedDir: opts.damagedDir, snapshot: null, logDamage: null, tornTail: null, segmentsSetAside: [], rebuilt: false, lost: [], refetch: [], statements: 0, vv: {}, changed: false };
  const got = acquirePidLock(path.join(dir, 'LOCK'));
  if ('owner' in got) throw new StoreLockedError(dir, got.owner.pid);
  try {
    await checkSnapshot(dir, report);
    await cutLog(path.join(dir, 'log'), report);
  } finally {
    got.lock.release();
  }
  let store: GraphStore | null = null;
  try {
    // This node's own patches lost: rebuilt, so that its next patch does not reuse their numbers (peers may hold them).
    if (!report.lost.some((l) => l.author === opts.nodeId)) store = await GraphStore.open({ dir, nodeId: opts.nodeId, damagedDir: opts.damagedDir });
  } catch (e) {
    if (!(e instanceof MissingSnapshotError || e instanceof CorruptLogError)) throw e;
  }
  if (!store) {
    const again = acquirePidLock(path.join(dir, 'LOCK'));
    if ('owner' in again) throw new StoreLockedError(dir, again.owner.pid);
    try {
      await rebuild(dir, opts.nodeId, report);
    } finally {
      again.lock.release();
    }
    store = await GraphStore.open({ dir, nodeId: opts.nodeId, damagedDir: opts.damagedDir });
  }
  try {
    report.statements = store.size;
    report.vv = store.versionVector();
  } finally {
    await store.close();
  }
  report.changed = !!(report.snapshot || report.logDamage || report.tornTail || report.rebuilt);
  return report;
}

/** The report in words, one finding a line. */
export function describeRepair(r: RepairReport): string[] {
  const out: string[] = [];
  if (r.snapshot) out.push(`damaged snapshot ${r.snapshot.file} moved to ${r.snapshot.movedTo}`);
  if (r.logDamage) out.push(`change log ${r.logDamage.file} damaged at byte ${r.logDamage.offset} (${r.logDamage.reason}): cut there; the bytes from there are kept in ${r.logDamage.keptAt}`);
  if (r.tornTail) out.push(`an append that never finished (${r.tornTail.bytes} bytes at byte ${r.tornTail.offset} of ${r.tornTail.file}) was dropped; it was never acknowledged`);
  for (const s of r.segmentsSetAside) out.push(`set aside: ${s}`);
  if (r.rebuilt) out.push('the store was rebuilt from its log (the log no longer joined a snapshot)');
  for (const l of r.lost) out.push(`lost: ${l.author}'s patch${l.from === l.to ? ` ${l.from}` : `es ${l.from}..${l.to}`} (${l.why})`);
  for (const a of r.refetch) out.push(`${a}: not applied further (a gap); its peers send the rest again on the next sync`);
  if (!r.changed) out.push('nothing to repair: the snapshot and the change log are sound');
  out.push(`the store now holds ${r.statements} statements`);
  return out;
}

