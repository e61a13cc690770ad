// An exclusive lock file holding the owner's pid and host: created atomically (link), stale when that process is gone.
import fs from 'node:fs';
import os from 'node:os';

export interface LockOwner {
  pid: number;
  host: string;
  since: string;
}

export interface PidLock {
  readonly path: string;
  release(): void;
}

const held = new Map<string, PidLock>();

function readOwner(file: string): LockOwner | null {
  try {
    const o = JSON.parse(fs.readFileSync(file, 'utf8')) as LockOwner;
    return typeof o.pid === 'number' && typeof o.host === 'string' ? o : null;
  } catch {
    return null;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Is the lock recorded in `file` held by a live process (this one included, if it holds it)? */
function isStale(file: string, owner: LockOwner | null): boolean {
  if (!owner) {
    // unreadable: give a writer that is halfway through a moment, then call it stale
    try {
      return Date.now() - fs.statSync(file).mtimeMs > 5000;
    } catch {
      return true;
    }
  }
  if (owner.host !== os.hostname()) return false; // another machine (a shared folder): never guess
  if (owner.pid === process.pid) return !held.has(file); // a previous process with our pid (containers)
  return !alive(owner.pid);
}

/**
 * Take the lock at `file`, or return who holds it. A lock left by a dead process is taken over.
 * The lock is released on `release()` and when this process exits normally.
 */
export function acquirePidLock(file: string): { lock: PidLock } | { owner: LockOwner } {
  const me: LockOwner = { pid: process.pid, host: os.hostname(), since: new Date().toISOString() };
  for (let attempt = 0; attempt < 5; attempt++) {
    const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}`;
    fs.writeFileSync(tmp, JSON.stringify(me));
    try {
      fs.linkSync(tmp, file); // atomic: fails if the lock exists
      const lock: PidLock = {
        path: file,
        release() {
          if (held.get(file) !== lock) return;
          held.delete(file);
          const o = readOwner(file);
          if (o && o.pid === process.pid) fs.rmSync(file, { force: true });
        },
      };
      held.set(file, lock);
      return { lock };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    } finally {
      fs.rmSync(tmp, { force: true });
    }
    const owner = readOwner(file);
    if (!isStale(file, owner)) return { owner: owner ?? { pid: 0, host: os.hostname(), since: '' } };
    // move the stale lock aside under a unique name; only one contender wins the rename
    const aside = `${file}.stale.${process.pid}.${Math.random().toString(36).slice(2)}`;
    try {
      fs.renameSync(file, aside);
      const again = readOwner(aside);
      if (again && owner && again.pid !== owner.pid) {
        // someone replaced it between our read and rename: put it back and look again
        try {
          fs.linkSync(aside, file);
        } catch {
          /* a third process took it; fine */
        }
      }
      fs.rmSync(aside, { force: true });
    } catch {
      /* another process moved it first */
    }
  }
  const owner = readOwner(file);
  return { owner: owner ?? { pid: 0, host: os.hostname(), since: '' } };
}

process.once('exit', () => {
  for (const lock of [...held.values()]) lock.release();
});
