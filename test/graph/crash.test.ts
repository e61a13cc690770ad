import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { GraphStore } from '../../src/graph/store.js';
import { quadToNQuads } from '../../src/graph/terms.js';
import { graphIri } from '../../src/graph/vocab.js';
import { changesFor } from './fixtures/crash-child.js';
import { tempDir } from './helpers.js';

const CHILD = fileURLToPath(new URL('./fixtures/crash-child.ts', import.meta.url));

/** Run the child until `shouldKill(lines)` says so (checked on each line), then SIGKILL it after `delayMs`. Returns its stdout lines. */
function runAndKill(args: string[], shouldKill: (lines: string[]) => boolean, delayMs: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: string[] = [];
    let buf = '';
    let err = '';
    let armed = false;
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      const parts = buf.split('\n');
      buf = parts.pop()!;
      lines.push(...parts);
      if (!armed && shouldKill(lines)) {
        armed = true;
        setTimeout(() => child.kill('SIGKILL'), delayMs);
      }
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL' || code === 0) resolve(lines);
      else reject(new Error(`child exited with ${code}: ${err}`));
    });
  });
}

function expectedAfter(v: number): string[] {
  const present = new Map<string, boolean>();
  for (let seq = 1; seq <= v; seq++) for (const c of changesFor(seq)) present.set(quadToNQuads(c.quad), c.op === 'A');
  return [...present].filter(([, p]) => p).map(([l]) => l.trimEnd()).sort();
}

describe('crash safety (SIGKILL)', () => {
  it('keeps every acknowledged commit across repeated kills', async () => {
    const dir = tempDir('crash');
    let acked = 0;
    // at least 4 rounds, and more on a slow machine until the commits went past a snapshot (every 25th)
    for (let round = 0; round < 4 || (acked <= 25 && round < 12); round++) {
      const lines = await runAndKill([dir, 'commit'], (l) => l.some((x) => x.startsWith('ack')), 50 + Math.floor(Math.random() * 700));
      const opened = Number(lines.find((l) => l.startsWith('open'))!.split(' ')[1]);
      expect(opened).toBeGreaterThanOrEqual(acked); // the child itself recovered everything acknowledged before
      for (const l of lines) if (l.startsWith('ack')) acked = Math.max(acked, Number(l.split(' ')[1]));
      const s = await GraphStore.open({ dir, nodeId: 'crash' });
      try {
        const v = s.versionVector().crash ?? 0;
        if (process.env.CRASH_DEBUG) console.log("commit round", round, "acked", acked, "recovered", v);
        expect(v).toBeGreaterThanOrEqual(acked);
        expect(v).toBeLessThanOrEqual(acked + 1); // at most the one in flight
        const got = s.export('nquads').split('\n').filter(Boolean).sort();
        expect(got).toEqual(expectedAfter(v));
        expect(s.patchesSince({ crash: v - 1 })?.map((p) => p.seq) ?? [v]).toEqual(v > 0 ? [v] : []);
      } finally {
        await s.close();
      }
    }
    expect(acked).toBeGreaterThan(25); // the rounds went past a snapshot
  });

  it('keeps every acknowledged batch of an import killed midway', async () => {
    const dir = tempDir('crash-import');
    const file = path.join(tempDir('crash-file'), 'big.nt');
    const total = 60_000;
    const parts: string[] = [];
    for (let i = 0; i < total; i++) parts.push(`<http://ex.org/item/${i}> <http://purl.org/dc/terms/title> "Item ${i} \\"quoted\\" é" .\n`);
    fs.writeFileSync(file, parts.join(''));
    const target = graphIri('crash', 'import');
    for (let round = 0; round < 2; round++) {
      const lines = await runAndKill([dir, 'import', file], (l) => l.some((x) => x.startsWith("progress")), Math.floor(Math.random() * 400) + round * 600);
      const acked = Math.max(0, ...lines.filter((l) => l.startsWith('progress')).map((l) => Number(l.split(' ')[1])));
      const s = await GraphStore.open({ dir, nodeId: 'crash' });
      try {
        const n = s.match(null, null, null, target).length;
        if (process.env.CRASH_DEBUG) console.log("import round", round, "acked", acked, "present", n, lines.includes("done") ? "finished" : "killed");
        expect(n).toBeGreaterThanOrEqual(acked);
        expect(n % 10_000 === 0 || n === total).toBe(true); // batches are all-or-nothing
        const r = s.query(`ASK { GRAPH <${target.value}> { <http://ex.org/item/${Math.max(0, acked - 1)}> ?p ?o } }`);
        expect(r.kind === 'boolean' && r.value).toBe(acked > 0);
      } finally {
        await s.close();
      }
    }
  });
});
