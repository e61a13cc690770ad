// `semsync unlock`: removes the home's locks left by a process that is gone, after checking it really is not running.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { breakLock, lockHolder, type LockHolder } from '../base/index.js';
import { homeLayout } from './home.js';
import { FailureError } from '../base/index.js';

export interface UnlockStep {
  file: string;
  removed: boolean;
  /** Why it was removed or kept, in words. */
  reason: string;
}

/** A lock held by a running process: nothing was removed. */
export class LockHeldError extends FailureError {
  override name = 'LockHeldError';
  constructor(readonly steps: UnlockStep[]) {
    super(steps.filter((s) => !s.removed).map((s) => `${s.file}: kept: ${s.reason}`).join('\n'));
  }
}

/** The lock files of a home: the home's own, the store's, and trust.json's (proper-lockfile, a folder). */
export function lockFiles(home: string): { pid: string[]; trust: string } {
  const l = homeLayout(home);
  return { pid: [l.lockFile, path.join(l.store, 'LOCK')], trust: path.join(l.home, 'trust.json.lock') };
}

/** This install's folder: a process running a file below it is a semsync. */
const installRoot = (() => {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!fs.existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
})();

/** Is this command line a semsync (the `semsync` bin, or any script of this install)? */
export function looksLikeSemsync(command: string[] | undefined): boolean {
  return (command ?? []).some((a) => /semsync/i.test(path.basename(a)) || a.startsWith(installRoot + path.sep) || /[\\/]semsync[\\/]/.test(a));
}

/**
 * Removes each lock of `home` whose process is not a running semsync; refuses (LockHeldError, nothing removed) when
 * one is held: by the very process that took it (same pid and start time), by a live process that looks like
 * semsync, or while `nodeAnswers` (the home's control socket answered: a node runs).
 */
export function unlockHome(home: string, nodeAnswers: boolean): UnlockStep[] {
  const files = lockFiles(home);
  const held: Array<{ file: string; holder: LockHolder }> = [];
  for (const file of files.pid) {
    const holder = lockHolder(file);
    if (holder) held.push({ file, holder });
  }
  const steps: UnlockStep[] = [];
  const kept = (file: string, reason: string) => steps.push({ file, removed: false, reason });
  for (const { file, holder } of held) {
    const o = holder.owner;
    const who = o ? `process ${o.pid}${holder.otherHost ? ` on host ${o.host} (this host is ${os.hostname()})` : ''}, since ${o.since}` : 'an unreadable owner';
    if (nodeAnswers) kept(file, `a semsync node runs on this home (its control socket answers); stop it with Ctrl+C or SIGTERM`);
    else if (holder.process === 'same') kept(file, `${who} still runs (${(holder.command ?? []).join(' ') || 'command unknown'}); stop it first`);
    else if (holder.process === 'running' && looksLikeSemsync(holder.command)) kept(file, `${who}: a semsync with that pid runs (${holder.command!.join(' ')}); stop it first`);
  }
  if (steps.length > 0) throw new LockHeldError(steps);
  for (const { file, holder } of held) {
    const o = holder.owner;
    const who = o ? `process ${o.pid}${holder.otherHost ? ` on host ${o.host} (this host is ${os.hostname()})` : ''}, since ${o.since}` : 'an unreadable owner';
    const state = holder.process === 'gone' ? 'is not running' : `now belongs to another program (${(holder.command ?? []).join(' ') || 'not semsync'})`;
    const removed = breakLock(file, o);
    steps.push({ file, removed, reason: removed ? `${who}: that process ${state}` : 'another process took the lock meanwhile; kept' });
  }
  const trust = trustLockStep(files.trust);
  if (trust) steps.push(trust);
  return steps;
}

/** trust.json's lock (a folder, kept fresh every few seconds by its holder): removed once older than its stale time. */
function trustLockStep(dir: string): UnlockStep | undefined {
  const st = fs.statSync(dir, { throwIfNoEntry: false });
  if (!st) return undefined;
  if (Date.now() - st.mtimeMs < 10_000) return { file: dir, removed: false, reason: 'in use right now (updated in the last 10 s)' };
  fs.rmSync(dir, { recursive: true, force: true });
  return { file: dir, removed: true, reason: `left behind (last updated ${new Date(st.mtimeMs).toISOString()})` };
}
