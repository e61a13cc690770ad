// The whole backend (backend.ts): every statement in one oxigraph store in memory, loaded from the newest snapshot
// and the log after it. The store becomes paged once it grows past `pagedAbove` (GraphStore.afterWrite).
import oxigraph from 'oxigraph';
import type { Quad, Term } from '@rdfjs/types';
import { refuseScan, n3Quads, oxTerm, parseNQuads, type OpenedBackend, type Replay, type StoreBackend } from './backend.js';
import { exportChunks, exportToFile } from './io.js';
import { runQuery, type QueryOutput } from './query.js';
import { applyRows, loadRowsInParts, presentRows } from './rows.js';
import { dumpChunks, loadLatestSnapshot, writeSnapshot, type SnapshotMeta } from './snapshot.js';
import type { QueryContext, ResultFormat } from './types.js';
import { freeStore } from './wasm-memory.js';

export class WholeBackend implements StoreBackend {
  readonly mode = 'whole';
  readonly partial = false;
  readonly scans = false;
  readonly pagedSnapshot = null;

  constructor(private readonly ox: oxigraph.Store) {}

  /** The newest snapshot in `dir` (`head` its header, or null), then the log after it. */
  static async open(dir: string, head: SnapshotMeta | null, replay: Replay): Promise<OpenedBackend> {
    const ox = new oxigraph.Store();
    const snap = await loadLatestSnapshot(dir, ox);
    const replayed = await replay(head, (t) => applyRows(ox, t));
    // A snapshot from before snapshots were indexed by predicate or checksummed is rewritten on close (cold queries need the index).
    return { backend: new WholeBackend(ox), replayed, stale: snap !== null && !(snap.indexed && snap.checked) };
  }

  get size(): number {
    return this.ox.size;
  }

  get holding(): number {
    return this.ox.size;
  }

  holdsNothingIn(graphs: Iterable<string>): boolean {
    for (const g of graphs) if (this.ox.query(`ASK { GRAPH <${g}> { ?s ?p ?o } }`)) return false;
    return true;
  }

  present(keys: string[], inDefaultGraph: boolean[]): Set<number> {
    return presentRows(this.ox, keys, inDefaultGraph);
  }

  apply(text: string): void {
    applyRows(this.ox, text);
  }

  applyAdditions(rows: readonly string[]): void {
    loadRowsInParts(this.ox, rows);
  }

  graphNames(): string[] {
    const graphs = JSON.parse(this.ox.query('SELECT DISTINCT ?g WHERE { GRAPH ?g { } }', { results_format: 'application/sparql-results+json' }) as string) as { results: { bindings: Array<{ g: { value: string } }> } };
    return graphs.results.bindings.map((b) => b.g.value);
  }

  match(s?: Term | null, p?: Term | null, o?: Term | null, g?: Term | null): Quad[] {
    if (!s && !p && !o) return parseNQuads(dumpChunks(this.ox, g ? [oxTerm(g) as oxigraph.NamedNode | oxigraph.DefaultGraph] : undefined));
    return n3Quads(this.ox.match(oxTerm(s), oxTerm(p), oxTerm(o), oxTerm(g)));
  }

  scan(): void {
    refuseScan();
  }

  query(sparql: string, format?: ResultFormat, context?: QueryContext): QueryOutput {
    return runQuery(this.ox, sparql, format, context);
  }

  exportText(format: ResultFormat, graph?: string): string {
    return [...exportChunks(this.ox, format, graph)].join('');
  }

  exportTo(file: string, format: ResultFormat, graph?: string): Promise<void> {
    return exportToFile(this.ox, file, format, graph);
  }

  snapshotDue(): boolean {
    return false;
  }

  async writeSnapshot(dir: string, meta: Omit<SnapshotMeta, 'quads' | 'created'>): Promise<void> {
    await writeSnapshot(dir, this.ox, meta);
  }

  close(): void {}

  /** Free the store's memory now (it became paged: the memory then serves the working set). Unusable after. */
  free(): void {
    freeStore(this.ox);
  }
}
