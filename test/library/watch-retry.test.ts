// Issue 14, item 15 (unit): an update that fails on a full disk keeps its paths and is retried with back-off; changes
// seen meanwhile wait for the retry and are read after it; pendingWork() says what waits.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ShareWatcher, type ScanSummary } from '../../src/library/index.js';
import type { Indexer } from '../../src/library/indexer.js';

let dir: string;
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const full = () => Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
const summary = (share: string): ScanSummary => ({ share, files: 0, added: 0, changed: 0, removed: 0, unchanged: 0, errors: [] });

describe('ShareWatcher on a full disk', () => {
  it('keeps the changed paths, retries until the update succeeds, and reads what arrived meanwhile', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'semsync-watchretry-'));
    const calls: string[][] = [];
    let failures = 2;
    const fake = {
      async update(share: { name: string }, paths: string[]) {
        calls.push(paths.map((p) => path.basename(p)).sort());
        if (failures-- > 0) throw full();
        return summary(share.name);
      },
    } as unknown as Indexer;
    const errors: string[] = [];
    const watcher = new ShareWatcher(fake, { debounceMs: 20, retryMs: 200, onError: (e) => errors.push(`${e.name}: ${e.message}`) });
    await watcher.add({ name: 'notes', root: dir });
    try {
      await writeFile(path.join(dir, 'a.txt'), 'a');
      const t0 = Date.now();
      while (errors.length === 0 && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 20));
      expect(errors[0]).toMatch(/^UpdateDeferredError: ENOSPC.*1 changed path\(s\) of share notes kept; retry 1 in/);
      expect(watcher.pendingWork()).toEqual([expect.objectContaining({ share: 'notes', kind: 'changes', paths: 1, attempts: 1, error: expect.stringMatching(/ENOSPC/) })]);
      await writeFile(path.join(dir, 'b.txt'), 'b'); // arrives while the disk is full: waits for the retry
      while (watcher.pendingWork().length > 0 && Date.now() - t0 < 20_000) await new Promise((r) => setTimeout(r, 20));
      expect(watcher.pendingWork()).toEqual([]);
      expect(calls[0]).toEqual(['a.txt']);
      expect(calls.filter((c) => c.includes('a.txt'))).toHaveLength(3); // kept through two failures, read by the third try
      while (!calls.flat().includes('b.txt') && Date.now() - t0 < 20_000) await new Promise((r) => setTimeout(r, 20));
      expect(calls.flat()).toContain('b.txt');
      expect(errors).toHaveLength(2); // two failures, then success
    } finally {
      await watcher.close();
    }
  });

  it('still counts a retry\'s paths while the retry runs', async () => {
    const d = await mkdtemp(path.join(os.tmpdir(), 'semsync-watchretry-'));
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let calls = 0;
    const fake = {
      async update(share: { name: string }) {
        if (++calls === 1) throw full();
        await held; // the retry runs until released
        return summary(share.name);
      },
    } as unknown as Indexer;
    const watcher = new ShareWatcher(fake, { debounceMs: 20, retryMs: 100, onError: () => {} });
    await watcher.add({ name: 'notes', root: d });
    try {
      await writeFile(path.join(d, 'a.txt'), 'a');
      const t0 = Date.now();
      while (calls < 2 && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 10));
      expect(calls).toBe(2); // the retry is running now
      expect(watcher.pendingWork()).toEqual([expect.objectContaining({ share: 'notes', kind: 'changes', paths: 1 })]);
      release();
      while (watcher.pendingWork().length > 0 && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 10));
      expect(watcher.pendingWork()).toEqual([]);
    } finally {
      release();
      await watcher.close();
      await rm(d, { recursive: true, force: true });
    }
  });
});
