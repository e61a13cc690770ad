// The DAV server's background pass (every account's listings made before a client asks): when it runs after the
// server starts and after the store's commits, and how much of the time it may take while commits keep coming.

export interface BackgroundOptions {
  /** After the server is made (negative: never, and never after commits either). */
  startMs: number;
  /** After a commit; commits within it share one pass. */
  afterCommitMs: number;
  /** The store's commit events, when it has them. */
  events?: { on(e: 'commit', fn: () => void): () => void };
  log?: (msg: string, fields?: Record<string, unknown>) => void;
}

/** Runs `pass` once after start and once after each burst of commits; never two at once (passes are queued). */
export class BackgroundPass {
  private timer: NodeJS.Timeout | undefined;
  private readonly stop: (() => void) | undefined;
  /** How long the last pass took: the next one after a commit waits at least four times that (at most 5 s). */
  private lastMs = 0;

  constructor(private readonly pass: () => Promise<void>, private readonly opts: BackgroundOptions) {
    if (opts.startMs < 0) return;
    this.schedule(opts.startMs);
    // At most ~20% of the time goes to passes while commits keep coming (a peer's long sync).
    this.stop = opts.events?.on('commit', () => this.schedule(Math.max(opts.afterCommitMs, Math.min(5_000, 4 * this.lastMs))));
  }

  private schedule(ms: number): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const t0 = performance.now();
      this.pass()
        .catch((err: Error) => this.opts.log?.('dav: background listing failed', { err: err.message }))
        .finally(() => (this.lastMs = performance.now() - t0));
    }, ms);
    this.timer.unref?.();
  }

  close(): void {
    clearTimeout(this.timer);
    this.stop?.();
  }
}
