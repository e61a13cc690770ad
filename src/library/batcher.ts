// Accumulates described files and hands them to the indexer's commit in batches, without stalling the walk.
import type { DescribeResult } from './describe.js';
import type { ScanSummary } from './summary.js';
import type { Share } from './quads.js';
import type { WalkEntry } from './walk.js';

export interface BatchItem {
  entry: WalkEntry;
  result: DescribeResult;
  existed: boolean;
}

export interface BatchCommitter {
  commitBatch(share: Share, items: BatchItem[], report?: (e: { path: string; message: string }) => void): Promise<void>;
}

/** Accumulates described files and commits them in batches. */
export class Batcher {
  private items: BatchItem[] = [];
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();
  /** Batches handed to the chain and not committed yet. */
  private queued = 0;

  constructor(
    private readonly indexer: BatchCommitter,
    private readonly share: Share,
    private readonly summary: ScanSummary,
    private readonly report: (e: { path: string; message: string }) => void,
    private readonly size: number,
    private readonly ms: number,
  ) {}

  /** Resolves at once unless two batches already wait for their commit (then when one is done). */
  add(entry: WalkEntry, result: DescribeResult, existed: boolean): Promise<void> {
    if (existed) this.summary.changed++;
    else this.summary.added++;
    for (const message of result.errors) this.report({ path: entry.path, message });
    this.items.push({ entry, result, existed });
    if (this.items.length >= this.size) {
      const done = this.flush();
      if (this.queued > 2) return done;
      done.catch(() => {}); // a failure resurfaces at the final flush
      return Promise.resolve();
    }
    this.timer ??= setTimeout(() => this.flush().catch(() => {}), this.ms); // a failure resurfaces at the final flush
    return Promise.resolve();
  }

  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const items = this.items;
    this.items = [];
    if (items.length > 0) {
      this.queued++;
      this.chain = this.chain.then(() => this.indexer.commitBatch(this.share, items, this.report)).finally(() => this.queued--);
    }
    return this.chain;
  }
}

