// An exclusive lock file holding the owner's pid and host: created atomically (link), stale when that process is gone.
import fs from 'node:fs';
import os from 'node:os';

export interface LockOwner {
  pid: number;
  host: string;
  since: string;
  /** The process's start time (clock ticks since boot, /proc/PID/stat), so a pid reused by another process is told apart. */
  start?: string;
}

export interface PidLock {
  readonly path: string;
  release(): void;
}

const held = new Map<string, PidLock>();

export function readOwner(file: string): LockOwner | null {
  try {
    const o = JSON.parse(fs.readFileSync(file, 'utf8')) as LockOwner;
    return typeof o.pid === 'number' && typeof o.host === 'string' ? o : null;
  } catch {
    return null;
  }
}

export function alive(pid: number): boolean {
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
  if (owner.host !== os.hostname()) return false; // another machine (a shared folder), or this one renamed: never guess
  if (owner.pid === process.pid) return !held.has(file); // a previous process with our pid (containers)
  if (!alive(owner.pid)) return true;
  // alive: the same process, or another one that was given its pid since (after a crash and a reboot)
  const start = processStart(owner.pid);
  return owner.start !== undefined && start !== undefined && start !== owner.start;
}

/** The lock could not be written (a full disk, a read-only home): nothing is held. */
export class LockWriteError extends Error {
  override name = 'LockWriteError';
  constructor(readonly file: string, readonly code: string | undefined, cause: Error) {
    super(`cannot write the lock file ${file}: ${cause.message}${code === 'ENOSPC' ? ' (the disk is full: free some space and try again)' : ''}`, { cause });
  }
}

function writeOwner(tmp: string, me: LockOwner, file: string): void {
  try {
    fs.writeFileSync(tmp, JSON.stringify(me));
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw new LockWriteError(file, (e as NodeJS.ErrnoException).code, e as Error);
  }
}

/** A process's start time in clock ticks since boot (field 22 of /proc/PID/stat), or undefined (no /proc, gone). */
export function processStart(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/**
 * Take the lock at `file`, or return who holds it. A lock left by a dead process is taken over.
 * The lock is released on `release()` and when this process exits normally.
 */
export function acquirePidLock(file: string): { lock: PidLock } | { owner: LockOwner } {
  const me: LockOwner = { pid: process.pid, host: os.hostname(), since: new Date().toISOString(), start: processStart(process.pid) };
  for (let attempt = 0; attempt < 5; attempt++) {
    const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}`;
    try {
      writeOwner(tmp, me, file);
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

/** A process's command line (/proc/PID/cmdline), or undefined (no /proc, gone, not ours to read). */
export function processCommand(pid: number): string[] | undefined {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\u0000').filter((a) => a !== '');
  } catch {
    return undefined;
  }
}

/** What is known of the process a lock file names, for a person deciding whether to remove the lock. */
export interface LockHolder {
  owner: LockOwner | null;
  /** 'same': the very process that took the lock runs (same pid and start time); 'running': a process with its pid runs; 'gone': none does. */
  process: 'same' | 'running' | 'gone';
  command?: string[];
  /** The lock was taken on another host name (another machine sharing the folder, or this one renamed). */
  otherHost: boolean;
}

export function lockHolder(file: string): LockHolder | null {
  if (!fs.existsSync(file)) return null;
  const owner = readOwner(file);
  if (!owner) return { owner, process: 'gone', otherHost: false };
  const start = processStart(owner.pid);
  const running = owner.pid > 0 && owner.pid !== process.pid && alive(owner.pid);
  const same = running && owner.start !== undefined && start === owner.start;
  return { owner, process: same ? 'same' : running ? 'running' : 'gone', command: running ? processCommand(owner.pid) : undefined, otherHost: owner.host !== os.hostname() };
}

/**
 * Removes the lock at `file` if it still names `owner` (moved aside first, so a process taking it meanwhile keeps
 * its own). Returns false when the lock changed hands.
 */
export function breakLock(file: string, owner: LockOwner | null): boolean {
  const aside = `${file}.stale.${process.pid}.${Math.random().toString(36).slice(2)}`;
  try {
    fs.renameSync(file, aside);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw e;
  }
  const was = readOwner(aside);
  if (JSON.stringify(was) !== JSON.stringify(owner)) {
    try {
      fs.linkSync(aside, file);
    } catch {
      /* a new owner took the lock meanwhile: theirs stays */
    }
    fs.rmSync(aside, { force: true });
    return false;
  }
  fs.rmSync(aside, { force: true });
  return true;
}
