// The paged graph: a store too big to hold whole in memory (oxigraph holds ~600-850 bytes per statement). The
// newest snapshot stays on disk, its lines grouped by predicate and graph (snapshot.ts, paged-snapshot.ts); the
// changes since it are held in memory (changes.ts); whole predicates load into one oxigraph store, the working set,
// when a query or a match needs them, and the least recently used leave it when it would pass its budget. A query its
// constants narrow to a few lines (reach.ts, narrow.ts; lines found through part-index.ts) runs on a store of those
// lines, kept for the same query until a change touches its predicates; a query that reaches more than the working
// set holds runs on a store built for it alone. Writing a snapshot merges the changes into the file's parts.
import oxigraph from 'oxigraph';
import { lineRange, linesWith, narrow } from './narrow.js';
import { constantText, queryReach, type Reach, type Slot } from './reach.js';
import { runQuery, type QueryOutput } from './query.js';
import type { QueryContext, ResultFormat } from './types.js';
import { deleteRows, loadRows, netRows, presentRows, splitRow } from './rows.js';
import { Changes } from './changes.js';
import { termToNQuads } from './terms.js';
import { freeStore as free } from './wasm-memory.js';
import { readParts, writeSnapshotParts, type Part, type SnapshotMeta } from './snapshot.js';
import { NQUADS, PagedSnapshot } from './paged-snapshot.js';

export interface PagedOptions {
  /** Most statements the working set holds (default 200,000: ~170 MB of oxigraph memory at ~850 bytes each). */
  budget?: number;
}

/** A query narrowed to at most this much of the snapshot's text runs on a store of its own. */
const NARROW_MAX = 1 << 20;
/** Most statements the stores kept for narrowed queries hold in all. */
const NARROWED_KEPT = 20_000;

/** A constant whose text in the snapshot is certain (IRIs, plain strings; see reach.ts), else null: not narrowed by. */
function certain(t: oxigraph.Term | null, variable: string): Slot {
  if (!t) return { v: variable };
  const text = constantText(t);
  return text === undefined ? null : { text };
}

/** A query's lines in the snapshot, per part: 'all' its lines, some (their text), or none. */
interface Narrowed {
  parts: Part[];
  chosen: Array<'all' | Buffer | null>;
  bytes: number;
}

export class PagedGraph {
  /** The working set: whole predicates (their current statements), and the snapshot's lines of another shape. */
  private ox = new oxigraph.Store();
  /** What changed since the snapshot. */
  private changes = new Changes();
  private base!: PagedSnapshot;
  /** Predicates in the working set, with their last use. */
  private readonly resident = new Map<string, number>();
  private uses = 0;
  /**
   * Stores built for narrowed queries, kept for the next run of the same query (by its reach, which the caller
   * keeps per query text) until a change touches one of their predicates: at most NARROWED_KEPT statements in all.
   */
  private readonly kept = new Map<Reach, { store: oxigraph.Store; preds: Set<string> }>();
  private keptQuads = 0;
  /** Query texts' reaches (reach.ts), the most recent last. */
  private readonly reaches = new Map<string, Reach | null>();
  readonly budget: number;
  size: number;

  constructor(file: string, parts: Part[], quads: number, opts: PagedOptions = {}) {
    this.budget = opts.budget ?? 200_000;
    this.size = quads;
    this.rebase(file, parts, quads);
  }

  /** The snapshot the changes held are since: its file, index of parts and statements. */
  get snapshot(): { file: string; parts: Part[]; quads: number } {
    return { file: this.base.file, parts: this.base.parts, quads: this.base.quads };
  }

  private rebase(file: string, parts: Part[], quads: number): void {
    this.base?.close();
    this.base = new PagedSnapshot(file, parts, quads);
    this.changes = new Changes();
    this.loadOther(this.base.byPredicate);
  }

  /** Lines of another shape (a subject that is not an IRI): none in a store that refuses blank nodes; always held. */
  private loadOther(byPredicate: Map<string, Part[]>): void {
    if (!this.resident.has('') && byPredicate.has('')) {
      this.ox.load(this.base.chunks(byPredicate.get('')!), NQUADS);
      this.resident.set('', Infinity);
    }
  }

  /** Statements added or deleted since the snapshot. */
  get changed(): number {
    return this.changes.size;
  }

  /** Statements the working set holds. */
  get holding(): number {
    let n = 0;
    for (const p of this.resident.keys()) n += this.count(p);
    return n;
  }

  /** Release the snapshot file. */
  close(): void {
    this.base.close();
  }

