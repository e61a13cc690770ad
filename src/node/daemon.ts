// The running node's parts beside the store: keeps the shares described and watched; peers and devices join here.
import { ShareWatcher, type ScanSummary } from '../library/index.js';
import type { SemsyncNode } from './node.js';

export interface DaemonEvents {
  onScan?: (summary: ScanSummary) => void;
  onError?: (where: string, err: Error) => void;
}

export class NodeDaemon {
  private watcher: ShareWatcher | undefined;
  private started = false;

  constructor(
    readonly node: SemsyncNode,
    private readonly events: DaemonEvents = {},
  ) {}

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.watcher = new ShareWatcher(this.node.indexer, {
      onUpdate: (s) => this.events.onScan?.(s),
      onError: (err) => this.events.onError?.('watch', err),
    });
    // Watch first, then scan: a change made during the scan is not missed.
    for (const share of this.node.shares()) await this.watcher.add(share);
    for (const summary of await this.node.scan(undefined)) this.events.onScan?.(summary);
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    await this.watcher?.close();
  }
}
