// Runs the node's untrusted queries (the endpoint's, and `semsync query` through a running node): in this thread (no
// limits), or in a small pool of workers, each over its own read replica, with a bounded queue, a time limit from the
// moment a query arrives, a memory limit and a result size limit; a worker stopped for any of them is replaced. A
// query with SERVICE is recognised there too, and handed back to be federated.
import type { GraphStore } from '../graph/index.js';
import { QueryError, QueryEvaluationError } from '../graph/index.js';
import type { QueryContext, ResultFormat } from '../graph/types.js';
import { FederationError, serviceUrls } from '../graph/index.js';
import { availableParallelism } from 'node:os';
import { Replica, type Reply } from './query-replica.js';
import { CheapQueries } from './query-runner-cheap.js';
import { QueryAbortedError, QueryMemoryError, QueryQueueFullError, QueryResultTooLargeError, QueryTimeoutError } from './query-errors.js';

export interface QueryResult {
  /** The serialised results in the asked format. */
  text: string;
  ms: number;
  /** Not run: the query has SERVICE clauses (these endpoints) and is the caller's to federate. */
  services?: string[];
}

export interface RunOptions {
  /** This query's time limit in ms, counted from its arrival (default: the runner's). */
  timeoutMs?: number;
  /** Aborted when the client went away: the query is dropped from the queue, or stopped. */
  signal?: AbortSignal;
  /** The Protocol's dataset (default-graph-uri, named-graph-uri) and the base IRI for relative IRIs. */
  context?: QueryContext;
  /** Federate a query with SERVICE in the worker (comunica over the replica); otherwise its endpoints come back. */
  federate?: boolean;
}

export { QueryTimeoutError, QueryQueueFullError, QueryAbortedError, QueryMemoryError, QueryResultTooLargeError, REFUSED } from './query-errors.js';

export interface RunnerStats {
  /** Queries waiting, and running (at most the pool's size). */
  queued: number;
  running: number;
  /** Of the running, those in their worker (the others wait for their replica to load). */
  querying: number;
  /** Workers alive (each holds a replica), and the most queries that were ever in their workers at once. */
  workers: number;
  peakRunning: number;
  /** Workers stopped because they were idle while another was alive (not counted in `replaced`). */
  idleStopped: number;
  /** Workers started, and why earlier ones were replaced. */
  workersStarted: number;
  replaced: { timeout: number; memory: number; aborted: number; crashed: number; recycled: number };
  /** Queries refused because the queue was full, and dropped because their client left or their time ran out while waiting. */
  refused: number;
  dropped: number;
  /** Queries answered in the node's thread, known cheap on the same data (query-runner-cheap.ts). */
  inThread: number;
}

export interface QueryRunner {
  readonly hardLimit: boolean;
  run(sparql: string, format: ResultFormat, opts?: RunOptions): Promise<QueryResult>;
  stats?(): RunnerStats;
  close(): Promise<void>;
}

/** oxigraph in this thread: fastest; a query cannot be interrupted, so the limit is only measured and logged. */
export class InProcessRunner implements QueryRunner {
  readonly hardLimit = false;
  constructor(private readonly store: GraphStore) {}
  async run(sparql: string, format: ResultFormat, opts: RunOptions = {}): Promise<QueryResult> {
    const t0 = performance.now();
    const services = serviceUrls(sparql);
    if (services.length) return { text: '', ms: 0, services };
    const out = this.store.query(sparql, { format, context: opts.context });
    return { text: out.serialized ?? '', ms: performance.now() - t0 };
  }
  async close(): Promise<void> {}
}


export interface WorkerRunnerOptions {
  /** Queries that may wait while every worker is busy (default 16); past it a query is refused at once. */
  maxQueue?: number;
  /** How much the process may grow while one query runs, in MB (default 1024). */
  memoryMb?: number;
  /** The largest serialised result, in bytes (default 64 MiB). */
  maxResultBytes?: number;
  /** A worker whose memory grew by more than this many MB over its loaded size is replaced after its query (default 256). */
  recycleMb?: number;
  /** Most workers (each its own replica) running queries at once; started only when queries wait (default: see defaultWorkers). */
  workers?: number;
  /** A worker idle this long while another is alive is stopped, giving its replica's memory back (default 60 s). */
  idleMs?: number;
  /**
   * A query text a replica answered in under this many ms is answered in the node's thread while the data is the
   * same (no worker hop; query-runner-cheap.ts). Default 1; 0: every query in a worker.
   */
  cheapMs?: number;
}

