// One query worker and its read replica of the graph: started with memory limits, loaded without the node's thread
// doing the work (from the store's own snapshot on disk, or a paged store's snapshot), kept current with patches.
import type { Worker } from 'node:worker_threads';
import { startWorker } from '../base/index.js';
import type { GraphStore } from '../graph/index.js';
import { encodePatch } from '../graph/index.js';
import { vv } from '../graph/index.js';
import type { QueryContext, ResultFormat, VersionVector } from '../graph/types.js';

export type Reply =
  | { id: number; ok: true; text: string; external?: number; vv?: VersionVector; services?: string[]; ms?: number }
  | { id: number; ok: false; name: string; message: string; reason?: string; line?: number; column?: number; external?: number; broken?: boolean; services?: string[]; timedOut?: boolean };

/** How a query call ended when the worker did not answer it: stopped by the caller, over the memory limit, or the worker died. */
export type Stopped = { stopped: 'timeout' | 'aborted' | 'memory' } | { stopped: 'crashed'; message: string };

export interface ReplicaLimits {
  /** How much the process may grow while one query runs (MB): past it the worker is terminated. */
  memoryMb: number;
  /** The largest serialised result (bytes). */
  maxResultBytes: number;
}

/** How often the process's memory is looked at while a query runs. */
const WATCH_MS = 50;

/** The process's resident memory, read at most once a millisecond (reading it costs tens of µs on a loaded machine). */
let rssAt = 0;
let rssLast = 0;
function rss(): number {
  const now = performance.now();
  if (now - rssAt >= 1) {
    rssLast = process.memoryUsage.rss();
    rssAt = now;
  }
  return rssLast;
}

export class Replica {
  readonly worker: Worker;
  /** The patches the replica holds. */
  private vv: VersionVector = {};
  /** The snapshot a paged replica reads (a paged store's; see GraphStore.pagedSnapshot). */
  private snapshotFile: string | undefined;
  /** The worker's memory outside its JS heap (oxigraph's wasm memory) once loaded: what a query grows it from. */
  loadedExternal = 0;
  private nextId = 1;
  private readonly pending = new Map<number, (r: Reply | Stopped) => void>();
  private dead: Stopped | undefined;
  readonly ready: Promise<void>;

  constructor(
    private readonly store: GraphStore,
    private readonly limits: ReplicaLimits,
  ) {
    // The JS heap is bounded (results and patches pass through it); oxigraph's wasm memory is watched per query.
    const heapMb = Math.max(256, Math.min(4096, limits.memoryMb + Math.ceil(limits.maxResultBytes / (1 << 20)) * 3));
    this.worker = startWorker(new URL('./query-worker.js', import.meta.url), { resourceLimits: { maxOldGenerationSizeMb: heapMb } });
    this.worker.unref();
    this.worker.on('message', (r: Reply) => this.pending.get(r.id)?.(r));
    const die = (message: string) => {
      if (this.dead) return;
      this.dead = { stopped: 'crashed', message };
      for (const done of this.pending.values()) done(this.dead);
    };
    this.worker.on('error', (err: Error & { code?: string }) =>
      die(err.code === 'ERR_WORKER_OUT_OF_MEMORY' ? `the query worker ran out of memory (its heap limit is ${heapMb} MB)` : `the query worker failed: ${err.message}`),
    );
    this.worker.on('exit', () => die('the query worker stopped'));
    this.ready = this.load();
    this.ready.catch(() => {});
  }

  /** The version vector of the data the replica holds (with the patches posted to it). */
  get version(): VersionVector {
    return { ...this.vv };
  }

  get alive(): boolean {
    return !this.dead;
  }

  /** What the replica holds: a paged view of the store's snapshot, or a whole copy. */
  get kind(): 'paged' | 'whole' {
    return this.snapshotFile !== undefined ? 'paged' : 'whole';
  }

