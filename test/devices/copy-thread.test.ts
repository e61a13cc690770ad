// Many small files: copied on the copy thread, and staged while the plan is made (stage.ts); atomic, resumable, clean.
import { createHash, randomBytes } from 'node:crypto';
import { promises as fsp, readFileSync } from 'node:fs';
import path from 'node:path';
import n3 from 'n3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CATALOG_FILE, claimDevice, executePlan, explainPath, PENDING_FILE, readCatalog, Stager, STAGING_DIR, TEMP_PREFIX,
} from '../../src/devices/index.js';
import { CopyThread } from '../../src/devices/copy-thread.js';
import type { Operation } from '../../src/rules/types.js';
import { mountTmpfs, tempDir, type Mounted, allFiles } from './mounts-helper.js';

type Copy = Extract<Operation, { kind: 'copy' }>;
const RULE = 'urn:x-test:rule';
const cleanups: (() => Promise<void>)[] = [];
let base: string;
let ops: Copy[];

beforeAll(async () => {
  base = await tempDir('semsync-thread-');
  cleanups.push(() => fsp.rm(base, { recursive: true, force: true }));
  const src = path.join(base, 'src');
  await fsp.mkdir(src);
  ops = [];
  for (let i = 0; i < 400; i++) {
    const bytes = randomBytes(1000 + i);
    const source = path.join(src, `f${i}.bin`);
    await fsp.writeFile(source, bytes);
    const content = `urn:sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    ops.push({ kind: 'copy', content, source, target: `D${i % 7}/f ${i}.bin`, size: bytes.length, rule: RULE, values: { n: String(i) } });
  }
});
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch((e) => console.warn('cleanup failed:', e));
});

let n = 0;
async function device(): Promise<Mounted> {
  const m = await mountTmpfs(path.join(base, `dev${++n}`), '32m');
  cleanups.push(() => m.unmount());
  await claimDevice(path.join(base, 'claims.json'), m.root, { user: 'alice' });
  return m;
}

const same = (root: string, op: Copy) => readFileSync(path.join(root, op.target)).equals(readFileSync(op.source!));

describe('the copy thread', () => {
  it('copies hundreds of small files, catalogues them, and a second run copies nothing', async () => {
    const m = await device();
    const r1 = await executePlan(m.root, ops);
    expect(r1).toMatchObject({ copied: ops.length, errors: [] });
    for (const op of ops) expect(same(m.root, op)).toBe(true);
    expect((await allFiles(m.root)).some((f) => path.basename(f).startsWith(TEMP_PREFIX))).toBe(false);
    expect(await readCatalog(m.root)).toHaveLength(ops.length);
    expect(await executePlan(m.root, ops)).toMatchObject({ copied: 0, skipped: ops.length });
  });

  it('places staged content by renaming it, copies what was not staged, and leaves no staging behind', async () => {
    const m = await device();
    const stager = new Stager(m.root, true);
    const staged = ops.slice(0, 300);
    for (const op of staged) stager.add(op.content, op.source!, op.size);
    expect(stager.thread).toBeDefined();
    stager.send();
    const r = await executePlan(m.root, ops, { staging: stager }).finally(() => stager.close());
    expect(r).toMatchObject({ copied: ops.length, errors: [] });
    for (const op of ops) expect(same(m.root, op)).toBe(true);
    await expect(fsp.stat(path.join(m.root, STAGING_DIR))).rejects.toThrow();
    expect(await readCatalog(m.root)).toHaveLength(ops.length);
    // The catalog (records made once for the pending list, then concatenated) is TriG any reader takes.
    const text = await fsp.readFile(path.join(m.root, CATALOG_FILE), 'utf8');
    const quads = new n3.Parser({ format: 'TriG' }).parse(text);
    expect(new Set(quads.filter((q) => q.predicate.value.endsWith('relativePath')).map((q) => q.subject.value)).size).toBe(ops.length);
    for (const op of [ops[0], ops[299], ops[399]]) expect(await explainPath(m.root, op.target)).toMatchObject({ content: op.content, rule: RULE, values: op.values, size: op.size });
  });

  it('stages nothing for a small plan (no thread)', async () => {
    const m = await device();
    const stager = new Stager(m.root, true);
    for (const op of ops.slice(0, 10)) stager.add(op.content, op.source!, op.size);
    expect(stager.thread).toBeUndefined();
    expect(stager.pathOf(ops[0].content)).toBeUndefined();
    await stager.close();
  });

  it('copies content whose staging failed from its source; a wrong size is a per-file error', async () => {
    const m = await device();
    const stager = new Stager(m.root, true);
    const [first] = ops;
    await fsp.rename(first.source!, `${first.source}.away`);
    for (const op of ops) stager.add(op.content, op.source!, op.size);
    stager.send();
    const [batch] = stager.sent();
    expect(batch.items[0].content).toBe(first.content);
    expect((await batch.done)[0]).toBe(false);
    await fsp.rename(`${first.source}.away`, first.source!);
    const r = await executePlan(m.root, ops, { staging: stager }).finally(() => stager.close());
    expect(r).toMatchObject({ copied: ops.length, errors: [] });
    for (const op of ops) expect(same(m.root, op)).toBe(true);

    const thread = new CopyThread(true);
    try {
      const [wrong, next] = await thread.run([
        { source: first.source!, tmp: path.join(m.root, `${TEMP_PREFIX}w`), target: path.join(m.root, 'wrong.bin'), size: first.size + 1 },
        { source: ops[1].source!, tmp: path.join(m.root, `${TEMP_PREFIX}n`), target: path.join(m.root, 'next.bin'), size: ops[1].size },
      ]);
      expect(wrong).toMatchObject({ ok: false, error: { name: 'VerifyError' } });
      expect(next).toMatchObject({ ok: true });
      const top = await fsp.readdir(m.root);
      expect(top).toContain('next.bin');
      expect(top.some((n) => n === 'wrong.bin' || n.startsWith(TEMP_PREFIX))).toBe(false);
    } finally {
      await thread.close();
    }
  });

  it('stopped midway (a detach, an abort) leaves whole files or none; the next run finishes', async () => {
    const m = await device();
    const stager = new Stager(m.root, true);
    for (const op of ops) stager.add(op.content, op.source!, op.size);
    const ac = new AbortController();
    const err = await executePlan(m.root, ops, {
      staging: stager, signal: ac.signal, onProgress: (p) => p.done === 100 && ac.abort(new Error('detached')),
    }).finally(() => stager.close()).catch((e: unknown) => e);
    expect((err as Error).message).toBe('detached');
    const files = await allFiles(m.root);
    expect(files.some((f) => path.basename(f).startsWith(TEMP_PREFIX))).toBe(false);
    const placed = ops.filter((op) => files.includes(op.target));
    expect(placed.length).toBeGreaterThanOrEqual(100);
    expect(placed.length).toBeLessThan(ops.length);
    for (const op of placed) expect(same(m.root, op)).toBe(true);
    const r2 = await executePlan(m.root, ops);
    expect(r2.copied + r2.recovered + r2.skipped).toBe(ops.length);
    expect(r2.errors).toEqual([]);
    for (const op of ops) expect(same(m.root, op)).toBe(true);
    await expect(fsp.stat(path.join(m.root, PENDING_FILE))).rejects.toThrow();
  });

  it('a copy thread that died fails what it is given (never a silent "not tried")', async () => {
    const thread = new CopyThread(true);
    await thread.close();
    const [out] = await thread.run([{ source: ops[0].source!, tmp: path.join(base, 'x.tmp'), target: path.join(base, 'x'), size: ops[0].size }]);
    expect(out).toMatchObject({ ok: false, error: { name: 'CopyThreadError' } });
  });

  it('a run removes what a crashed run left staged', async () => {
    const m = await device();
    await fsp.mkdir(path.join(m.root, STAGING_DIR), { recursive: true });
    await fsp.writeFile(path.join(m.root, STAGING_DIR, `${TEMP_PREFIX}left`), 'half');
    await executePlan(m.root, ops.slice(0, 2));
    await expect(fsp.stat(path.join(m.root, STAGING_DIR))).rejects.toThrow();
  });
});

describe('sources checked against their content hash (issue 14, item 3)', () => {
  it('a source whose bytes are not its content is refused per file on the copy thread, when staged and when large', async () => {
    const m = await device();
    const bad = ops.slice(0, 300).map((op) => ({ ...op }));
    const wrong = path.join(base, 'wrong.bin');
    await fsp.writeFile(wrong, randomBytes(bad[5].size)); // same size, other bytes
    bad[5].source = wrong;
    bad[250].source = wrong;
    bad[250].size = bad[5].size;
    const bigBytes = randomBytes(5 << 20);
    const big = path.join(base, 'big.bin');
    await fsp.writeFile(big, bigBytes);
    const bigOp: Copy = { kind: 'copy', content: `urn:sha256:${'ab'.repeat(32)}`, source: big, target: 'Big/big.bin', size: bigBytes.length, rule: RULE, values: {} };
    const stager = new Stager(m.root, true);
    for (const op of bad.slice(200)) stager.add(op.content, op.source!, op.size); // 100: not enough to stage alone
    for (const op of bad.slice(0, 200)) stager.add(op.content, op.source!, op.size);
    expect(stager.thread).toBeDefined();
    const r = await executePlan(m.root, [...bad, bigOp], { staging: stager }).finally(() => stager.close());
    expect(r.copied).toBe(298);
    expect(r.errors.map((e) => e.target).sort()).toEqual([bad[250].target, bad[5].target, 'Big/big.bin'].sort());
    for (const e of r.errors) expect(e.message).toMatch(/content mismatch: .*(wrong|big)\.bin has sha256 [0-9a-f]{64}, not the content urn:sha256:/);
    const placed = await allFiles(m.root);
    expect(placed).not.toContain(bad[5].target);
    expect(placed.some((f) => f.startsWith('Big/'))).toBe(false);
    await expect(fsp.stat(path.join(m.root, STAGING_DIR))).rejects.toThrow();
  });
});
