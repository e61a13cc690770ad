// Trusting the scan's hash: a local source still at the size and mtime its scan recorded is not hashed again while
// copied (in every copy strategy); one whose mtime or size changed since the scan is hashed and refused if it lies.
import { randomBytes } from 'node:crypto';
import { promises as fsp, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { executePlan, Stager, type ScannedSource } from '../../../src/devices/index.js';
import type { CopyOp } from '../../../src/devices/place/types.js';
import { bench, type Bench } from './helper.js';

let b: Bench;
beforeAll(async () => {
  b = await bench('scanned');
});
afterAll(() => b.cleanup());

/** `n` sources of `size` bytes, each with what its "scan" recorded. */
async function scannedSources(n: number, size: number, dir: string): Promise<{ ops: CopyOp[]; scans: Map<string, ScannedSource> }> {
  const ops: CopyOp[] = [];
  const scans = new Map<string, ScannedSource>();
  for (let i = 0; i < n; i++) {
    const op = await b.source(`${dir}/f${String(i).padStart(3, '0')}.bin`, randomBytes(size));
    const st = statSync(op.source!);
    scans.set(op.source!, { size: st.size, mtimeMs: Math.floor(st.mtimeMs) });
    ops.push(op);
  }
  return { ops, scans };
}

/** The op described with another content than its source's bytes, the source untouched: only a hash can tell. */
function misdescribed(op: CopyOp): void {
  op.content = `urn:sha256:${'0'.repeat(64)}`;
}

/** Rewrite a source with other bytes of the same size and a new mtime (what an editor does). */
function seenChange(op: CopyOp): void {
  writeFileSync(op.source!, randomBytes(op.size));
  utimesSync(op.source!, new Date(), new Date(Date.now() + 5000));
}

const cases: { name: string; n: number; size: number; staged?: boolean }[] = [
  { name: 'synchronous batches', n: 20, size: 300 },
  { name: 'the copy thread', n: 300, size: 200 },
  { name: 'staged renames', n: 300, size: 200, staged: true },
  { name: 'single large files', n: 3, size: 5 << 20 },
];

describe.each(cases)('with $name', ({ n, size, staged }) => {
  it('trusts an unchanged source, hashes a changed one, and refuses it when its bytes are not its content', async () => {
    const { root } = await b.device('64m');
    const { ops, scans } = await scannedSources(n, size, 'S');
    const [trusted, edited, grown] = ops;
    misdescribed(trusted);
    seenChange(edited);
    writeFileSync(grown.source!, Buffer.concat([readFileSync(grown.source!), Buffer.from('more')])); // size changed
    const stager = staged ? new Stager(root, true) : undefined;
    for (const op of staged ? ops : []) stager!.add(op.content, op.source!, op.size, scans.get(op.source!));
    if (staged) expect(stager!.thread).toBeDefined();
    const r = await executePlan(root, ops, { scanned: (op) => scans.get(op.source!), ...(stager ? { staging: stager } : {}) }).finally(() => stager?.close());
    // Trusted: placed without being hashed (the scan's word taken: this is the trade-off).
    expect(readFileSync(path.join(root, trusted.target)).equals(readFileSync(trusted.source!))).toBe(true);
    // Changed since the scan: hashed, and refused per file naming the source.
    const refused = r.errors.map((e) => e.target).sort();
    expect(refused).toEqual([edited.target, grown.target].sort());
    expect(r.errors.find((e) => e.target === edited.target)?.message).toContain(edited.source);
    await expect(fsp.stat(path.join(root, edited.target))).rejects.toThrow();
    expect(r.copied).toBe(n - 2);
  }, 60_000);
});

it('without a scan record, every source is hashed as before', async () => {
  const { root } = await b.device();
  const { ops } = await scannedSources(5, 100, 'N');
  misdescribed(ops[0]);
  const r = await executePlan(root, ops);
  expect(r.errors).toMatchObject([{ target: ops[0].target, code: 'VerifyError' }]);
});
