// The running node's parts beside the store: keeps the shares described and watched; peers and devices join here.
import { ShareWatcher, type ScanSummary } from '../library/index.js';
import type { ShareConfig } from './config.js';
import type { SemsyncNode } from './node.js';

export interface DaemonEvents {
  onScan?: (summary: ScanSummary) => void;
  onError?: (where: string, err: Error) => void;
}

export class NodeDaemon {
  private watcher: ShareWatcher | undefined;
  private readonly abort = new AbortController();
  private work: Promise<unknown> = Promise.resolve();
  private started = false;
  private readonly onShareAdded = (s: ShareConfig) => this.follow(s.name);
  private readonly onShareRemoved = (name: string) => void this.watcher?.remove(name);

  constructor(
    readonly node: SemsyncNode,
    private readonly events: DaemonEvents = {},
  ) {}

  /** Watches every share, then scans them; resolves when the first scan is done. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.watcher = new ShareWatcher(this.node.indexer, {
      onUpdate: (s) => this.events.onScan?.(s),
      onError: (err) => this.events.onError?.('watch', err),
    });
    this.node.on('share-added', this.onShareAdded);
    this.node.on('share-removed', this.onShareRemoved);
    // Watch first, then scan: a change made during the scan is not missed.
    for (const share of this.node.shares()) await this.watcher.add(share);
    this.work = this.node.scan(undefined, undefined, this.abort.signal).then((all) => all.forEach((s) => this.events.onScan?.(s)));
    await this.work;
  }

  /** Stops watching and interrupts a scan in progress (what it read so far is kept). */
  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    this.abort.abort();
    this.node.off('share-added', this.onShareAdded);
    this.node.off('share-removed', this.onShareRemoved);
    await this.work.catch(() => {});
    await this.watcher?.close();
  }

  private follow(name: string): void {
    const share = this.node.share(name);
    this.work = this.work
      .then(async () => {
        await this.watcher?.add(share);
        const [summary] = await this.node.scan([name], undefined, this.abort.signal);
        if (summary) this.events.onScan?.(summary);
      })
      .catch((err) => this.events.onError?.('scan', err as Error));
  }
}
