// Runs a range of seeded mutated-corpus cases through describeContent; shared by the two fuzz test files (two workers).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describeContent } from '../../src/extractors/index.js';
import { contentIri } from '../../src/graph/vocab.js';
import { corpusFiles, MUTATIONS, mutate, rng } from './mutate.js';

export interface FuzzReport { cases: number; byFamily: Record<string, number>; byMutation: Record<string, number>; failures: string[] }

/** Every case must resolve within `hardMs` with a MIME type and a result (quads or errors); a throw or a hang is a failure naming the seed. */
export async function fuzzExtractors(from: number, to: number, hardMs = 15_000): Promise<FuzzReport> {
  const files = corpusFiles().map((f) => ({ ...f, bytes: readFileSync(f.file) }));
  const dir = mkdtempSync(path.join(tmpdir(), 'semsync-fuzz-'));
  const report: FuzzReport = { cases: 0, byFamily: {}, byMutation: {}, failures: [] };
  try {
    for (let seed = from; seed < to; seed++) {
      const r = rng(seed);
      const src = files[seed % files.length];
      const kind = MUTATIONS[Math.floor(r() * MUTATIONS.length)];
      const data = mutate(src.bytes, kind, r);
      const file = path.join(dir, `case${path.extname(src.file).toLowerCase()}`);
      writeFileSync(file, data);
      const what = `seed ${seed}: ${kind} of ${path.relative(path.dirname(path.dirname(src.file)), src.file)}`;
      let timer: NodeJS.Timeout | undefined;
      try {
        const d = await Promise.race([
          describeContent(file, contentIri('ab'.repeat(32)), { size: data.length, timeoutMs: 5_000 }),
          new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`hung for ${hardMs} ms`)), hardMs); }),
        ]);
        if (!d.mime) report.failures.push(`${what}: no MIME type`);
        if (d.quads.length === 0 && d.errors.length === 0 && data.length > 0) report.failures.push(`${what}: neither quads nor errors`);
      } catch (e) {
        report.failures.push(`${what}: threw ${(e as Error).message}`);
      } finally {
        clearTimeout(timer);
      }
      report.cases++;
      report.byFamily[src.family] = (report.byFamily[src.family] ?? 0) + 1;
      report.byMutation[kind] = (report.byMutation[kind] ?? 0) + 1;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return report;
}