  private count(p: string): number {
    return (this.base.count.get(p) ?? 0) + this.changes.added(p);
  }

  private predicates(): string[] {
    return [...new Set([...this.base.byPredicate.keys(), ...this.changes.addedPredicates()])].filter((p) => p !== '');
  }

  /** Run `fn` with the snapshot's parts kept in memory once read (the log's replay). */
  withPartsCached<T>(fn: () => T): T {
    return this.base.withPartsCached(fn);
  }

  /** Which of these rows (`s p o [g]`, N-Quads terms, no final dot) are held now, by index. */
  present(keys: string[]): Set<number> {
    const found = new Set<number>();
    const rows = keys.map(splitRow);
    /** The rows (of `ids`) `store` holds, compared as oxigraph compares terms. */
    const held = (store: oxigraph.Store, ids: number[]) => {
      const hit = presentRows(store, ids.map((i) => keys[i]), ids.map((i) => rows[i][3] === ''));
      return ids.filter((_, j) => hit.has(j));
    };
    let rest: number[] = [];
    const resident: number[] = [];
    rows.forEach((r, i) => (this.resident.has(r[1]) ? resident : rest).push(i));
    if (resident.length) for (const i of held(this.ox, resident)) found.add(i); // the working set is current
    const since = (which: 'added' | 'deleted') => {
      const hit = this.changes.holds(which, rest.map((i) => keys[i]));
      const ids = new Set(rest.filter((_, j) => hit.has(j)));
      rest = rest.filter((i) => !ids.has(i));
      return ids;
    };
    for (const i of since('added')) found.add(i);
    since('deleted');
    // The rest as the snapshot has them: per predicate, its lines about these subjects.
    const byPredicate = new Map<string, number[]>();
    for (const i of rest) {
      const ids = byPredicate.get(rows[i][1]);
      if (ids) ids.push(i);
      else byPredicate.set(rows[i][1], [i]);
    }
    for (const [p, ids] of byPredicate) {
      // only the parts of the rows' graphs (texts compared as written; one with an escape may be either)
      const graphs = new Set(ids.map((i) => rows[i][3]));
      const escaped = [...graphs].some((g) => g.includes('\\'));
      const parts = this.base.byPredicate.get(p)?.filter((x) => escaped || x[4].includes('\\') || graphs.has(x[4]));
      if (!parts?.length) continue;
      const read = this.base.read(parts);
      const lines = linesWith(read, read.map((_, k) => k), 's', new Set(ids.map((i) => rows[i][0])));
      if (!lines.length) continue;
      const tmp = new oxigraph.Store();
      tmp.load(Buffer.concat(lines.map((l) => l.bytes)), NQUADS);
      for (const i of held(tmp, ids)) found.add(i);
      free(tmp);
    }
    return found;
  }

  /** Apply an encoded patch. `known`: every row changes something (a commit's rows, checked already). */
  apply(text: string, known = false): void {
    const net = netRows(text);
    const strip = (r: string) => (r.endsWith(' .') ? r.slice(0, -2) : r);
    this.applyNet(net.dels.map(strip), net.adds.map(strip), known);
  }

  /** Apply a patch's net effect (rows without the final dot). `known`: every row changes something. */
  applyNet(dels: string[], adds: string[], known: boolean): void {
    if (!known) {
      const had = this.present([...dels, ...adds]);
      const n = dels.length;
      dels = dels.filter((_, i) => had.has(i));
      adds = adds.filter((_, i) => !had.has(n + i));
    }
    if (!dels.length && !adds.length) return;
    this.changes.record(dels, adds);
    this.size += adds.length - dels.length;
    const held = (rs: string[]) => rs.filter((r) => this.resident.has(splitRow(r)[1]));
    deleteRows(this.ox, held(dels));
    loadRows(this.ox, held(adds));
    if (this.kept.size) this.changedPredicates(new Set([...dels, ...adds].map((r) => splitRow(r)[1])));
  }
  /**
   * A read-only SPARQL query (runQuery) over what it reaches. The reach of the last few hundred query texts is
   * remembered, and with it the small store a narrowed query ran on.
   */
  query(sparql: string, format?: ResultFormat, context?: QueryContext): QueryOutput {
    const key = context?.base ? `${context.base}\n${sparql}` : sparql;
    let reach = this.reaches.get(key);
    if (reach === undefined) {
      reach = queryReach(sparql, context?.base);
      if (this.reaches.size >= 256) this.reaches.delete(this.reaches.keys().next().value!);
      this.reaches.set(key, reach);
    }
    const src = this.storeFor(reach, undefined, true);
    try {
      return runQuery(src, sparql, format, context);
    } finally {
      this.release(src);
    }
  }