/** The pool's default size: $SEMSYNC_QUERY_WORKERS, else min(available cores, 4) (docs/decisions.md, "Query workers"). */
export function defaultWorkers(): number {
  const env = Number(process.env.SEMSYNC_QUERY_WORKERS);
  if (Number.isInteger(env) && env >= 1) return env;
  return Math.max(1, Math.min(availableParallelism(), 4));
}

interface Job {
  sparql: string;
  format: ResultFormat;
  context?: QueryContext;
  federate?: boolean;
  limitMs: number;
  /** Aborted with 'timeout' when its time (from arrival) is up, 'aborted' when its client left. */
  stop: AbortController;
  resolve(r: QueryResult): void;
  reject(e: Error): void;
  cleanup(): void;
  /** Stops its clock (while a new replica loads: not the query's doing); the returned function restarts it. */
  pause(): () => void;
}

/** One place in the pool: the replica it holds (none before its first query, or after one was retired) and its query. */
interface Slot {
  replica?: Replica;
  job?: Job;
  /** The job is in the worker (its replica loaded and current). */
  querying?: boolean;
  /** Stops the replica once it has been idle for `idleMs` (a pool shrinks back when queries stop coming at once). */
  idle?: NodeJS.Timeout;
}

/**
 * Queries in a small pool of worker threads, each with its own oxigraph replica (query-replica.ts), so a query can be
 * stopped (by terminating its worker) without touching the node's store or the other queries. A worker is started
 * only when a query waits and every started one is busy, up to `workers`. The time limit counts from arrival, so a
 * query that waited its whole limit is dropped unrun; a query whose client left is dropped, or stopped if running.
 * A stopped, crashed or grown worker is replaced; the new one loads from disk in its own thread.
 */
export class WorkerRunner implements QueryRunner {
  readonly hardLimit = true;
  private readonly slots: Slot[];
  private readonly waiting: Job[] = [];
  private closed = false;
  private readonly cheap: CheapQueries;
  private readonly counts: Omit<RunnerStats, 'queued' | 'running' | 'querying' | 'workers' | 'inThread'> = {
    workersStarted: 0,
    replaced: { timeout: 0, memory: 0, aborted: 0, crashed: 0, recycled: 0 },
    refused: 0,
    dropped: 0,
    peakRunning: 0,
    idleStopped: 0,
  };

