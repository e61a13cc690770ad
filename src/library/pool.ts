// A small pool of worker threads that describe files, so a scan uses every core; in-process when size is 0.
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import type { DescribeResult, DescribeTask } from './describe.js';

interface Pending {
  resolve: (r: DescribeResult) => void;
  reject: (e: Error) => void;
}

export class DescribePool {
  private readonly workers: Worker[] = [];
  private readonly idle: Worker[] = [];
  private readonly queue: Array<{ id: number; task: DescribeTask }> = [];
  private readonly pending = new Map<number, Pending>();
  private readonly busy = new Map<Worker, number>();
  private nextId = 1;

  /** `size` workers (default: one per core), started at the first file; 0 runs in this thread. */
  constructor(readonly size = defaultPoolSize()) {}

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
    const worker = newWorker();
    worker.unref();
    worker.on('message', (msg: { id: number; result?: DescribeResult; error?: string }) => {
      const p = this.pending.get(msg.id);
      this.pending.delete(msg.id);
      this.busy.delete(worker);
      this.idle.push(worker);
      if (p) {
        if (msg.result) p.resolve(msg.result);
        else p.reject(new Error(msg.error ?? 'worker failed'));
      }
      this.pump();
    });
    worker.on('error', (err) => {
      // A worker that dies fails its task; a new worker takes its place.
      const id = this.busy.get(worker);
      this.busy.delete(worker);
      this.workers.splice(this.workers.indexOf(worker), 1);
      const idx = this.idle.indexOf(worker);
      if (idx >= 0) this.idle.splice(idx, 1);
      if (id !== undefined) {
        this.pending.get(id)?.reject(err);
        this.pending.delete(id);
      }
      this.spawn();
      this.pump();
    });
    this.workers.push(worker);
    this.idle.push(worker);
  }

  private pump(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const worker = this.idle.pop()!;
      const job = this.queue.shift()!;
      this.busy.set(worker, job.id);
      worker.ref();
      worker.postMessage(job);
    }
    if (this.queue.length === 0 && this.busy.size === 0) for (const w of this.workers) w.unref();
  }
}

export function defaultPoolSize(): number {
  return Math.max(1, Math.min(os.availableParallelism(), 8));
}

/** The compiled worker next to this file; when running from the TypeScript sources (tests), the .ts one through tsx. */
function newWorker(): Worker {
  const self = import.meta.url;
  if (!self.endsWith('.ts')) return new Worker(new URL('./worker.js', self));
  const tsx = createRequire(self).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs');
  const entry = new URL('./worker.ts', self).href;
  const boot = `import(${JSON.stringify(pathToFileURL(tsx).href)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(boot, { eval: true });
}
