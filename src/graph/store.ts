// The durable graph store: oxigraph in memory, every change fsync'd to the change log first, N-Quads snapshots to bound recovery.
import fsp from 'node:fs/promises';
import path from 'node:path';
import n3 from 'n3';
import oxigraph from 'oxigraph';
import type { Quad, Term } from '@rdfjs/types';
import { ChangeLog, type TornTail } from './changelog.js';
import { PatchError, StoreError, StoreLockedError } from './errors.js';
import { formatHlc, parseHlc, receive, tick, type Hlc } from './hlc.js';
import { exportChunks, exportToFile, importInBatches, writeChunks, type ImportOptions } from './io.js';
import { AUTHOR_RE, decodePatch, encodePatch, patchProblem } from './patch.js';
import { acquirePidLock, type PidLock } from '../base/lock.js';
import { Emitter } from '../base/events.js';
import { runQuery, type QueryOutput } from './query.js';
import { dumpChunks, latestSnapshot, latestSnapshotMeta, loadLatestSnapshot, writeSnapshot, type Part } from './snapshot.js';
import { PagedGraph } from './paged.js';
import { quadProblem, quadTerms } from './terms.js';
import type { Change, Patch, QueryContext, ResultFormat, VersionVector } from './types.js';
import { graphAuthor, graphIri } from './vocab.js';
import { stateRecords } from './state.js';
import { replayLog } from './replay.js';
import { freeStore } from './wasm-memory.js';
import { linePredicate, type Reach } from './reach.js';
import { applyNet, applyRows, netRows, presentRows } from './rows.js';
import { NewGraphRows } from './new-graph.js';

export type { QueryOutput } from './query.js';

const { namedNode, blankNode, literal, quad, defaultGraph } = n3.DataFactory;
const TRUSTED = { maxBytes: 1 << 30, maxRows: 1 << 30, maxTermLength: 1 << 30 };

export interface OpenOptions {
  /** The store folder (created if missing). */
  dir: string;
  /** This node's id: the author of its patches (letters, digits, `._~-`). */
  nodeId: string;
  /** Start a new log segment past this size (default 16 MiB). */
  segmentBytes?: number;
  /** Take a snapshot automatically once this much log was written since the last one (default 128 MiB). */
  snapshotEveryBytes?: number;
  /** Covered log segments kept after a snapshot, for peers a little behind (default 2). */
  keepSegments?: number;
  /** Most text per full-state record (replaceAuthor; default 32 MiB). */
  statePartBytes?: number;
  /**
   * Load only the statements this reach can match (see reach.ts): a store for one query, which answers it as the
   * whole store would, and refuses everything else (changes, exports, matches, snapshots).
   */
  reach?: Reach;
  /**
   * Keep the store on disk, and in memory only the changes since its snapshot and a working set, when the snapshot
   * holds more than this many statements (default 500,000; paged.ts). A store opened smaller stays whole.
   */
  pagedAbove?: number;
  /** Most statements a paged store's working set holds (default 200,000). */
  workingSet?: number;
  /** Read only: the log is neither truncated nor appended to, no snapshot is written (a query's or an export's store). */
  readOnly?: boolean;
  /** Where damaged bytes found on open are copied (default `<dir>/damaged`; the node uses `HOME/damaged`). */
  damagedDir?: string;
  /** A paged store writes a snapshot once this many statements changed since the last (default 100,000: the changes are held in memory). */
  pagedChanges?: number;
}

export type { ImportOptions } from './io.js';

function oxToN3(t: oxigraph.Term): Term {
  switch (t.termType) {
    case 'NamedNode':
      return namedNode(t.value);
    case 'BlankNode':
      return blankNode(t.value);
    case 'Literal':
      return literal(t.value, t.language || namedNode(t.datatype.value));
    case 'DefaultGraph':
      return defaultGraph();
    case 'Quad':
      return quad(oxToN3(t.subject) as Quad['subject'], oxToN3(t.predicate) as Quad['predicate'], oxToN3(t.object) as Quad['object']);
    default:
      throw new StoreError(`unexpected term type ${t.termType}`);
  }
}

