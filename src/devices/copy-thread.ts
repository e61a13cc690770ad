// A copy thread: small local files written, synced and renamed on a worker thread, so the placing thread can plan,
// keep the catalog and report progress while the device's syscalls run. Same batch semantics as copyBatchSync.
import type { Worker } from 'node:worker_threads';
import { startWorker } from '../base/index.js';
import type { CopyReply, CopyRequest, RawOutcome, ThreadItem } from './copy-protocol.js';
import { FailureError } from '../base/index.js';

export type { ThreadItem } from './copy-protocol.js';

export type ThreadOutcome =
  | { ok: true; size: number }
  | { ok: false; notStaged: true }
  | { ok: false; error: Error & { code?: string }; retryAsync?: 'no-source' }
  | { ok: false; notTried: true };

/** The copy thread died (it failed to start or crashed): what it was given is reported failed with this. */
export class CopyThreadError extends FailureError {
  override readonly name = 'CopyThreadError';
}

/**
 * A worker thread that runs copy batches in the order they are sent. After a device error (or {@link stop}) it
 * tries nothing more: every later item comes back `notTried`. Close it when done.
 */
export class CopyThread {
  private readonly worker: Worker;
  private readonly stopFlag = new Int32Array(new SharedArrayBuffer(4));
  private readonly waiting = new Map<number, (out: ThreadOutcome[]) => void>();
  private readonly taken = new Map<number, (batch: number, out: ThreadOutcome[]) => void>();
  private seq = 0;
  private exited: Error | undefined;

  constructor(private readonly fsync: boolean) {
    this.worker = startWorker(new URL('./copy-worker.js', import.meta.url), { workerData: { stop: this.stopFlag.buffer } });
    this.worker.unref();
    this.worker.on('message', (m: CopyReply) => {
      if ('staged' in m) {
        const done = this.waiting.get(m.id);
        this.waiting.delete(m.id);
        return done?.(Array.from(m.staged, (ok): ThreadOutcome => (ok ? { ok: true, size: 0 } : { ok: false, notTried: true })));
      }
      if ('batch' in m) return this.taken.get(m.id)?.(m.batch, m.out.map(revive));
      this.taken.delete(m.id);
      const done = this.waiting.get(m.id);
      this.waiting.delete(m.id);
      done?.(m.out.map(revive));
    });
    const gone = (e: Error) => {
      this.exited ??= e;
      for (const [id, done] of this.waiting) {
        this.waiting.delete(id);
        done([]);
      }
    };
    this.worker.on('error', (e) => gone(new CopyThreadError(`the copy thread failed: ${e.message}`, { cause: e })));
    this.worker.on('exit', (code) => gone(new CopyThreadError(`the copy thread exited (code ${code})`)));
  }

  /**
   * Run a batch; resolves with one outcome per item (items the thread did not get to are `notTried`; if the thread
   * died, every item not done fails with a CopyThreadError, which stops a run like a device error).
   */
  run(items: ThreadItem[]): Promise<ThreadOutcome[]> {
    const died = (): ThreadOutcome[] => items.map(() => ({ ok: false, error: this.exited! }));
    if (this.exited) return Promise.resolve(died());
    const id = this.seq++;
    return new Promise((resolve) => {
      this.waiting.set(id, (out) => resolve(out.length === items.length ? out : died()));
      this.worker.postMessage({ t: 'batch', id, items, fsync: this.fsync } satisfies CopyRequest);
    });
  }

  /**
   * Once done with what was sent before, rename staged files onto their targets (batch `b`: `tmp`/`target`/`sizes` from
   * `ends[b - 1]` to `ends[b]`), batch by batch from the last, claiming each in `claims` (0: free; the caller claims
   * from the first up with 1, the thread takes 2) and stopping at the first batch the caller holds. `onBatch` gets
   * each taken batch's outcomes (`notStaged`: its staging had failed, nothing was done). The message is built at once
   * and sent by `send()` (once the pending list is durable), which resolves when the thread stops taking.
   */
  take(
    tmp: string[],
    target: string[],
    sizes: Float64Array,
    ends: Int32Array,
    claims: Int32Array,
    onBatch: (batch: number, out: ThreadOutcome[]) => void,
  ): { send: () => Promise<void> } {
    if (this.exited) return { send: () => Promise.resolve() };
    const id = this.seq++;
    // Columns joined by NUL (no path holds one): strings cross threads as a copy, objects do not.
    const msg: CopyRequest = { t: 'take', id, flags: claims.buffer as SharedArrayBuffer, ends, tmp: tmp.join('\0'), target: target.join('\0'), sizes };
    const send = () =>
      new Promise<void>((resolve) => {
        if (this.exited) return resolve();
        this.taken.set(id, onBatch);
        this.waiting.set(id, () => resolve());
        this.worker.postMessage(msg);
      });
    return { send };
  }

  /**
   * Stage files (make `dir`, write and sync each `tmps[i]` in it from `sources[i]`, checked against `sizes[i]`; no rename): resolves
   * with whether each is staged. Columns, not objects: they cross threads cheaper.
   */
  stage(dir: string, sources: string[], tmps: string[], sizes: number[], hashes: string[] = [], mtimes: number[] = []): Promise<boolean[]> {
    if (this.exited) return Promise.resolve(sources.map(() => false));
    const id = this.seq++;
    return new Promise((resolve) => {
      this.waiting.set(id, (out) => resolve(sources.map((_, i) => out[i]?.ok === true)));
      this.worker.postMessage({ t: 'stage', id, dir, sources: sources.join('\0'), tmps: tmps.join('\0'), sizes: Float64Array.from(sizes), hashes: hashes.join('\0'), mtimes: Float64Array.from(sources, (_, i) => mtimes[i] ?? NaN), fsync: this.fsync } satisfies CopyRequest);
    });
  }

  /** Batches not yet answered. */
  get inFlight(): number {
    return this.waiting.size;
  }

  /** Stop after the file in hand: queued items come back `notTried`. */
  stop(): void {
    Atomics.store(this.stopFlag, 0, 1);
  }

  get stopped(): boolean {
    return Atomics.load(this.stopFlag, 0) === 1;
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}

function revive(o: RawOutcome): ThreadOutcome {
  if (o.ok || 'notTried' in o || 'notStaged' in o) return o;
  const e = Object.assign(new Error(o.error.message), o.error.code ? { code: o.error.code } : {}) as Error & { code?: string };
  e.name = o.error.name;
  return { ok: false, error: e, ...(o.retryAsync ? { retryAsync: o.retryAsync } : {}) };
}
