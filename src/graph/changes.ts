// The changes a paged store (paged.ts) holds since its snapshot: the statements added that the snapshot lacks, and
// the snapshot's statements deleted, each in a small oxigraph store (so values compare as oxigraph compares them),
// with counts per predicate. A snapshot merges them into its parts and starts a new, empty set.
import oxigraph from 'oxigraph';
import { deleteRows, loadRows, presentRows, splitRow } from './rows.js';
import { byPredicate, dumpGraphs, namedGraphs } from './snapshot.js';

const NQUADS = { format: 'application/n-quads', lenient: true, no_transaction: true } as const;

function bump(m: Map<string, number>, k: string, by: number): void {
  const n = (m.get(k) ?? 0) + by;
  if (n) m.set(k, n);
  else m.delete(k);
}

function graphTerm(text: string): oxigraph.NamedNode | oxigraph.BlankNode | oxigraph.DefaultGraph {
  if (text === '') return oxigraph.defaultGraph();
  return text.startsWith('_:') ? oxigraph.blankNode(text.slice(2)) : oxigraph.namedNode(text.slice(1, -1));
}

const predicateTerm = (p: string) => oxigraph.namedNode(p.slice(1, -1));

export class Changes {
  private readonly adds = new oxigraph.Store();
  private readonly dels = new oxigraph.Store();
  private readonly addCount = new Map<string, number>();
  private readonly delCount = new Map<string, number>();

  /** Statements added or deleted. */
  get size(): number {
    return this.adds.size + this.dels.size;
  }

  /** Statements of predicate `p` (N-Triples text) added. */
  added(p: string): number {
    return this.addCount.get(p) ?? 0;
  }

  /** The predicates with statements added. */
  addedPredicates(): string[] {
    return [...this.addCount.keys()];
  }

  /** Of these rows (`s p o [g]`, no final dot), those added (`which` 'added') or deleted, by index. */
  holds(which: 'added' | 'deleted', keys: string[]): Set<number> {
    const store = which === 'added' ? this.adds : this.dels;
    if (!store.size || !keys.length) return new Set();
    return presentRows(store, keys, keys.map((k) => splitRow(k)[3] === ''));
  }

  /** Record rows that change the store: `dels` held before, `adds` not. */
  record(dels: string[], adds: string[]): void {
    // A deletion takes back an addition since the snapshot, or deletes a statement of the snapshot; an addition
    // takes back a deletion, or adds a statement the snapshot lacks.
    const unadded = this.holds('added', dels);
    const undeleted = this.holds('deleted', adds);
    const split = (rs: string[], hit: Set<number>) => [rs.filter((_, i) => hit.has(i)), rs.filter((_, i) => !hit.has(i))];
    const [takenBack, newDels] = split(dels, unadded);
    const [restored, newAdds] = split(adds, undeleted);
    deleteRows(this.adds, takenBack);
    loadRows(this.dels, newDels);
    deleteRows(this.dels, restored);
    loadRows(this.adds, newAdds);
    const count = (m: Map<string, number>, rs: string[], by: number) => {
      for (const r of rs) bump(m, splitRow(r)[1], by);
    };
    count(this.addCount, takenBack, -1);
    count(this.addCount, newAdds, 1);
    count(this.delCount, newDels, 1);
    count(this.delCount, restored, -1);
  }

  /** Apply the changes to these predicates' statements (only `graph`'s, N-Triples text, when given) to a store holding the snapshot's. */
  applyTo(store: oxigraph.Store, preds: Set<string>, graph?: string): void {
    const g = graph === undefined ? null : graphTerm(graph);
    for (const p of preds) {
      if (this.delCount.has(p)) for (const q of this.dels.match(null, predicateTerm(p), null, g)) store.delete(q);
    }
    const added = [...preds].reduce((n, p) => n + this.added(p), 0);
    if (!added) return;
    if (added < 10_000) {
      for (const p of preds) if (this.addCount.has(p)) for (const q of this.adds.match(null, predicateTerm(p), null, g)) store.add(q);
      return;
    }
    const lines: string[] = [];
    for (const { text } of dumpGraphs(this.adds, g ? [g] : undefined)) {
      for (const [p, rows] of byPredicate(text)) if (preds.has(p)) lines.push(...rows);
    }
    if (lines.length) store.load(Buffer.from(lines.join('')), NQUADS);
  }

  /** The added statements (only `graph`'s, N-Triples text, when given) as lines, by graph and predicate (N-Triples text). */
  addedLines(graph?: string): Map<string, Map<string, string[]>> {
    const out = new Map<string, Map<string, string[]>>();
    if (!this.adds.size) return out;
    for (const { graph: g, text } of dumpGraphs(this.adds, graph === undefined ? undefined : [graphTerm(graph)])) out.set(g, byPredicate(text));
    return out;
  }

  /** The deleted statements of these predicates as lines, as the snapshot writes them. */
  deletedLines(preds: Set<string>): Set<string> {
    const out = new Set<string>();
    if (![...preds].some((p) => this.delCount.has(p))) return out;
    for (const { text } of dumpGraphs(this.dels)) for (const [p, lines] of byPredicate(text)) if (preds.has(p)) for (const l of lines) out.add(l);
    return out;
  }

  /** `graph predicate` (N-Triples text) of every part with deletions. */
  deletedParts(): Set<string> {
    const out = new Set<string>();
    for (const q of this.dels.match(null, null, null, null)) {
      const g = q.graph.termType === 'DefaultGraph' ? '' : q.graph.termType === 'BlankNode' ? `_:${q.graph.value}` : `<${q.graph.value}>`;
      out.add(`${g} <${q.predicate.value}>`);
    }
    return out;
  }

  /** Delete from `store` the deletions of one part. */
  removeDeleted(store: oxigraph.Store, predicate: string, graph: string): void {
    for (const q of this.dels.match(null, predicateTerm(predicate), null, graphTerm(graph))) store.delete(q);
  }

  /** The graphs statements were added to (N-Triples text). */
  graphs(): string[] {
    return namedGraphs(this.adds).map((g) => (g.termType === 'NamedNode' ? `<${g.value}>` : `_:${g.value}`));
  }
}