/** OpenOptions.pagedAbove, else $SEMSYNC_PAGED_ABOVE (a number: tests run whole suites paged with it), else 500,000. */
function pagedAbove(opts: OpenOptions): number {
  const env = Number(process.env.SEMSYNC_PAGED_ABOVE);
  return opts.pagedAbove ?? (process.env.SEMSYNC_PAGED_ABOVE && Number.isFinite(env) ? env : 500_000);
}

/** A graph term's N-Triples text ('' for the default graph), as snapshots write it. */
function graphText(g: Term): string {
  if (g.termType === 'DefaultGraph') return '';
  return g.termType === 'BlankNode' ? `_:${g.value}` : `<${g.value}>`;
}

/** Blank nodes never enter the store: oxigraph relabels them on load, and they cannot sync (derive an IRI instead). */

function blankProblem(q: Quad): string | null {
  return [q.subject, q.object, q.graph].some((t) => t.termType === 'BlankNode')
    ? 'blank nodes are not stored (they cannot sync): derive a stable IRI, see vocab.ts'
    : null;
}

/** Changes by their rows (`s p o [g]`), each checked; the last mention of a row wins, in its place. */
function keyedChanges(changes: Change[]): Map<string, Change> {
  const rows = new Map<string, Change>();
  for (const c of changes) {
    if (!c || (c.op !== 'A' && c.op !== 'D')) throw new StoreError('A change needs op "A" or "D".');
    const problem = quadProblem(c.quad) ?? blankProblem(c.quad);
    if (problem) throw new StoreError(`Cannot store this quad: ${problem}.`);
    const key = quadTerms(c.quad);
    rows.delete(key); // keep the order of the last mention
    rows.set(key, c);
  }
  return rows;
}

/** What the store announces: `commit` after a change is durable and applied (local or another author's). */
export interface StoreEvents extends Record<string, unknown> {
  commit: { author: string; seq: number; local: boolean };
}

export class GraphStore {
  /** Listen here instead of polling versionVector(): one `commit` per durable write. */
  readonly events = new Emitter<StoreEvents>();
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  private bytesSinceSnapshot = 0;
  /** Per author, the seq of its latest full-state record in the log (patches before it cannot be replayed to peers). */
  private stateAt = new Map<string, number>();
  /** The patches the newest snapshot holds (a paged store: what its changes are since). */
  private snapshotVv: VersionVector = {};

  private constructor(
    readonly nodeId: string,
    readonly dir: string,
    private ox: oxigraph.Store,
    private vv: VersionVector,
    private clock: Hlc,
    private readonly log: ChangeLog,
    private readonly lock: PidLock,
    private readonly opts: OpenOptions,
    /** A store too big to hold whole: on disk, with a working set in `ox` (paged.ts); null when `ox` holds everything. */
    private paged: PagedGraph | null,
  ) {}

  /** An append that never finished at the end of the log when the store was opened (dropped; cut off unless opened for one query), if any. */
  get recoveredTornTail(): TornTail | null {
    return this.log.tornTail;
  }

