// Keeps shares current while running: chokidar events, debounced, handed to the indexer as paths to re-read.
import type { Stats } from 'node:fs';
import path from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import type { Indexer, ScanSummary } from './indexer.js';
import type { Share } from './quads.js';
import { isIgnoredName, isSemsyncHome } from './walk.js';
import { backoffMs, isTransient, type PendingWork } from './retry.js';
import { FailureError } from '../base/index.js';

export interface WatchOptions {
  /** Quiet time after the last event before the changed paths are re-read. */
  debounceMs?: number;
  /** First wait before re-reading changes whose update failed on a full disk (doubles up to a minute; default 1 s). */
  retryMs?: number;
  onUpdate?: (summary: ScanSummary) => void;
  onError?: (err: Error) => void;
}

/** An update failed for a transient reason (a full disk); its changes are kept and retried. */
export class UpdateDeferredError extends FailureError {
  override name = 'UpdateDeferredError';
}

export class ShareWatcher {
  private readonly watchers = new Map<string, FSWatcher>();
  private readonly pending = new Map<string, Set<string>>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private running: Promise<unknown> = Promise.resolve();
  /** Per share, the update that failed for a transient reason (a full disk): its paths wait in `pending` for the retry. */
  private readonly failing = new Map<string, { error: string; attempts: number; retryAt: number }>();
  /** The paths of the update running now, per share (a retry's paths still wait while it runs). */
  private readonly updating = new Map<string, string[]>();

  constructor(
    private readonly indexer: Indexer,
    private readonly options: WatchOptions = {},
  ) {}

  /** Starts watching a share; resolves once the watcher is ready (initial files are not re-reported). */
  async add(share: Share): Promise<void> {
    if (this.watchers.has(share.name)) return;
    const watcher = watch(share.root, {
      ignoreInitial: true,
      followSymlinks: false,
      // A semsync home inside the share (this node's own, under a shared ~) changes at every commit: watching it
      // would rescan, commit, and see the commit, forever. Its folder is not watched (the scan says so once).
      ignored: (p: string, stats?: Stats) => isIgnoredName(path.basename(p)) || ((!stats || stats.isDirectory()) && isSemsyncHome(p)),
      awaitWriteFinish: { stabilityThreshold: 80, pollInterval: 20 },
    });
    const queue = (p: string) => this.queue(share, p);
    watcher.on('add', queue).on('change', queue).on('unlink', queue).on('unlinkDir', queue).on('addDir', queue);
    watcher.on('error', (err) => this.options.onError?.(err as Error));
    await new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
    this.watchers.set(share.name, watcher);
  }

  async remove(shareName: string): Promise<void> {
    await this.watchers.get(shareName)?.close();
    this.watchers.delete(shareName);
    clearTimeout(this.timers.get(shareName));
    this.timers.delete(shareName);
    this.pending.delete(shareName);
    this.failing.delete(shareName);
  }

  /** Stops every watcher and waits for the update in progress. */
  async close(): Promise<void> {
    for (const name of [...this.watchers.keys()]) await this.remove(name);
    await this.running.catch(() => {});
  }

  private queue(share: Share, p: string): void {
    let set = this.pending.get(share.name);
    if (!set) this.pending.set(share.name, (set = new Set()));
    set.add(p);
    if (this.failing.has(share.name)) return; // kept for the retry already scheduled
    clearTimeout(this.timers.get(share.name));
    this.timers.set(
      share.name,
      setTimeout(() => this.flush(share), this.options.debounceMs ?? 50),
    );
  }

  /** Changes that wait for a retry after a transient failure (a full disk), per share. */
  pendingWork(): PendingWork[] {
    return [...this.failing].map(([share, f]) => ({
      share,
      kind: 'changes' as const,
      paths: new Set([...(this.pending.get(share) ?? []), ...(this.updating.get(share) ?? [])]).size,
      error: f.error,
      attempts: f.attempts,
      retryAt: new Date(f.retryAt).toISOString(),
    }));
  }

  private flush(share: Share): void {
    const paths = [...(this.pending.get(share.name) ?? [])];
    this.pending.delete(share.name);
    this.timers.delete(share.name);
    if (paths.length === 0) return;
    this.running = this.running
      .then(() => {
        this.updating.set(share.name, paths);
        return this.indexer.update(share, paths);
      })
      .finally(() => this.updating.delete(share.name))
      .then((summary) => {
        // changes seen while a retry waited or ran were only queued: their turn now
        if (this.failing.delete(share.name) && this.pending.get(share.name)?.size && !this.timers.has(share.name)) {
          this.timers.set(share.name, setTimeout(() => this.flush(share), this.options.debounceMs ?? 50));
        }
        this.options.onUpdate?.(summary);
      })
      .catch((err) => {
        const note = isTransient(err) ? this.retryLater(share, paths, err as Error) : undefined;
        this.options.onError?.(note ? new UpdateDeferredError(`${(err as Error).message} (${note})`, { cause: err }) : (err as Error));
      });
  }

  /** Keeps the paths of a failed update and re-reads them after a back-off (what was committed before is skipped then). */
  private retryLater(share: Share, paths: string[], err: Error): string | undefined {
    if (!this.watchers.has(share.name)) return undefined;
    let set = this.pending.get(share.name);
    if (!set) this.pending.set(share.name, (set = new Set()));
    for (const p of paths) set.add(p);
    const attempts = (this.failing.get(share.name)?.attempts ?? 0) + 1;
    const wait = backoffMs(attempts, this.options.retryMs ?? 1000);
    this.failing.set(share.name, { error: err.message, attempts, retryAt: Date.now() + wait });
    clearTimeout(this.timers.get(share.name));
    this.timers.set(share.name, setTimeout(() => this.flush(share), wait));
    return `${set.size} changed path(s) of share ${share.name} kept; retry ${attempts} in ${Math.round(wait / 1000)} s`;
  }
}