  /**
   * A store holding at least every statement `reach` can match (null: everything; `graph`: only that graph's,
   * N-Triples text): the working set when its predicates fit the budget, else a store built for this alone.
   * `again`: the same reach object will be asked for again (query() keeps one per text), so a narrowed store is kept.
   */
  storeFor(reach: Reach | null, graph?: string, again = false): oxigraph.Store {
    const preds = reach ? [...new Set([...reach.all, ...reach.patterns.map((x) => x.p)])].filter((p) => this.count(p) > 0) : this.predicates();
    if (preds.every((p) => this.resident.has(p))) {
      this.hold(preds);
      return this.ox;
    }
    const kept = reach && again && graph === undefined ? this.kept.get(reach) : undefined;
    if (kept) {
      this.kept.delete(reach!); // the most recently used last
      this.kept.set(reach!, kept);
      return kept.store;
    }
    // A query its constants narrow to a few lines: those lines alone (found through the parts' indexes).
    const narrowed = reach ? this.narrowed(reach, preds, graph) : null;
    if (narrowed && !narrowed.chosen.includes('all') && narrowed.bytes <= NARROW_MAX) {
      const store = this.transient(narrowed, preds, graph);
      if (again && graph === undefined) this.keep(reach!, store, preds);
      return store;
    }
    const total = preds.reduce((n, p) => n + this.count(p), 0);
    if (total + (this.base.count.get('') ?? 0) <= this.budget) {
      this.hold(preds);
      return this.ox;
    }
    return this.transient(narrowed ?? this.narrowed(null, preds, graph), preds, graph);
  }

  /** A store built for one use is freed at once (the working set and the kept stores stay). */
  release(store: oxigraph.Store): void {
    if (store !== this.ox && ![...this.kept.values()].some((k) => k.store === store)) free(store);
  }

  private keep(reach: Reach, store: oxigraph.Store, preds: string[]): void {
    if (store.size > NARROWED_KEPT) return;
    this.kept.set(reach, { store, preds: new Set(preds) });
    this.keptQuads += store.size;
    for (const [r, k] of this.kept) {
      if (this.keptQuads <= NARROWED_KEPT || r === reach) break;
      this.drop(r, k);
    }
  }

  private drop(reach: Reach, k: { store: oxigraph.Store; preds: Set<string> }): void {
    this.kept.delete(reach);
    this.keptQuads -= k.store.size;
    free(k.store);
  }

  /** Kept stores holding statements of these predicates are out of date. */
  private changedPredicates(preds: Set<string>): void {
    for (const [r, k] of this.kept) if ([...preds].some((p) => k.preds.has(p))) this.drop(r, k);
  }

  /** The statements matching a pattern (null: any). */
  match(s: oxigraph.Term | null, p: oxigraph.Term | null, o: oxigraph.Term | null, g: oxigraph.Term | null): oxigraph.Quad[] {
    const preds = p ? [termToNQuads(p)] : this.predicates();
    const reach: Reach = { all: new Set(), patterns: preds.map((x) => ({ p: x, s: certain(s, '?s'), o: certain(o, '?o'), joins: false })) };
    const t = (x: oxigraph.Term | null) => x as never;
    const store = this.storeFor(reach, g ? termToNQuads(g) : undefined);
    try {
      return store.match(t(s), t(p), t(o), t(g));
    } finally {
      this.release(store);
    }
  }

  /**
   * Every statement of these predicates (N-Triples text), streamed from the snapshot and the changes since without
   * loading them: `each(p, s, o)` with the subject's and object's N-Triples text (once per graph holding it).
   */
  scan(preds: string[], each: (p: string, s: string, o: string) => void): void {
    const want = new Set(preds);
    const deleted = this.changes.deletedLines(want);
    const emit = (predicate: string, graph: string) => {
      const pBytes = Buffer.byteLength(predicate);
      const gBytes = graph ? Buffer.byteLength(graph) : 0;
      return (buf: Buffer, start: number) => {
        const r = lineRange(buf, start, pBytes, gBytes);
        if (!r || (deleted.size && deleted.has(buf.toString('utf8', start, r.end)))) return;
        each(predicate, buf.toString('utf8', start, r.sEnd), buf.toString('utf8', r.oStart, r.oEnd));
      };
    };
    this.base.check(this.base.parts.filter((x) => want.has(x[0])));
    for (const part of this.base.parts) {
      if (want.has(part[0])) this.base.eachLine(part, emit(part[0], part[4]));
    }
    if (!preds.some((p) => this.changes.added(p))) return;
    for (const [graph, byPred] of this.changes.addedLines()) {
      for (const [p, lines] of byPred) if (want.has(p)) for (const line of lines) emit(p, graph)(Buffer.from(line), 0);
    }
  }