  /** Open (creating) a store: the latest snapshot, then the log after it; a torn last record is dropped. */
  static async open(opts: OpenOptions): Promise<GraphStore> {
    if (!AUTHOR_RE.test(opts.nodeId)) throw new StoreError(`Bad node id ${JSON.stringify(opts.nodeId)}: use 1-128 letters, digits, '.', '_', '~' or '-'.`);
    const dir = path.resolve(opts.dir);
    await fsp.mkdir(dir, { recursive: true });
    const got = acquirePidLock(path.join(dir, 'LOCK'));
    if ('owner' in got) throw new StoreLockedError(dir, got.owner.pid);
    try {
      const ox = new oxigraph.Store();
      const reach = opts.reach;
      const latest = reach ? null : await latestSnapshot(dir);
      const paged = latest?.parts && latest.meta.quads > pagedAbove(opts) ? new PagedGraph(latest.file, latest.parts, latest.meta.quads, { budget: opts.workingSet }) : null;
      // For one query's reach, the log is read first: what it adds decides how far the snapshot may be narrowed.
      const snap = reach || paged ? null : await loadLatestSnapshot(dir, ox);
      const head = reach ? await latestSnapshotMeta(dir) : (latest?.meta ?? null);
      const pending: string[] = [];
      const apply = (t: string) => {
        if (reach) pending.push(t);
        else if (paged) paged.apply(t);
        else applyRows(ox, t);
      };
      const replay = () => replayLog(dir, head, apply, { segmentBytes: opts.segmentBytes, readOnly: reach !== undefined || opts.readOnly === true, damagedDir: opts.damagedDir ?? path.join(dir, 'damaged') });
      const { log, vv, clock, replayed, stateAt } = paged ? await paged.withPartsCached(replay) : await replay();
      if (reach) {
        // A row whose predicate is not of our shape ('') is kept on replay; it dirties nothing a pattern names.
        const nets = pending.map(netRows);
        const dirty = new Set<string>();
        for (const net of nets) for (const row of net.adds) dirty.add(linePredicate(row) ?? '');
        await loadLatestSnapshot(dir, ox, reach, dirty);
        for (const net of nets) applyNet(ox, net, reach);
      }
      const store = new GraphStore(opts.nodeId, dir, ox, vv, clock, log, got.lock, opts, paged);
      // A snapshot from before snapshots were indexed by predicate or checksummed is rewritten on close (cold queries need the index).
      store.bytesSinceSnapshot = snap && !(snap.indexed && snap.checked) ? Math.max(replayed, (4 << 20) + 1) : replayed;
      store.stateAt = stateAt;
      store.snapshotVv = { ...(head?.vv ?? {}) };
      return store;
    } catch (e) {
      got.lock.release();
      throw e;
    }
  }

  get size(): number {
    return this.paged ? this.paged.size : this.ox.size;
  }

  /** Statements held in memory: all of them, or a paged store's working set. */
  get holding(): number {
    return this.paged ? this.paged.holding : this.ox.size;
  }

  /** Whether this store holds only a query's reach (OpenOptions.reach). */
  get partial(): boolean {
    return this.opts.reach !== undefined;
  }

  /** Refuses what a store holding only one query's reach cannot do right. */
  private whole(what: string, writes = false): void {
    if (writes && this.opts.readOnly) throw new StoreError(`The store at ${this.dir} was opened to read only: it cannot ${what}.`);
    if (this.partial) throw new StoreError(`This store was opened for one query and holds only what it reaches: it cannot ${what}.`);
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new StoreError(`The store at ${this.dir} is closed.`));
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** A local change by this node: no-ops filtered, logged durably, then applied. null if nothing changed. */
  commit(changes: Iterable<Change>): Promise<Patch | null> {
    const list = changes instanceof NewGraphRows ? changes : [...changes];
    return this.exclusive(async () => {
      this.whole('take changes', true);
      return this.commitNow(list);
    });
  }

