// Keeps shares current while running: chokidar events, debounced, handed to the indexer as paths to re-read.
import type { Stats } from 'node:fs';
import path from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import type { Indexer, ScanSummary } from './indexer.js';
import type { Share } from './quads.js';
import { isIgnoredName, isSemsyncHome } from './walk.js';

export interface WatchOptions {
  /** Quiet time after the last event before the changed paths are re-read. */
  debounceMs?: number;
  onUpdate?: (summary: ScanSummary) => void;
  onError?: (err: Error) => void;
}

export class ShareWatcher {
  private readonly watchers = new Map<string, FSWatcher>();
  private readonly pending = new Map<string, Set<string>>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private running: Promise<unknown> = Promise.resolve();

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
    clearTimeout(this.timers.get(share.name));
    this.timers.set(
      share.name,
      setTimeout(() => this.flush(share), this.options.debounceMs ?? 50),
    );
  }

  private flush(share: Share): void {
    const paths = [...(this.pending.get(share.name) ?? [])];
    this.pending.delete(share.name);
    this.timers.delete(share.name);
    if (paths.length === 0) return;
    this.running = this.running
      .then(() => this.indexer.update(share, paths))
      .then((summary) => this.options.onUpdate?.(summary))
      .catch((err) => this.options.onError?.(err as Error));
  }
}