  /**
   * Runs a query: resolves with the worker's reply, or how it was stopped. `stop` aborts it (reason 'timeout' or
   * 'aborted'); the process growing past the memory limit stops it too. A stopped worker is terminated (the only
   * way to interrupt oxigraph): the caller starts a new replica.
   */
  async query(sparql: string, format: ResultFormat, stop: AbortSignal, context?: QueryContext, federate?: { timeoutMs: number }): Promise<Reply | Stopped> {
    const base = rss();
    const limit = this.limits.memoryMb * (1 << 20);
    let watch: NodeJS.Timeout | undefined;
    let onStop: (() => void) | undefined;
    const stopped = new Promise<Stopped>((resolve) => {
      watch = setInterval(() => {
        if (rss() - base > limit) resolve({ stopped: 'memory' });
      }, WATCH_MS);
      onStop = () => resolve({ stopped: stop.reason === 'timeout' ? 'timeout' : 'aborted' });
      if (stop.aborted) onStop();
      else stop.addEventListener('abort', onStop, { once: true });
    });
    try {
      const out = await Promise.race([this.call({ type: 'query', sparql, format, maxResultBytes: this.limits.maxResultBytes, context, federate: Boolean(federate), timeoutMs: federate?.timeoutMs }), stopped]);
      if ('stopped' in out) await this.terminate();
      return out;
    } finally {
      clearInterval(watch);
      if (onStop) stop.removeEventListener('abort', onStop);
    }
  }

  async terminate(): Promise<void> {
    this.dead ??= { stopped: 'crashed', message: 'the query worker was stopped' };
    for (const done of this.pending.values()) done(this.dead);
    await this.worker.terminate();
  }

  /** Posts a message and waits for its reply (or the worker's death). */
  private call(msg: Record<string, unknown>): Promise<Reply | Stopped> {
    if (this.dead) return Promise.resolve(this.dead);
    const id = this.nextId++;
    return new Promise<Reply | Stopped>((resolve) => {
      this.pending.set(id, resolve);
      this.worker.postMessage({ ...msg, id });
    }).finally(() => this.pending.delete(id));
  }

  /** A reply that must be a success; the worker's error (or its death) as an Error. */
  private async expect(msg: Record<string, unknown>): Promise<Extract<Reply, { ok: true }>> {
    const r = await this.call(msg);
    if ('stopped' in r) throw new Error(r.stopped === 'crashed' ? r.message : `the query worker was stopped (${r.stopped})`);
    if (!r.ok) throw new Error(r.message);
    return r;
  }

  /**
   * Loads the replica in the worker: a paged store's from its snapshot file (its own working set), a whole store's
   * from the newest snapshot in its folder; then the patches since. Only when the log no longer reaches back from
   * that snapshot is the node's thread asked for a copy of everything (an N-Quads dump).
   */
  private async load(): Promise<void> {
    let snap = this.store.pagedSnapshot;
    for (let tries = 0; snap && tries < 3; tries++) {
      if (await this.openPaged(snap)) {
        if (await this.catchUp()) return this.settle();
        // The log no longer reaches back to that snapshot (a peer's full state was installed since): load it whole.
        this.snapshotFile = undefined;
        break;
      }
      const next = this.store.pagedSnapshot; // a newer snapshot replaced that file meanwhile: open that one
      snap = next && next.file !== snap.file ? next : null;
    }
    const disk = await this.call({ type: 'disk', dir: this.store.dir });
    if (!('stopped' in disk) && disk.ok && disk.vv) {
      this.vv = disk.vv;
      if (await this.catchUp()) return this.settle();
    }
    this.vv = this.store.versionVector();
    await this.expect({ type: 'load', nquads: this.store.export('nquads') });
    return this.settle();
  }

  private async openPaged(snap: NonNullable<GraphStore['pagedSnapshot']>): Promise<boolean> {
    const r = await this.call({ type: 'paged', file: snap.file, parts: snap.parts, quads: snap.quads });
    if ('stopped' in r) throw new Error(r.stopped === 'crashed' ? r.message : 'stopped');
    if (!r.ok) return false;
    this.vv = snap.vv;
    this.snapshotFile = snap.file;
    return true;
  }

  /** Notes the worker's memory once loaded and current. */
  private async settle(): Promise<void> {
    if (!(await this.catchUp())) throw new Error('the replica cannot catch up with the change log');
    this.loadedExternal = (await this.expect({ type: 'memory' })).external ?? 0;
  }

  /**
   * Sends the patches the replica lacks (a paged replica first moves to the store's newer snapshot). False when it
   * cannot be brought up to date (the log no longer reaches back to it): a new replica is needed.
   */
  async catchUp(): Promise<boolean> {
    if (this.dead) return false;
    const paged = this.store.pagedSnapshot;
    if (this.snapshotFile !== undefined && paged && paged.file !== this.snapshotFile && !(await this.openPaged(paged))) return false;
    const now = this.store.versionVector();
    if (vv.equals(now, this.vv)) return true;
    const patches = this.store.patchesSince(this.vv);
    if (patches === null) return false;
    this.vv = now;
    for (const p of patches) this.worker.postMessage({ type: 'patch', text: encodePatch(p) });
    return true;
  }
}
