// A small pool of worker threads that describe files, so a scan uses every core; in-process when size is 0.
import os from 'node:os';
import { type Worker } from 'node:worker_threads';
import { startWorker } from '../base/index.js';
import type { DescribeResult, DescribeTask } from './describe.js';

interface Pending {
  resolve: (r: DescribeResult) => void;
  reject: (e: Error) => void;
}

export class DescribePool {
  private readonly workers: Worker[] = [];
  private readonly queue: Array<{ id: number; task: DescribeTask }> = [];
  private readonly pending = new Map<number, Pending>();
  /** Per worker, the ids of the tasks it holds: a few at once, so it extracts one file while others are read. */
  private readonly busy = new Map<Worker, Set<number>>();
  private nextId = 1;

  /** `size` workers (default: one per core), started at the first file; 0 runs in this thread. */
  constructor(
    readonly size = defaultPoolSize(),
    private readonly perWorker = 4,
  ) {}

  describe(task: DescribeTask): Promise<DescribeResult> {
    if (this.size === 0) return import('./describe.js').then((m) => m.describeFile(task));
    while (this.workers.length < this.size) this.spawn();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.queue.push({ id, task });
      this.pump();
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
    this.workers.length = 0;
    for (const p of this.pending.values()) p.reject(new Error('describe pool closed'));
    this.pending.clear();
  }

  private spawn(): void {
    const worker = startWorker(new URL('./worker.js', import.meta.url));
    worker.unref();
    const held = new Set<number>();
    worker.on('message', (msg: { id: number; result?: DescribeResult; error?: string }) => {
      const p = this.pending.get(msg.id);
      this.pending.delete(msg.id);
      held.delete(msg.id);
      if (p) {
        if (msg.result) p.resolve(msg.result);
        else p.reject(new Error(msg.error ?? 'worker failed'));
      }
      this.pump();
    });
    worker.on('error', (err) => {
      // A worker that dies fails its tasks; a new worker takes its place.
      this.busy.delete(worker);
      this.workers.splice(this.workers.indexOf(worker), 1);
      for (const id of held) {
        this.pending.get(id)?.reject(err);
        this.pending.delete(id);
      }
      this.spawn();
      this.pump();
    });
    this.workers.push(worker);
    this.busy.set(worker, held);
  }

  private pump(): void {
    while (this.queue.length > 0) {
      // The least loaded worker, if it has room.
      let best: Worker | undefined;
      let load = this.perWorker;
      for (const w of this.workers) {
        const n = this.busy.get(w)!.size;
        if (n < load) (best = w), (load = n);
      }
      if (!best) break;
      const job = this.queue.shift()!;
      this.busy.get(best)!.add(job.id);
      best.ref();
      best.postMessage(job);
    }
    for (const w of this.workers) if (this.busy.get(w)!.size === 0) w.unref();
  }
}

export function defaultPoolSize(): number {
  return Math.max(1, Math.min(os.availableParallelism(), 8));
}
