import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { defaultHome, ensureHome, homeLayout, HomeLockedError, lockHome, lockHomeSync, releaseHome } from '../../src/node/home.js';

const HOLD = fileURLToPath(new URL('./fixtures/hold-home.ts', import.meta.url));
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'semsync-home-'));

function holdInChild(home: string): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', HOLD, home], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (d: Buffer) => d.toString().includes('locked') && resolve(child));
    child.on('exit', (code) => reject(new Error(`holder exited ${code}`)));
  });
}

describe('node home', () => {
  it('finds the default home from the environment', () => {
    expect(defaultHome({ SEMSYNC_HOME: '/x/y' })).toBe('/x/y');
    expect(defaultHome({ XDG_DATA_HOME: '/data' })).toBe('/data/semsync');
    expect(defaultHome({ XDG_DATA_HOME: 'relative' })).toBe(path.join(os.homedir(), '.local/share/semsync'));
    expect(defaultHome({})).toBe(path.join(os.homedir(), '.local/share/semsync'));
  });

  it('lays out store/, config.json and logs/', () => {
    const h = tmp();
    const l = ensureHome(h);
    expect(l).toMatchObject({ store: path.join(h, 'store'), config: path.join(h, 'config.json'), logs: path.join(h, 'logs') });
    expect(fs.statSync(l.store).isDirectory() && fs.statSync(l.logs).isDirectory()).toBe(true);
    expect(homeLayout('rel').home).toBe(path.resolve('rel'));
  });

  it('lets one holder in at a time, in this process', async () => {
    const h = tmp();
    const lock = await lockHome(h);
    expect(() => lockHomeSync(h)).toThrow(HomeLockedError);
    releaseHome(lock);
    releaseHome(lock); // twice is harmless
    const again = lockHomeSync(h);
    again.release();
    expect(fs.existsSync(homeLayout(h).lockFile)).toBe(false);
  });

  it('refuses a second process, naming the home and the holding pid, and takes over once it died', async () => {
    const h = tmp();
    const child = await holdInChild(h);
    try {
      let err: unknown;
      try {
        lockHomeSync(h);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(HomeLockedError);
      const msg = (err as Error).message;
      expect(msg).toContain(path.resolve(h));
      expect(msg).toContain(String(child.pid));
      expect(msg).toMatch(/Stop that semsync|--home/);
      expect((err as HomeLockedError).pid).toBe(child.pid);
    } finally {
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
    }
    // the holder died without releasing: its lock is stale now
    const lock = lockHomeSync(h);
    expect(JSON.parse(fs.readFileSync(homeLayout(h).lockFile, 'utf8')).pid).toBe(process.pid);
    lock.release();
  });

  it('treats an unreadable lock as held for a moment, then as stale', () => {
    const h = tmp();
    const file = homeLayout(h).lockFile;
    fs.writeFileSync(file, '');
    expect(() => lockHomeSync(h)).toThrow(/being locked/);
    const old = new Date(Date.now() - 60_000);
    fs.utimesSync(file, old, old);
    lockHomeSync(h).release();
  });
});
