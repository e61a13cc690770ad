// Runs the endpoint's queries: in this thread (no hard time limit), or in a worker over a read replica that is killed past the limit.
import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { GraphStore } from '../graph/store.js';
import { QueryError, QueryEvaluationError } from '../graph/errors.js';
import { encodePatch } from '../graph/patch.js';
import type { QueryContext, ResultFormat, VersionVector } from '../graph/types.js';

export interface QueryResult {
  /** The serialised results in the asked format. */
  text: string;
  ms: number;
}

export class QueryTimeoutError extends Error {
  override name = 'QueryTimeoutError';
  constructor(readonly limitMs: number) {
    super(`the query ran longer than the limit of ${limitMs} ms and was stopped; narrow it (LIMIT, more specific patterns)`);
  }
}

export interface QueryRunner {
  readonly hardLimit: boolean;
  run(sparql: string, format: ResultFormat, context?: QueryContext): Promise<QueryResult>;
  close(): Promise<void>;
}

/** oxigraph in this thread: fastest; a query cannot be interrupted, so the limit is only measured and logged. */
export class InProcessRunner implements QueryRunner {
  readonly hardLimit = false;
  constructor(private readonly store: GraphStore) {}
  async run(sparql: string, format: ResultFormat, context?: QueryContext): Promise<QueryResult> {
    const t0 = performance.now();
    const out = this.store.query(sparql, { format, context });
    return { text: out.serialized ?? '', ms: performance.now() - t0 };
  }
  async close(): Promise<void> {}
}

type Reply = { id: number; ok: true; text: string } | { id: number; ok: false; name: string; message: string; reason?: string; line?: number; column?: number };

/**
 * A worker thread with its own oxigraph store: loaded from an N-Quads dump, kept current from the change log
 * (`patchesSince`) before every query, so a query sees every change acknowledged before it arrived. A query past
 * the limit gets the worker terminated (the only way to stop oxigraph mid-query) and a new replica is built.
 * Costs a second copy of the graph in memory.
 */
export class WorkerRunner implements QueryRunner {
  readonly hardLimit = true;
  private worker: Worker | undefined;
  private vv: VersionVector = {};
  /** The snapshot a paged replica reads (a paged store's; see GraphStore.pagedSnapshot). */
  private snapshotFile: string | undefined;

  /** What the replica holds: a paged view of the store's snapshot, or a whole copy (none before the first query). */
  get replica(): 'paged' | 'whole' | 'none' {
    return !this.worker ? 'none' : this.snapshotFile !== undefined ? 'paged' : 'whole';
  }
  private nextId = 1;
  private readonly pending = new Map<number, (r: Reply) => void>();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: GraphStore,
    readonly limitMs: number,
  ) {}

  run(sparql: string, format: ResultFormat, context?: QueryContext): Promise<QueryResult> {
    // one query at a time per replica: a query that times out must not take others down with it
    const job = this.queue.then(() => this.runNow(sparql, format, context));
    this.queue = job.catch(() => {});
    return job;
  }

  private async runNow(sparql: string, format: ResultFormat, context?: QueryContext): Promise<QueryResult> {
    const worker = await this.current();
    await this.catchUp(worker);
    const t0 = performance.now();
    const reply = await this.call(worker, { type: 'query', sparql, format, context }, this.limitMs);
    if (reply === 'timeout') {
      this.worker = undefined;
      await worker.terminate();
      throw new QueryTimeoutError(this.limitMs);
    }
    if (!reply.ok) {
      if (reply.name === 'QueryError') throw new QueryError(reply.reason ?? reply.message, reply.line ?? 0, reply.column ?? 0);
      if (reply.name === 'QueryEvaluationError') throw new QueryEvaluationError(reply.reason ?? reply.message);
      throw new Error(reply.message);
    }
    return { text: reply.text, ms: performance.now() - t0 };
  }

  /** Posts a message and waits for its reply (or for `limitMs`, when given). */
  private call(worker: Worker, msg: Record<string, unknown>, limitMs?: number): Promise<Reply | 'timeout'> {
    const id = this.nextId++;
    return new Promise<Reply | 'timeout'>((resolve) => {
      const timer = limitMs === undefined ? undefined : setTimeout(() => resolve('timeout'), limitMs);
      this.pending.set(id, (r) => {
        clearTimeout(timer);
        resolve(r);
      });
      worker.postMessage({ ...msg, id });
    }).finally(() => this.pending.delete(id));
  }

  /** The live worker, or a new one loaded with the whole store (its start and load are not counted against the limit). */
  private async current(): Promise<Worker> {
    if (this.worker) return this.worker;
    const worker = newWorker();
    worker.unref();
    worker.on('message', (r: Reply) => this.pending.get(r.id)?.(r));
    worker.on('error', (err) => {
      for (const [id, done] of this.pending) done({ id, ok: false, name: 'Error', message: `query worker failed: ${err.message}` });
      if (this.worker === worker) this.worker = undefined;
    });
    await this.load(worker);
    this.worker = worker;
    return worker;
  }

  /**
   * Loads the replica: a paged store's replica is paged too (its own working set over the same snapshot file,
   * then the patches since), any other a whole copy.
   */
  private async load(worker: Worker, whole = false): Promise<void> {
    let snap = whole ? null : this.store.pagedSnapshot;
    let loaded: Reply | 'timeout' = 'timeout';
    if (snap) {
      for (let tries = 0; snap && tries < 3; tries++) {
        this.vv = snap.vv;
        this.snapshotFile = snap.file;
        loaded = await this.call(worker, { type: 'paged', file: snap.file, parts: snap.parts, quads: snap.quads });
        if (loaded !== 'timeout' && loaded.ok) break;
        const next = this.store.pagedSnapshot; // a newer snapshot replaced that file meanwhile: open that one
        snap = next && next.file !== snap.file ? next : null;
      }
    } else {
      this.vv = this.store.versionVector();
      this.snapshotFile = undefined;
      loaded = await this.call(worker, { type: 'load', nquads: this.store.export('nquads') });
    }
    if (loaded !== 'timeout' && !loaded.ok) throw new Error(loaded.message);
  }

  /** Sends the patches the replica lacks (or a full reload when the log was compacted past it). */
  private async catchUp(worker: Worker, fresh = false): Promise<void> {
    // A paged store that wrote a new snapshot: the replica starts again from it (its changes since are fewer).
    if (this.snapshotFile !== undefined && this.store.pagedSnapshot?.file !== this.snapshotFile) await this.load(worker);
    const now = this.store.versionVector();
    if (sameVv(now, this.vv)) return;
    const patches = this.store.patchesSince(this.vv);
    if (patches === null) {
      // the log no longer reaches back to the replica (or, fresh from the snapshot, a full state was installed
      // since it): a paged replica starts again from the snapshot, and if that is not enough, a whole copy
      await this.load(worker, fresh);
      if (!fresh) return this.catchUp(worker, true);
      return;
    }
    this.vv = now;
    for (const p of patches) worker.postMessage({ type: 'patch', text: encodePatch(p) });
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    await w?.terminate();
  }
}

function sameVv(a: VersionVector, b: VersionVector): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

/** The compiled worker next to this file; from the TypeScript sources (tests), the .ts one through tsx. */
function newWorker(): Worker {
  const self = import.meta.url;
  if (!self.endsWith('.ts')) return new Worker(new URL('./query-worker.js', self));
  const tsx = createRequire(self).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs');
  const entry = pathToFileURL(fileURLToPath(new URL('./query-worker.ts', self))).href;
  const boot = `import(${JSON.stringify(pathToFileURL(tsx).href)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(boot, { eval: true });
}
