// Test helpers for the placement run's units: a claimed device (a tmpfs when the machine allows, else a folder),
// source files with their content ids, and a run opened on the device.
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { claimDevice } from '../../../src/devices/index.js';
import { checkPreconditions } from '../../../src/devices/place/preconditions.js';
import { PlacementRun } from '../../../src/devices/place/run.js';
import type { CopyOp, ExecuteOptions } from '../../../src/devices/place/types.js';
import type { Operation } from '../../../src/rules/types.js';
import { mountTmpfs, tempDir } from '../mounts-helper.js';

export const RULE = 'urn:x-test:rule';

export interface Bench {
  base: string;
  cleanup(): Promise<void>;
  /** A new claimed device (`claims` is the claims file; user alice). */
  device(size?: string): Promise<{ root: string; claims: string }>;
  /** A copy op for a new source file holding `bytes` (a string or a length of random-ish bytes). */
  source(target: string, bytes: string | Buffer): Promise<CopyOp>;
}

export async function bench(prefix: string): Promise<Bench> {
  const base = await tempDir(`semsync-place-${prefix}-`);
  const undo: (() => Promise<void>)[] = [];
  let n = 0;
  return {
    base,
    async cleanup() {
      for (const u of undo.reverse()) await u().catch((e) => console.warn('cleanup failed:', e));
      await fsp.rm(base, { recursive: true, force: true });
    },
    async device(size = '8m') {
      const m = await mountTmpfs(path.join(base, `dev ${++n}`), size);
      undo.push(() => m.unmount());
      const claims = path.join(base, 'claims.json');
      await claimDevice(claims, m.root, { user: 'alice' });
      return { root: m.root, claims };
    },
    async source(target, bytes) {
      const buf = typeof bytes === 'string' ? Buffer.from(bytes) : bytes;
      const file = path.join(base, `src-${++n}.bin`);
      await fsp.writeFile(file, buf);
      const content = `urn:sha256:${createHash('sha256').update(buf).digest('hex')}`;
      return { kind: 'copy', content, source: file, target, size: buf.length, rule: RULE, values: { t: target } };
    },
  };
}

/** A placement run on `root` for `ops`, its preconditions checked as executePlan does. */
export async function openRun(root: string, ops: Operation[], opts: ExecuteOptions = {}): Promise<PlacementRun> {
  const profile = await checkPreconditions(root, opts);
  return PlacementRun.open(root, profile, ops, opts);
}
