// Issue 14, item 15: a full home disk (a small tmpfs as the home) while a running node describes new files: the node
// stays up, `semsync status` says what waits, and once space is back every file that arrived meanwhile is described.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, cliSpawn, stop } from '../helpers/cli.js';
import { mountTmpfs, type Mounted } from '../devices/mounts-helper.js';

const work = mkdtempSync(path.join(tmpdir(), 'semsync-homefull-'));
const mounts: Mounted[] = [];
afterAll(async () => {
  for (const m of mounts.reverse()) await m.unmount();
  spawnSync('rm', ['-rf', work]);
});

/** Fills the disk holding `dir`, leaving `leave` bytes. */
async function fill(dir: string, leave = 2048): Promise<string> {
  const filler = path.join(dir, 'filler');
  const st = spawnSync('df', ['--output=avail', '-B1', dir], { encoding: 'utf8' });
  await writeFile(filler, Buffer.alloc(Math.max(0, Number(st.stdout.trim().split('\n').pop()) - leave))).catch(() => undefined);
  return filler;
}

async function described(home: string, share: string): Promise<number> {
  const r = await cli(home, ['query', '--format', 'json', `SELECT (COUNT(?f) AS ?n) WHERE { ?f a nfo:FileDataObject FILTER(STRSTARTS(STR(?f), "file://${share}/")) }`]);
  expect(r.code, r.stderr).toBe(0);
  return Number(JSON.parse(r.stdout).results.bindings[0].n.value);
}

async function until(what: () => Promise<boolean>, ms: number): Promise<void> {
  const t0 = Date.now();
  while (!(await what()) && Date.now() - t0 < ms) await new Promise((r) => setTimeout(r, 250));
}

function addNotes(share: string, from: number, n: number): void {
  for (let i = from; i < from + n; i++) writeFileSync(path.join(share, `note-${i}.txt`), `note ${i} ${'text '.repeat(40)}\n`);
}

describe('a full home disk under a running node', () => {
  it('changes seen while the disk is full wait (status says so) and are described once space returns; a first scan on a full disk keeps the node up', async () => {
    const m = await mountTmpfs(path.join(work, 'home-disk'), '8m');
    mounts.push(m);
    if (m.kind !== 'tmpfs') return console.warn('cannot mount a tmpfs here: skipped');
    const home = m.root;
    const share = path.join(work, 'share');
    mkdirSync(share);
    addNotes(share, 0, 5);
    expect((await cli(home, ['share', 'add', share, '--name', 'notes'])).code).toBe(0);
    let node = cliSpawn(home, ['start', '--listen', '/ip4/127.0.0.1/tcp/0', '--no-mdns', '--no-http']);
    try {
      await node.waitFor(/^ready$/m, 45_000);
      expect(await described(home, share)).toBe(5);
      let filler = await fill(home);
      addNotes(share, 5, 40); // seen by the watcher while nothing can be written
      await node.waitFor(/ENOSPC.*kept; retry/, 30_000);
      const status = JSON.parse((await cli(home, ['status', '--json'])).stdout) as { pending: Array<{ share: string; kind: string; paths: number; error: string }> };
      expect(status.pending).toEqual([expect.objectContaining({ share: 'notes', kind: 'changes', error: expect.stringMatching(/ENOSPC/) })]);
      expect(status.pending[0].paths).toBeGreaterThan(0);
      expect((await cli(home, ['status'])).stdout).toMatch(/pending .*changed paths? in notes: .*ENOSPC/);
      await rm(filler, { force: true });
      await until(async () => (await described(home, share)) === 45, 70_000);
      expect(await described(home, share)).toBe(45);
      await until(async () => (JSON.parse((await cli(home, ['status', '--json'])).stdout) as { pending: unknown[] }).pending.length === 0, 10_000);
      expect(node.child.exitCode).toBeNull();

      // A first scan that meets a full disk: the node starts, says what waits, and describes the files once space is back.
      // (room is left for the lock, the run files and the log lines of a start, not for the scan's commit)
      expect(await stop(node.child)).toBe(0);
      filler = await fill(home, 48 * 1024);
      addNotes(share, 45, 300);
      node = cliSpawn(home, ['start', '--listen', '/ip4/127.0.0.1/tcp/0', '--no-mdns', '--no-http']);
      await node.waitFor(/^ready$/m, 45_000);
      await node.waitFor(/scan is tried again/, 30_000);
      const first = JSON.parse((await cli(home, ['status', '--json'])).stdout) as { pending: Array<{ kind: string; share: string }> };
      expect(first.pending).toEqual([expect.objectContaining({ kind: 'scan', share: 'notes' })]);
      await rm(filler, { force: true });
      await until(async () => (await described(home, share)) === 345, 70_000);
      expect(await described(home, share)).toBe(345);
      expect(node.child.exitCode).toBeNull();

      // A disk so full that not even the lock can be written: a message naming the lock file, no temp file left.
      expect(await stop(node.child)).toBe(0);
      filler = await fill(home, 0);
      const none = await cli(home, ['query', 'ASK {}']);
      expect(none.code).toBe(1);
      expect(none.stderr).toContain(`cannot write the lock file ${path.join(home, 'semsync.lock')}`);
      expect(none.stderr).toMatch(/disk is full/);
      expect(readdirSync(home).filter((f) => f.startsWith('semsync.lock'))).toEqual([]);
      await rm(filler, { force: true });
    } finally {
      await stop(node.child);
    }
  }, 240_000);
});