  private async commitNow(changes: Change[]): Promise<Patch | null> {
    const rows = changes instanceof NewGraphRows ? changes.keyed : keyedChanges(changes);
    if (!rows.size) return null;
    const keys = [...rows.keys()];
    const present = changes instanceof NewGraphRows && this.holdNothing(changes.graphs) ? new Set<number>() : this.paged ? this.paged.present(keys) : presentRows(this.ox, keys, [...rows.values()].map((c) => c.quad.graph.termType === 'DefaultGraph'));
    const net: Change[] = [];
    const lines: string[] = [];
    for (let i = 0; i < keys.length; i++) {
      const c = rows.get(keys[i])!;
      if (c.op === 'A' ? present.has(i) : !present.has(i)) continue;
      net.push(c);
      lines.push(`${c.op} ${keys[i]} .\n`);
    }
    if (!net.length) return null;
    const seq = (this.vv[this.nodeId] ?? 0) + 1;
    const clock = tick(this.clock, Date.now());
    const patch: Patch = { author: this.nodeId, seq, hlc: formatHlc(clock), changes: net };
    const head = encodePatch({ ...patch, changes: [] });
    const text = head.slice(0, head.length - 'TC .\n'.length) + lines.join('') + 'TC .\n';
    await this.log.append([{ payload: Buffer.from(text), author: this.nodeId, seq }]);
    this.apply(text, true);
    this.vv[this.nodeId] = seq;
    this.clock = clock;
    await this.afterWrite(text.length);
    this.events.emit('commit', { author: this.nodeId, seq, local: true });
    return patch;
  }

  /** Whether none of these named graphs holds a statement (one lookup each). */
  private holdNothing(graphs: Iterable<string>): boolean {
    const held = this.paged?.graphs(); // the graphs that may hold statements, as written (an escaped name: not sure)
    for (const g of graphs) {
      if (held ? held.some((h) => h === `<${g}>` || h.includes('\\')) : this.ox.query(`ASK { GRAPH <${g}> { ?s ?p ?o } }`)) return false;
    }
    return true;
  }

  /** A patch by another author: 'duplicate', 'gap' (keep it and retry later), or validated, logged durably, applied. */
  applyRemote(patch: Patch): Promise<'applied' | 'duplicate' | 'gap'> {
    if (patch?.author === this.nodeId) return Promise.reject(new StoreError(`A patch by this node (${this.nodeId}) came back from outside; it is not applied.`));
    const problem = patchProblem(patch) ?? patch.changes.map((c) => blankProblem(c.quad)).find((x) => x) ?? null;
    if (problem) return Promise.reject(new PatchError(problem, 0));
    return this.exclusive(async () => {
      this.whole('take changes', true);
      const have = this.vv[patch.author] ?? 0;
      if (patch.seq <= have) return 'duplicate';
      if (patch.seq > have + 1) return 'gap';
      const text = encodePatch(patch);
      await this.log.append([{ payload: Buffer.from(text), author: patch.author, seq: patch.seq }]);
      this.apply(text);
      this.vv[patch.author] = patch.seq;
      this.clock = receive(this.clock, parseHlc(patch.hlc)!, Date.now());
      await this.afterWrite(text.length);
      this.events.emit('commit', { author: patch.author, seq: patch.seq, local: false });
      return 'applied';
    });
  }

  /**
   * Install another author's full state (a slow sync): everything its graphs hold here is replaced by `quads`
   * and its version set to `seq`, durably in one log write (the diff against what was held, with `H base` and
   * `H part` headers; parts of 32 MiB at most), replayed only whole, so a crash leaves either the old state or
   * the new one. `seq` must be ahead of what is held.
   */
  replaceAuthor(author: string, seq: number, hlc: string, quads: Quad[]): Promise<void> {
    if (author === this.nodeId) return Promise.reject(new StoreError(`A full state of this node (${this.nodeId}) came from outside; it is not applied.`));
    const problem = patchProblem({ author, seq, hlc, changes: [] }) ?? quads.map((q, i) => {
      const p = quadProblem(q) ?? blankProblem(q) ?? (q.graph.termType === 'NamedNode' && graphAuthor(q.graph.value) === author ? null : `not in one of ${author}'s graphs`);
      return p && `quad ${i + 1}: ${p}`;
    }).find((x) => x);
    if (problem) return Promise.reject(new PatchError(problem, 0));
    return this.exclusive(async () => {
      this.whole('take changes', true);
      const have = this.vv[author] ?? 0;
      if (seq <= have) throw new StoreError(`A full state of ${author} at ${seq} is not ahead of the ${have} patches held.`);
      const want = new Map<string, true>();
      for (const q of quads) want.set(quadTerms(q), true);
      const rows: string[] = [];
      const prefix = graphIri(author, '').value;
      for (const g of this.graphNames()) {
        if (!g.startsWith(prefix)) continue;
        for (const x of this.match(null, null, null, namedNode(g))) {
          const k = quadTerms(x);
          if (want.has(k)) want.delete(k);
          else rows.push(`D ${k} .\n`);
        }
      }
      for (const k of want.keys()) rows.push(`A ${k} .\n`);
      const texts = stateRecords(author, seq, hlc, have, rows, this.opts.statePartBytes);
      rows.length = 0;
      await this.log.append(texts.map((t) => ({ payload: Buffer.from(t), author, seq })));
      for (const t of texts) this.apply(t, true);
      this.vv[author] = seq;
      this.stateAt.set(author, seq);
      this.clock = receive(this.clock, parseHlc(hlc)!, Date.now());
      await this.afterWrite(texts.reduce((n, t) => n + t.length, 0));
      this.events.emit('commit', { author, seq, local: false });
    });
  }

