// A bulk addition into named graphs that hold nothing yet (a device's catalog seen for the first time): the rows are
// checked and written here, each distinct IRI once, and GraphStore.commit takes them as one patch without building a
// quad per row or asking the store about each row (none can be held when their graph holds nothing).
import n3 from 'n3';
import type { Quad, Term } from '@rdfjs/types';
import { StoreError } from './errors.js';
import { quadTerms, termProblem, termToNQuads } from './terms.js';
import type { Change } from './types.js';

/** A change whose quad is read from its row only when asked for (anything but GraphStore.commit's bulk path asks). */
class RowChange implements Change {
  readonly op = 'A' as const;
  private parsed: Quad | undefined;
  constructor(readonly row: string) {}
  get quad(): Quad {
    return (this.parsed ??= rowQuads([this.row])[0]);
  }
}

/**
 * Additions into named graphs the store holds nothing in yet, built row by row with {@link add}. It is a change list
 * too (an array of additions), so anything that takes changes commits it right; GraphStore.commit takes its rows as
 * they are when their graphs are still empty, and checks them row by row as any change list otherwise.
 */
export class NewGraphRows extends Array<Change> {
  // map(), filter() and slice() make plain arrays of the same changes.
  static override get [Symbol.species](): ArrayConstructor {
    return Array;
  }

  /** Each row (`s p o g` in N-Quads syntax, no final dot), once, in the order added. */
  readonly rows: string[] = [];
  /** The graphs the rows are in (IRIs). */
  readonly graphs = new Set<string>();
  private readonly iris = new Map<string, string>(); // IRI → its text, checked
  private readonly seen = new Set<string>(); // the rows added through add() (addDistinct's need no lookup)
  private byRow: Map<string, Change> | undefined;

  constructor() {
    super();
  }

  /** Each row and its change, in the order added (built when first asked for: the bulk path never asks). */
  get keyed(): ReadonlyMap<string, Change> {
    if (this.byRow?.size !== this.rows.length) this.byRow = new Map(this.rows.map((r, i) => [r, this[i]]));
    return this.byRow;
  }

  /** Add one statement (no blank node; a named graph). Throws StoreError for a term the store would refuse. */
  add(s: Term, p: Term, o: Term, g: Term): void {
    if (g.termType !== 'NamedNode') throw new StoreError(`Cannot store this quad: a new graph's statements need a named graph, not ${g.termType}.`);
    const row = `${this.text(s, 'subject')} ${this.text(p, 'predicate')} ${this.text(o, 'object')} ${this.text(g, 'graph')}`;
    if (this.seen.has(row)) return;
    this.seen.add(row);
    this.addDistinct(row);
    this.graphs.add(g.value);
  }

  /**
   * Add a row written by the caller (terms checked as {@link add} checks them, graph named and in `graphs`) that is
   * none of the rows added before and none that will be added through add(): no lookup (80,000 rows of a catalog
   * are told apart by construction, one distinct file each).
   */
  protected addDistinct(row: string): void {
    this.rows.push(row);
    this.push(new RowChange(row));
  }

  /** Add a quad (its graph must be named). */
  addQuad(q: Quad): void {
    this.add(q.subject, q.predicate, q.object, q.graph);
  }

  private text(t: Term, position: 'subject' | 'predicate' | 'object' | 'graph'): string {
    if (t.termType === 'NamedNode') {
      const hit = this.iris.get(t.value);
      if (hit !== undefined) return hit;
    }
    const problem = t.termType === 'BlankNode' ? 'blank nodes are not stored (they cannot sync): derive a stable IRI, see vocab.ts' : termProblem(t, position);
    if (problem) throw new StoreError(`Cannot store this quad: ${problem}.`);
    const text = termToNQuads(t);
    if (t.termType === 'NamedNode') this.iris.set(t.value, text);
    return text;
  }
}

/** Rows (`s p o [g]` in N-Quads syntax, no final dot) as quads, in order. */
export function rowQuads(rows: readonly string[]): Quad[] {
  if (!rows.length) return [];
  return new n3.Parser({ format: 'N-Quads' }).parse(rows.join(' .\n') + ' .\n');
}

/** A quad as a row: `s p o [g]` in N-Quads syntax, no final dot (the store's own key for it). */
export const rowOf = (q: Quad): string => quadTerms(q);