  /** The names of the graphs that may hold statements (N-Triples text; '' for the default graph). */
  graphs(): string[] {
    const out = new Set(this.base.parts.map((x) => x[4]));
    for (const g of this.changes.graphs()) out.add(g);
    return [...out];
  }

  /** Load whole predicates into the working set, making room by letting the least recently used go. */
  private hold(preds: string[]): void {
    const use = ++this.uses;
    const want = new Set(preds);
    const missing = preds.filter((p) => !this.resident.has(p));
    for (const p of preds) if (this.resident.has(p)) this.resident.set(p, use);
    if (!missing.length) return;
    const need = missing.reduce((n, p) => n + this.count(p), 0);
    let held = this.holding;
    const lru = [...this.resident].filter(([p]) => p !== '' && !want.has(p)).sort((a, b) => a[1] - b[1]);
    const out = new Set<string>();
    const ticks = new Map<string, number>(); // of the predicates loaded again
    for (const [p] of lru) {
      if (held + need <= this.budget) break;
      held -= this.count(p);
      out.add(p);
    }
    if (out.size) {
      // Deleting statements from oxigraph frees little of its memory (measured: deleting 100k and loading another
      // 100k took more than holding both), a new store reuses all of it: the predicates kept are loaded again.
      const kept = [...this.resident].filter(([p]) => p !== '' && !out.has(p));
      free(this.ox);
      this.ox = new oxigraph.Store();
      this.resident.clear();
      this.loadOther(this.base.byPredicate);
      for (const [p, last] of kept) {
        missing.push(p);
        ticks.set(p, last);
      }
    }
    const parts = missing.flatMap((p) => this.base.byPredicate.get(p) ?? []);
    if (parts.length) this.ox.load(this.base.chunks(parts), NQUADS);
    this.changes.applyTo(this.ox, new Set(missing));
    for (const p of missing) this.resident.set(p, ticks.get(p) ?? use);
  }

  /** The snapshot's lines `reach` may need (null: all of the predicates'), per part: 'all', some, or none. */
  private narrowed(reach: Reach | null, preds: string[], graph?: string): Narrowed {
    const want = new Set(preds);
    const parts = this.base.parts.filter((x) => (x[0] === '' || want.has(x[0])) && (graph === undefined || x[4] === graph));
    const chosen = reach ? narrow(reach, this.base.read(parts), new Set(this.changes.addedPredicates())) : parts.map(() => 'all' as const);
    return { parts, chosen, bytes: chosen.reduce((n, x) => n + (x instanceof Buffer ? x.length : 0), 0) };
  }

  /** A store for one use: the snapshot's lines narrowed for it (only `graph`'s when given) and the changes since. */
  private transient(n: Narrowed, preds: string[], graph?: string): oxigraph.Store {
    const self = this;
    function* text(): Generator<Buffer> {
      for (const [i, x] of n.chosen.entries()) {
        if (x === 'all') yield* self.base.chunks([n.parts[i]]);
        else if (x?.length) yield x;
      }
    }
    const tmp = new oxigraph.Store();
    if (n.chosen.some((x) => x !== null)) tmp.load(text(), NQUADS);
    this.changes.applyTo(tmp, new Set(preds), graph);
    return tmp;
  }

  /** Write a snapshot merging the changes into the parts of the current one; the changes are then empty. */
  async writeSnapshot(dir: string, meta: Omit<SnapshotMeta, 'quads' | 'created'>): Promise<void> {
    const info = await writeSnapshotParts(dir, { ...meta, quads: this.size }, this.base.merged(this.changes));
    const parts = readParts(info.file, info.meta);
    if (!parts) throw new Error(`the snapshot just written (${info.file}) has no index of its parts`);
    this.rebase(info.file, parts, info.meta.quads);
  }

  /** Everything (or one graph's, N-Triples text) as N-Quads text, streamed: the snapshot's parts with the changes merged. */
  *nquads(graph?: string): Generator<Buffer | string> {
    for (const part of this.base.merged(this.changes, graph)) yield part.data;
  }

}