  /** Apply an encoded patch already logged. `known`: each of its rows changes something (checked against the store). */
  private apply(text: string, known = false): void {
    if (this.paged) this.paged.apply(text, known);
    else applyRows(this.ox, text);
  }

  /** The IRIs of the named graphs that may hold statements. */
  private graphNames(): string[] {
    if (this.paged) return this.paged.graphs().filter((g) => g.startsWith('<')).map((g) => g.slice(1, -1));
    const graphs = JSON.parse(this.ox.query('SELECT DISTINCT ?g WHERE { GRAPH ?g { } }', { results_format: 'application/sparql-results+json' }) as string) as { results: { bindings: Array<{ g: { value: string } }> } };
    return graphs.results.bindings.map((b) => b.g.value);
  }

  private async afterWrite(bytes: number): Promise<void> {
    this.bytesSinceSnapshot += bytes;
    if (!this.paged && !this.partial && this.ox.size > pagedAbove(this.opts)) return this.pageOut();
    const due = this.paged ? this.paged.changed >= (this.opts.pagedChanges ?? 100_000) : false;
    if (due || this.bytesSinceSnapshot >= (this.opts.snapshotEveryBytes ?? 128 << 20)) await this.snapshotBestEffort();
  }

  /**
   * A whole store grown past `pagedAbove` becomes paged: a snapshot, then everything but the working set leaves
   * memory (oxigraph's freed memory then serves the working set and the changes; the process does not shrink).
   */
  private async pageOut(): Promise<void> {
    try {
      await this.snapshotNow();
    } catch {
      return; // a snapshot only bounds recovery (a full disk): stay whole, the next write tries again
    }
    const latest = await latestSnapshot(this.dir);
    if (!latest?.parts || latest.meta.quads !== this.ox.size) return;
    this.paged = new PagedGraph(latest.file, latest.parts, latest.meta.quads, { budget: this.opts.workingSet });
    this.snapshotVv = { ...latest.meta.vv };
    freeStore(this.ox);
    this.ox = new oxigraph.Store();
  }

  /** A snapshot only bounds recovery time: the change is already durable in the log, so a failure (a full disk) must not fail it; the next trigger retries. */
  private async snapshotBestEffort(): Promise<void> {
    await this.snapshotNow().catch(() => undefined);
  }

  versionVector(): VersionVector {
    return { ...this.vv };
  }

  /** The current hybrid logical clock, as "<ms>.<counter>". */
  clockNow(): string {
    return formatHlc(this.clock);
  }

