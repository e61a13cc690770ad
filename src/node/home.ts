// The node home folder: its layout (store/, config.json, logs/), where it is by default, and the lock that keeps it to one process.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { acquirePidLock, type PidLock } from '../base/index.js';
import { FailureError } from '../base/index.js';

export interface HomeLayout {
  home: string;
  /** The graph store folder (snapshots and change log). */
  store: string;
  config: string;
  logs: string;
  lockFile: string;
}

/** $SEMSYNC_HOME, else $XDG_DATA_HOME/semsync, else ~/.local/share/semsync. */
export function defaultHome(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SEMSYNC_HOME) return path.resolve(env.SEMSYNC_HOME);
  if (env.XDG_DATA_HOME && path.isAbsolute(env.XDG_DATA_HOME)) return path.join(env.XDG_DATA_HOME, 'semsync');
  return path.join(os.homedir(), '.local', 'share', 'semsync');
}

export function homeLayout(home: string): HomeLayout {
  const h = path.resolve(home);
  return {
    home: h,
    store: path.join(h, 'store'),
    config: path.join(h, 'config.json'),
    logs: path.join(h, 'logs'),
    lockFile: path.join(h, 'semsync.lock'),
  };
}

/** Create the home's folders if missing; returns its layout. */
export function ensureHome(home: string): HomeLayout {
  const l = homeLayout(home);
  fs.mkdirSync(l.store, { recursive: true });
  fs.mkdirSync(l.logs, { recursive: true });
  return l;
}

/** Another process holds the home. */
export class HomeLockedError extends FailureError {
  override name = 'HomeLockedError';
  constructor(readonly home: string, readonly pid: number, readonly host: string, readonly lockFile = path.join(home, 'semsync.lock')) {
    super(
      pid > 0
        ? `The semsync home ${home} is in use by process ${pid}${host !== os.hostname() ? ` on host ${host} (this host is ${os.hostname()})` : ''} (lock file ${lockFile}). ` +
            `Stop that semsync (or wait for it to finish), or use another home with --home DIR. ` +
            `If no semsync runs (it crashed, the machine was renamed, or its process id now belongs to another program), ` +
            `\`semsync unlock\` checks that and removes the lock.`
        : `The semsync home ${home} is being locked by another process right now (lock file ${lockFile}). Try again in a moment, or use another home with --home DIR.`,
    );
  }
}

export interface HomeLock {
  readonly home: string;
  release(): void;
}

/** Take the home for this process (creating the folder), or throw HomeLockedError. A lock left by a dead process is taken over. */
export function lockHomeSync(dir: string): HomeLock {
  const l = homeLayout(dir);
  fs.mkdirSync(l.home, { recursive: true });
  const got = acquirePidLock(l.lockFile);
  if ('owner' in got) throw new HomeLockedError(l.home, got.owner.pid, got.owner.host, l.lockFile);
  const lock: PidLock = got.lock;
  return { home: l.home, release: () => lock.release() };
}

/** As lockHomeSync, as a promise. */
export async function lockHome(dir: string): Promise<HomeLock> {
  return lockHomeSync(dir);
}

/** Give the home back (also done when the process exits normally). */
export function releaseHome(lock: HomeLock): void {
  lock.release();
}
