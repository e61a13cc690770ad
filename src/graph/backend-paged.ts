// The paged backend (backend.ts): a store too big to hold whole. The snapshot stays on disk, the changes since it
// and a working set are held in memory (paged.ts); queries and matches load what they reach, scans stream from disk.
import type { Quad, Term } from '@rdfjs/types';
import { n3Quads, oxTerm, parseNQuads, type OpenedBackend, type PagedSnapshotInfo, type Replay, type StoreBackend } from './backend.js';
import { exportChunks, exportToFile, writeChunks } from './io.js';
import { PagedGraph } from './paged.js';
import type { QueryOutput } from './query.js';
import { latestSnapshot, type Part, type SnapshotMeta } from './snapshot.js';
import type { OpenOptions } from './store-options.js';
import { termToNQuads } from './terms.js';
import type { QueryContext, ResultFormat, VersionVector } from './types.js';

type PagedOptions = Pick<OpenOptions, 'workingSet' | 'pagedChanges'>;

/** An export's graph (an IRI, or `_:` and a label) as N-Triples text. */
function graphArg(graph?: string): string | undefined {
  return graph === undefined ? undefined : graph.startsWith('_:') ? graph : `<${graph}>`;
}

export class PagedBackend implements StoreBackend {
  readonly mode = 'paged';
  readonly partial = false;
  readonly scans = true;

  private constructor(
    private readonly graph: PagedGraph,
    /** The patches the newest snapshot holds: what the changes held are since. */
    private snapshotVv: VersionVector,
    private readonly opts: PagedOptions,
  ) {}

  private static over(latest: { file: string; parts: Part[]; meta: SnapshotMeta }, opts: PagedOptions): PagedBackend {
    return new PagedBackend(new PagedGraph(latest.file, latest.parts, latest.meta.quads, { budget: opts.workingSet }), { ...latest.meta.vv }, opts);
  }

  /** Over the newest snapshot (indexed by parts), then the log after it. */
  static async open(latest: { file: string; parts: Part[]; meta: SnapshotMeta }, opts: PagedOptions, replay: Replay): Promise<OpenedBackend> {
    const backend = PagedBackend.over(latest, opts);
    const replayed = await backend.graph.withPartsCached(() => replay(latest.meta, (t) => backend.graph.apply(t)));
    return { backend, replayed, stale: false };
  }

  /** Over the snapshot just written in `dir`, when it holds all `quads` (a whole store grown too big); else null. */
  static async fromLatest(dir: string, quads: number, opts: PagedOptions): Promise<PagedBackend | null> {
    const latest = await latestSnapshot(dir);
    if (!latest?.parts || latest.meta.quads !== quads) return null;
    return PagedBackend.over({ file: latest.file, parts: latest.parts, meta: latest.meta }, opts);
  }

  get size(): number {
    return this.graph.size;
  }

  get holding(): number {
    return this.graph.holding;
  }

  get pagedSnapshot(): PagedSnapshotInfo {
    return { ...this.graph.snapshot, vv: { ...this.snapshotVv } };
  }

  holdsNothingIn(graphs: Iterable<string>): boolean {
    const held = this.graph.graphs(); // the graphs that may hold statements, as written (an escaped name: not sure)
    for (const g of graphs) if (held.some((h) => h === `<${g}>` || h.includes('\\'))) return false;
    return true;
  }

  present(keys: string[]): Set<number> {
    return this.graph.present(keys);
  }

  apply(text: string, known: boolean): void {
    this.graph.apply(text, known);
  }

  applyAdditions(rows: readonly string[]): void {
    this.graph.applyNet([], [...rows], true);
  }

  graphNames(): string[] {
    return this.graph.graphs().filter((g) => g.startsWith('<')).map((g) => g.slice(1, -1));
  }

  match(s?: Term | null, p?: Term | null, o?: Term | null, g?: Term | null): Quad[] {
    // A whole graph (or everything): its parts streamed with the changes merged (no store of them all is built).
    if (!s && !p && !o) return parseNQuads(this.graph.nquads(g ? termToNQuads(g) : undefined));
    return n3Quads(this.graph.match(oxTerm(s), oxTerm(p), oxTerm(o), oxTerm(g)));
  }

  scan(predicates: string[], each: (p: string, s: string, o: string) => void): void {
    this.graph.scan(predicates.map((p) => `<${p}>`), each);
  }

  query(sparql: string, format?: ResultFormat, context?: QueryContext): QueryOutput {
    return this.graph.query(sparql, format, context);
  }

  exportText(format: ResultFormat, graph?: string): string {
    if (format === 'nquads') return [...this.graph.nquads(graphArg(graph))].map((x) => x.toString()).join('');
    const src = this.graph.storeFor(null, graphArg(graph));
    try {
      return [...exportChunks(src, format, graph)].join('');
    } finally {
      this.graph.release(src);
    }
  }

  async exportTo(file: string, format: ResultFormat, graph?: string): Promise<void> {
    if (format === 'nquads') return writeChunks(file, this.graph.nquads(graphArg(graph)));
    const src = this.graph.storeFor(null, graphArg(graph));
    try {
      return await exportToFile(src, file, format, graph);
    } finally {
      this.graph.release(src);
    }
  }

  snapshotDue(): boolean {
    return this.graph.changed >= (this.opts.pagedChanges ?? 100_000);
  }

  async writeSnapshot(dir: string, meta: Omit<SnapshotMeta, 'quads' | 'created'>): Promise<void> {
    await this.graph.writeSnapshot(dir, meta);
    this.snapshotVv = meta.vv;
  }

  close(): void {
    this.graph.close();
  }
}