  /** Patches the holder of `vv` lacks, per author in seq order; null when the log no longer reaches back that far. */
  patchesSince(vv: VersionVector): Patch[] | null {
    this.whole('serve patches');
    const out: Patch[] = [];
    for (const author of Object.keys(this.vv).sort()) {
      const have = this.vv[author];
      const theirs = vv[author] ?? 0;
      if (have <= theirs) continue;
      const entries = this.log.entries(author);
      if (!entries.length || entries[0].seq > theirs + 1 || (this.stateAt.get(author) ?? 0) > theirs) return null;
      // Patches theirs+1..have are the newest entries, consecutive (full-state records and parts of an unfinished
      // one may lie before them); anything else means the log cannot answer.
      let i = entries.length - 1;
      while (i >= 0 && entries[i].seq !== theirs + 1) i--;
      if (i < 0 || entries[entries.length - 1].seq !== have || entries.length - i !== have - theirs) return null;
      for (; i < entries.length; i++) {
        out.push(decodePatch(this.log.read(entries[i]), TRUSTED));
      }
    }
    return out;
  }

  /**
   * Every patch still in the change log (all authors; a full state's parts as one patch), each author's in seq order,
   * with `complete`: whether the log still reaches back to every author's first patch (false once compacted).
   * `mentions`: only the patches whose text contains one of these strings (a cheap filter before decoding).
   */
  logPatches(mentions?: string[]): { patches: Patch[]; complete: boolean } {
    this.whole('read the change log');
    const patches: Patch[] = [];
    let complete = true;
    for (const author of this.log.authors().sort()) {
      const entries = this.log.entries(author);
      if (entries.length && entries[0].seq !== 1) complete = false;
      let i = 0;
      while (i < entries.length) {
        let j = i + 1;
        while (j < entries.length && entries[j].seq === entries[i].seq) j++; // the parts of one full state
        const texts = entries.slice(i, j).map((e) => this.log.read(e).toString('utf8'));
        i = j;
        if (mentions && !texts.some((t) => mentions.some((m) => t.includes(m)))) continue;
        const parts = texts.map((t) => decodePatch(t, TRUSTED));
        patches.push({ ...parts[0], changes: parts.flatMap((p) => p.changes) });
      }
    }
    for (const author of Object.keys(this.vv)) if (!this.log.entries(author).length) complete = false;
    return { patches, complete };
  }

  /** Quads matching a pattern (null/undefined = any); n3 DataFactory quads. */
  match(s?: Term | null, p?: Term | null, o?: Term | null, g?: Term | null): Quad[] {
    this.whole('match statements');
    const t = (x?: Term | null) => (x ? (oxigraph.fromTerm(x) as oxigraph.Term) : null);
    if (!s && !p && !o) {
      // A whole graph (or everything): dumped as text and parsed, ~50x faster than a wasm object per term.
      const out: Quad[] = [];
      const parser = () => new n3.Parser({ format: 'N-Quads' });
      // A paged store streams its parts with the changes merged (no store of them all is built).
      const chunks = this.paged ? this.paged.nquads(g ? graphText(g) : undefined) : dumpChunks(this.ox, g ? [t(g) as oxigraph.NamedNode | oxigraph.DefaultGraph] : undefined);
      for (const text of chunks) for (const x of parser().parse(text.toString())) out.push(x);
      return out;
    }
    return (this.paged ? this.paged.match(t(s), t(p), t(o), t(g)) : this.ox.match(t(s), t(p), t(o), t(g))).map(
      (x) => quad(oxToN3(x.subject) as Quad['subject'], oxToN3(x.predicate) as Quad['predicate'], oxToN3(x.object) as Quad['object'], oxToN3(x.graph) as Quad['graph']),
    );
  }

  /**
   * A paged store's snapshot (file, index of parts, statements) and the patches it holds, so that another thread
   * can open its own paged replica and catch up with patchesSince(vv); null for a store held whole.
   */
  get pagedSnapshot(): { file: string; parts: Part[]; quads: number; vv: VersionVector } | null {
    return this.paged ? { ...this.paged.snapshot, vv: { ...this.snapshotVv } } : null;
  }

