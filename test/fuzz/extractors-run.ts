// Runs a range of seeded mutated-corpus cases through describeContent and then into a real store, as a scan would;
// shared by the two fuzz test files (two workers).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describeContent } from '../../src/extractors/index.js';
import { GraphStore } from '../../src/graph/store.js';
import { contentIri, NFO } from '../../src/graph/vocab.js';
import { Indexer, DescribePool, fileIri, shareGraph, type DescribeResult, type Share } from '../../src/library/index.js';
import { describeResult } from '../../src/library/describe.js';
import type { WalkEntry } from '../../src/library/walk.js';
import { corpusFiles, MUTATIONS, mutate, rng } from './mutate.js';

export interface FuzzReport {
  cases: number;
  byFamily: Record<string, number>;
  byMutation: Record<string, number>;
  failures: string[];
  /** Cases whose extractor output needed a value kept as text or a statement left out before the store took it. */
  mended: number;
}

interface Case { what: string; entry: WalkEntry; result: DescribeResult }

/**
 * Every case must resolve within `hardMs` with a MIME type and a result (quads or errors), and its description must
 * then be taken by the store (committed in batches of `batch` cases, as the indexer commits a scan), each file described;
 * a throw, a hang or a refused batch is a failure naming the seed(s).
 */
export async function fuzzExtractors(from: number, to: number, hardMs = 15_000, batch = 100): Promise<FuzzReport> {
  const files = corpusFiles().map((f) => ({ ...f, bytes: readFileSync(f.file) }));
  const dir = mkdtempSync(path.join(tmpdir(), 'semsync-fuzz-'));
  const report: FuzzReport = { cases: 0, byFamily: {}, byMutation: {}, failures: [], mended: 0 };
  const store = await GraphStore.open({ dir: path.join(dir, 'store'), nodeId: 'fuzz' });
  const pool = new DescribePool(0);
  const indexer = new Indexer(store, pool);
  const share: Share = { name: 'fuzz', root: dir };
  let pending: Case[] = [];
  try {
    for (let seed = from; seed < to; seed++) {
      const r = rng(seed);
      const src = files[seed % files.length];
      const kind = MUTATIONS[Math.floor(r() * MUTATIONS.length)];
      const data = mutate(src.bytes, kind, r);
      const file = path.join(dir, `case-${seed}${path.extname(src.file).toLowerCase()}`);
      writeFileSync(file, data);
      const what = `seed ${seed}: ${kind} of ${path.relative(path.dirname(path.dirname(src.file)), src.file)}`;
      const one = await describeCase(file, data.length, what, hardMs, report);
      rmSync(file, { force: true });
      if (one) pending.push(one);
      report.cases++;
      report.byFamily[src.family] = (report.byFamily[src.family] ?? 0) + 1;
      report.byMutation[kind] = (report.byMutation[kind] ?? 0) + 1;
      if (pending.length >= batch || seed === to - 1) {
        await storeCases(indexer, store, share, pending, report);
        pending = [];
      }
    }
  } finally {
    await pool.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return report;
}

async function describeCase(file: string, size: number, what: string, hardMs: number, report: FuzzReport): Promise<Case | undefined> {
  const sha256 = report.cases.toString(16).padStart(64, '0'); // a distinct content per case
  let timer: NodeJS.Timeout | undefined;
  try {
    const d = await Promise.race([
      describeContent(file, contentIri(sha256), { size, timeoutMs: 5_000 }),
      new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`hung for ${hardMs} ms`)), hardMs); }),
    ]);
    if (!d.mime) report.failures.push(`${what}: no MIME type`);
    if (d.quads.length === 0 && d.errors.length === 0 && size > 0) report.failures.push(`${what}: neither quads nor errors`);
    const result = describeResult(file, sha256, size, d);
    if (result.errors.length > d.errors.length) report.mended++;
    return { what, entry: { path: file, relPath: path.basename(file), size, mtimeMs: 0 }, result };
  } catch (e) {
    report.failures.push(`${what}: threw ${(e as Error).message}`);
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}

/** Commits the cases' descriptions as the indexer commits a scan's batch, checks each file is there, then forgets them all. */
async function storeCases(indexer: Indexer, store: GraphStore, share: Share, cases: Case[], report: FuzzReport): Promise<void> {
  if (cases.length === 0) return;
  const problems: string[] = [];
  try {
    await indexer.commitBatch(share, cases.map(({ entry, result }) => ({ entry, result, existed: false })), (e) => problems.push(`${e.path}: ${e.message}`));
  } catch (e) {
    report.failures.push(`the store refused the batch of ${cases[0].what} .. ${cases[cases.length - 1].what}: ${(e as Error).message}`);
    return;
  }
  for (const p of problems) report.failures.push(`a description could not be stored: ${p}`);
  const g = shareGraph(store.nodeId, share.name);
  for (const c of cases) {
    if (store.match(fileIri(c.entry.path), NFO('fileSize'), null, g).length !== 1) report.failures.push(`${c.what}: not described in the store`);
  }
  await indexer.forget(share);
}
