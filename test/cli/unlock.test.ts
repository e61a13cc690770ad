// Issue 14, item 16: a lock left by a crash after a renamed machine or a reused pid; the messages name the lock files,
// `semsync unlock` removes a lock only when its process is not a running semsync.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, cliSpawn, stop } from '../helpers/cli.js';

const work = mkdtempSync(path.join(tmpdir(), 'semsync-unlock-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A pid no process has now: a child that has exited. */
function deadPid(): number {
  const r = spawnSync('sh', ['-c', 'echo $$']);
  return Number(String(r.stdout).trim());
}

async function freshHome(name: string): Promise<string> {
  const home = path.join(work, name);
  expect((await cli(home, ['share', 'list'])).code).toBe(0); // creates the home and its store
  return home;
}

const lock = (pid: number, host: string, start?: string) => JSON.stringify({ pid, host, since: '2026-01-01T00:00:00.000Z', ...(start ? { start } : {}) });

describe('stale locks', () => {
  it('a lock from a renamed machine blocks with both lock files named; unlock removes them and the home opens', async () => {
    const home = await freshHome('renamed');
    const pid = deadPid();
    writeFileSync(path.join(home, 'semsync.lock'), lock(pid, 'old-container-name'));
    writeFileSync(path.join(home, 'store', 'LOCK'), lock(pid, 'old-container-name'));
    const blocked = await cli(home, ['query', 'ASK {}']);
    expect(blocked.code).toBe(1);
    expect(blocked.stderr).toContain(path.join(home, 'semsync.lock'));
    expect(blocked.stderr).toContain('on host old-container-name');
    expect(blocked.stderr).toContain('semsync unlock');
    const un = await cli(home, ['unlock']);
    expect(un.code).toBe(0);
    expect(un.stdout).toContain(`removed ${path.join(home, 'semsync.lock')}: process ${pid} on host old-container-name`);
    expect(un.stdout).toContain(`removed ${path.join(home, 'store', 'LOCK')}`);
    expect(un.stdout).toMatch(/is not running/);
    expect((await cli(home, ['query', 'ASK {}'])).code).toBe(0);
    expect((await cli(home, ['unlock'])).stdout).toMatch(/no lock on/);
  });

  it('the store lock alone is named in its message', async () => {
    const home = await freshHome('store-only');
    writeFileSync(path.join(home, 'store', 'LOCK'), lock(deadPid(), 'elsewhere'));
    const blocked = await cli(home, ['query', 'ASK {}']);
    expect(blocked.code).toBe(1);
    expect(blocked.stderr).toContain(`lock file ${path.join(home, 'store', 'LOCK')}`);
    expect((await cli(home, ['unlock'])).code).toBe(0);
    expect((await cli(home, ['query', 'ASK {}'])).code).toBe(0);
  });

  it('a pid now used by another program: taken over at once when the lock recorded a start time, else unlock checks its command line', async () => {
    const sleeper = spawn('sleep', ['120'], { stdio: 'ignore' });
    try {
      const home = await freshHome('reused');
      // the lock says: this pid, started at another time (the crashed semsync, before a reboot)
      writeFileSync(path.join(home, 'semsync.lock'), lock(sleeper.pid!, hostname(), '1'));
      expect((await cli(home, ['query', 'ASK {}'])).code).toBe(0);
      // an older lock without a start time: not guessed, but unlock sees `sleep` is no semsync
      writeFileSync(path.join(home, 'semsync.lock'), lock(sleeper.pid!, hostname()));
      const blocked = await cli(home, ['query', 'ASK {}']);
      expect(blocked.code).toBe(1);
      expect(blocked.stderr).toContain(`in use by process ${sleeper.pid} (lock file ${path.join(home, 'semsync.lock')})`);
      const un = await cli(home, ['unlock']);
      expect(un.code).toBe(0);
      expect(un.stdout).toMatch(/now belongs to another program \(sleep 120\)/);
      expect((await cli(home, ['query', 'ASK {}'])).code).toBe(0);
    } finally {
      sleeper.kill();
    }
  });

  it('refuses while a semsync holds the home, and removes nothing', async () => {
    const home = await freshHome('running');
    const node = cliSpawn(home, ['start', '--no-mdns', '--listen', '/ip4/127.0.0.1/tcp/0', '--no-http']);
    try {
      await node.waitFor(/ready/);
      const before = readFileSync(path.join(home, 'semsync.lock'), 'utf8');
      const un = await cli(home, ['unlock']);
      expect(un.code).toBe(1);
      expect(un.stderr + un.stdout).toMatch(/kept: a semsync node runs on this home/);
      expect(readFileSync(path.join(home, 'semsync.lock'), 'utf8')).toBe(before);
      expect(existsSync(path.join(home, 'store', 'LOCK'))).toBe(true);
    } finally {
      await stop(node.child);
    }
  });

  it('refuses for the very process that took the lock even without a control socket (a running scan)', async () => {
    const home = await freshHome('scanning');
    // a live process that looks like semsync and recorded its own start time: this test's worker stands in for it
    const own = readFileSync(`/proc/${process.pid}/stat`, 'utf8');
    const start = own.slice(own.lastIndexOf(')') + 2).split(' ')[19];
    writeFileSync(path.join(home, 'semsync.lock'), lock(process.pid, hostname(), start));
    const un = await cli(home, ['unlock']);
    expect(un.code).toBe(1);
    expect(un.stderr + un.stdout).toMatch(new RegExp(`process ${process.pid}, since .* still runs`));
    expect(existsSync(path.join(home, 'semsync.lock'))).toBe(true);
  });
});