  /**
   * Whether scan() streams statements from disk (a paged store): a flat read of whole predicates then costs no
   * loading into memory. A whole store answers the same with a query.
   */
  get scans(): boolean {
    return this.paged !== null;
  }

  /** Every statement of these predicates (IRIs), streamed from disk: `each(p, s, o)`, subject and object in N-Triples syntax. Paged stores only (see scans). */
  scan(predicates: string[], each: (p: string, s: string, o: string) => void): void {
    if (!this.paged) throw new StoreError('Only a paged store streams statements; query a whole store.');
    this.paged.scan(predicates.map((p) => `<${p}>`), each);
  }

  /** A read-only SPARQL 1.1 query over the union of all graphs (or the context's dataset), with our prefixes predeclared. */
  query(sparql: string, opts: { format?: ResultFormat; context?: QueryContext } = {}): QueryOutput {
    return this.paged ? this.paged.query(sparql, opts.format, opts.context) : runQuery(this.ox, sparql, opts.format, opts.context);
  }

  /** The store to export from: everything (or one graph) in one oxigraph store. */
  private exportSource(graph?: string): oxigraph.Store {
    if (!this.paged) return this.ox;
    return this.paged.storeFor(null, this.graphArg(graph));
  }

  /** An export's graph (an IRI, or `_:` and a label) as N-Triples text. */
  private graphArg(graph?: string): string | undefined {
    return graph === undefined ? undefined : graph.startsWith('_:') ? graph : `<${graph}>`;
  }

  /** Everything (or one graph, by IRI) as text in `format`. For big stores prefer exportTo. */
  export(format: ResultFormat, opts: { graph?: string } = {}): string {
    this.whole('export');
    if (this.paged && format === 'nquads') return [...this.paged.nquads(this.graphArg(opts.graph))].map((x) => x.toString()).join('');
    const src = this.exportSource(opts.graph);
    try {
      return [...exportChunks(src, format, opts.graph)].join('');
    } finally {
      this.paged?.release(src);
    }
  }

  /** Stream an export into a file, graph by graph. */
  exportTo(file: string, format: ResultFormat, opts: { graph?: string } = {}): Promise<void> {
    return this.exclusive(async () => {
      this.whole('export');
      if (this.paged && format === 'nquads') return writeChunks(file, this.paged.nquads(this.graphArg(opts.graph)));
      const src = this.exportSource(opts.graph);
      try {
        return await exportToFile(src, file, format, opts.graph);
      } finally {
        this.paged?.release(src);
      }
    });
  }

  /** Import an RDF file in batches (each a durable patch); default-graph triples go to this node's import graph. */
  async importFile(file: string, opts: ImportOptions = {}): Promise<{ quads: number; patches: number }> {
    this.whole('import', true);
    return importInBatches(file, opts, graphIri(this.nodeId, 'import'), async (batch) => (await this.commit(batch)) !== null);
  }

  /** Write a snapshot covering everything so far and compact the log segments it covers. */
  snapshot(): Promise<void> {
    return this.exclusive(async () => {
      this.whole('write a snapshot', true);
      return this.snapshotNow();
    });
  }

  private async snapshotNow(): Promise<void> {
    const meta = { vv: { ...this.vv }, hlc: formatHlc(this.clock) };
    if (this.paged) {
      await this.paged.writeSnapshot(this.dir, meta);
      this.snapshotVv = meta.vv;
    }
    else await writeSnapshot(this.dir, this.ox, meta);
    this.bytesSinceSnapshot = 0;
    await this.log.compact(this.vv, this.opts.keepSegments ?? 2);
  }

  /** Finish pending work, snapshot if much was logged since the last one, release the folder. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.exclusive(async () => {
      if (this.bytesSinceSnapshot > 4 << 20 && !this.partial && !this.opts.readOnly) await this.snapshotBestEffort();
      await this.log.close();
    }).finally(() => {
      this.paged?.close();
      this.closed = true;
      this.lock.release();
    });
  }
}
