// Which failures of a scan or an update are worth trying again later (a full disk), and how long to wait.

/** Codes of failures that go away on their own or when the person frees space: the work is kept and retried. */
const TRANSIENT = new Set(['ENOSPC', 'EDQUOT', 'EMFILE', 'ENFILE']);

/** Is this error (or one it wraps, as `cause`) a full disk, a quota, or too many open files? */
export function isTransient(err: unknown): boolean {
  for (let e = err as { code?: unknown; cause?: unknown; message?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    if (typeof e.code === 'string' && TRANSIENT.has(e.code)) return true;
    if (typeof e.message === 'string' && /\b(ENOSPC|EDQUOT)\b|no space left on device/i.test(e.message)) return true;
  }
  return false;
}

/** Back-off before attempt `n` (1, 2, ...): 1 s, 2 s, 4 s, ... at most `maxMs` (default 60 s). */
export function backoffMs(n: number, baseMs = 1000, maxMs = 60_000): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, n - 1));
}

/** Work that failed for a transient reason and waits for its next try: what `semsync status` says. */
export interface PendingWork {
  share: string;
  /** 'changes': files the watcher saw change; 'scan': the share's full scan. */
  kind: 'changes' | 'scan';
  /** How many changed paths wait (for 'changes'). */
  paths?: number;
  error: string;
  attempts: number;
  /** ISO time of the next try. */
  retryAt: string;
}