  constructor(
    private readonly store: GraphStore,
    readonly limitMs: number,
    private readonly opts: WorkerRunnerOptions = {},
  ) {
    const size = opts.workers ?? defaultWorkers();
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`the query pool needs at least one worker, not ${size}`);
    this.slots = Array.from({ length: size }, () => ({}));
    this.cheap = new CheapQueries(store, opts.cheapMs ?? 1, opts.maxResultBytes ?? 64 << 20);
  }

  /** Most queries that run at once. */
  get size(): number {
    return this.slots.length;
  }

  /** What the replicas hold: a paged view of the store's snapshot, or a whole copy (none before the first query). */
  get replica(): 'paged' | 'whole' | 'none' {
    const live = this.slots.find((s) => s.replica?.alive);
    return live?.replica ? live.replica.kind : 'none';
  }

  get memoryMb(): number {
    return this.opts.memoryMb ?? 1024;
  }

  stats(): RunnerStats {
    const running = this.slots.filter((s) => s.job).length;
    const querying = this.slots.filter((s) => s.querying).length;
    const workers = this.slots.filter((s) => s.replica?.alive).length;
    return { queued: this.waiting.length, running, querying, workers, ...structuredClone(this.counts), inThread: this.cheap.ran };
  }

  run(sparql: string, format: ResultFormat, opts: RunOptions = {}): Promise<QueryResult> {
    const limitMs = opts.timeoutMs ?? this.limitMs;
    if (opts.signal?.aborted) return Promise.reject(new QueryAbortedError());
    try {
      const known = this.cheap.run(sparql, format, opts.context);
      if (known) return Promise.resolve(known);
    } catch (err) {
      return Promise.reject(err as Error);
    }
    const max = this.opts.maxQueue ?? 16;
    if (this.waiting.length >= max && !this.idleSlot()) {
      this.counts.refused++;
      return Promise.reject(new QueryQueueFullError(max, Math.max(1, Math.ceil(limitMs / 1000))));
    }
    return new Promise<QueryResult>((resolve, reject) => {
      const stop = new AbortController();
      let deadline = Date.now() + limitMs; // from arrival, not from when it starts
      let timer: NodeJS.Timeout | undefined;
      const arm = () => (timer = setTimeout(() => stop.abort('timeout'), Math.max(0, deadline - Date.now())));
      arm();
      const left = () => stop.abort('aborted');
      opts.signal?.addEventListener('abort', left, { once: true });
      const cleanup = () => {
        clearTimeout(timer);
        opts.signal?.removeEventListener('abort', left);
      };
      const pause = () => {
        clearTimeout(timer);
        const at = Date.now();
        return () => {
          deadline += Date.now() - at;
          if (!stop.signal.aborted) arm();
        };
      };
      const job: Job = { sparql, format, context: opts.context, federate: opts.federate, limitMs, stop, resolve, reject, cleanup, pause };
      stop.signal.addEventListener('abort', () => this.dropIfWaiting(job), { once: true });
      this.waiting.push(job);
      this.pump();
    });
  }

  private dropIfWaiting(job: Job): void {
    const i = this.waiting.indexOf(job);
    if (i < 0) return; // running: the replica stops it
    this.waiting.splice(i, 1);
    this.counts.dropped++;
    job.cleanup();
    job.reject(job.stop.signal.reason === 'timeout' ? new QueryTimeoutError(job.limitMs, true) : new QueryAbortedError());
  }

  /** A free slot: one whose replica is loaded first (no new worker while a started one is idle), else an empty one. */
  private idleSlot(): Slot | undefined {
    const free = this.slots.filter((s) => !s.job);
    return free.find((s) => s.replica?.alive) ?? free[0];
  }

  private pump(): void {
    for (let slot = this.idleSlot(); slot && this.waiting.length && !this.closed; slot = this.idleSlot()) {
      const job = this.waiting.shift()!;
      const taken = slot;
      taken.job = job;
      clearTimeout(taken.idle);
      // the slot is free before the caller hears back, so a caller asking again at once gets this worker, not a new one
      const settle = (done: () => void) => {
        job.cleanup();
        taken.job = undefined;
        taken.querying = false;
        done();
        this.pump();
        if (!taken.job) this.idleLater(taken);
      };
      this.execute(job, taken).then(
        (r) => settle(() => job.resolve(r)),
        (e: Error) => settle(() => job.reject(e)),
      );
    }
  }

  private async execute(job: Job, slot: Slot): Promise<QueryResult> {
    const replica = await this.ready(job, slot);
    slot.querying = true;
    this.counts.peakRunning = Math.max(this.counts.peakRunning, this.slots.filter((s) => s.querying).length);
    const t0 = performance.now();
    const at = replica.version; // what the replica holds as the query is posted (its patches went first)
    const reply = await replica.query(job.sparql, job.format, job.stop.signal, job.context, job.federate ? { timeoutMs: job.limitMs } : undefined);
    if ('stopped' in reply) {
      this.retire(slot, replica, reply.stopped);
      if (reply.stopped === 'timeout') throw new QueryTimeoutError(job.limitMs);
      if (reply.stopped === 'aborted') throw new QueryAbortedError();
      if (reply.stopped === 'memory') throw new QueryMemoryError(this.memoryMb);
      throw new Error('message' in reply ? reply.message : 'the query worker stopped');
    }
    // a wasm instance that failed inside (a panic) may be broken; one that grew keeps that memory: start afresh
    if (!reply.ok && reply.broken) this.retire(slot, replica, 'crashed');
    else if (((reply.external ?? 0) - replica.loadedExternal) / (1 << 20) > (this.opts.recycleMb ?? 256)) this.retire(slot, replica, 'recycled');
    if (!reply.ok) throw replyError(reply);
    this.cheap.note(job.sparql, job.format, job.context, { ms: reply.ms ?? Infinity, bytes: reply.text.length, at, services: Boolean(reply.services) });
    return { text: reply.text, ms: performance.now() - t0, ...(reply.services && { services: reply.services }) };
  }

  /** The slot's replica, loaded and current (a new one when there is none, or it cannot catch up). */
  private async ready(job: Job, slot: Slot): Promise<Replica> {
    for (let tries = 0; ; tries++) {
      if (!slot.replica?.alive) {
        this.counts.workersStarted++;
        slot.replica = new Replica(this.store, { memoryMb: this.memoryMb, maxResultBytes: this.opts.maxResultBytes ?? 64 << 20 });
      }
      const r = slot.replica;
      // The load does not count against the query's time; a client that leaves meanwhile drops its query, not the load.
      const resume = job.pause();
      try {
        await untilStopped(r.ready, job);
      } catch (err) {
        if (!job.stop.signal.aborted) this.retire(slot, r, 'crashed');
        throw err;
      } finally {
        resume();
      }
      // the patches up to the store's version now (every commit acknowledged before this query) go before the query
      if (await r.catchUp()) return r;
      this.retire(slot, r, 'recycled'); // the log no longer reaches back to it (a full state since): a new replica
      if (tries >= 1) throw new Error('the query replica cannot catch up with the change log');
    }
  }

  /** Stops the slot's replica after `idleMs` unused, unless it is the only one alive (the next query needs no load). */
  private idleLater(slot: Slot): void {
    clearTimeout(slot.idle);
    slot.idle = setTimeout(() => {
      const r = slot.replica;
      if (slot.job || !r || this.slots.every((s) => s === slot || !s.replica?.alive)) return;
      slot.replica = undefined;
      this.counts.idleStopped++;
      void r.terminate();
    }, this.opts.idleMs ?? 60_000);
    slot.idle.unref();
  }

  private retire(slot: Slot, r: Replica, why: keyof RunnerStats['replaced']): void {
    if (slot.replica === r) slot.replica = undefined;
    this.counts.replaced[why]++;
    void r.terminate();
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.waiting.splice(0)) {
      job.cleanup();
      job.reject(new QueryAbortedError());
    }
    const live = this.slots.map((s) => s.replica).filter((r): r is Replica => r !== undefined);
    for (const s of this.slots) {
      clearTimeout(s.idle);
      s.replica = undefined;
    }
    await Promise.all(live.map((r) => r.terminate()));
  }
}

/** `p`, or the job's own error when it is stopped first (p goes on). */
function untilStopped<T>(p: Promise<T>, job: Job): Promise<T> {
  const signal = job.stop.signal;
  const stopped = () => (signal.reason === 'timeout' ? new QueryTimeoutError(job.limitMs) : new QueryAbortedError());
  if (signal.aborted) return Promise.reject(stopped());
  return new Promise<T>((resolve, reject) => {
    const onStop = () => reject(stopped());
    signal.addEventListener('abort', onStop, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onStop));
  });
}

function replyError(reply: Extract<Reply, { ok: false }>): Error {
  if (reply.name === 'QueryError') return new QueryError(reply.reason ?? reply.message, reply.line ?? 0, reply.column ?? 0);
  if (reply.name === 'QueryEvaluationError') return new QueryEvaluationError(reply.reason ?? reply.message);
  if (reply.name === 'QueryResultTooLargeError') return new QueryResultTooLargeError(reply.message);
  if (reply.name === 'FederationError') return new FederationError(reply.message, reply.services ?? [], reply.timedOut);
  return new Error(reply.message);
}
