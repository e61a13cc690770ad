// How a GraphStore holds its statements: one interface, three implementations, chosen once when the store opens
// (backend-open.ts): whole (backend-whole.ts: everything in one oxigraph store), paged (backend-paged.ts: the
// snapshot on disk, the changes and a working set in memory; paged.ts) and reach-only (backend-reach.ts: only the
// statements one query can match). The store (store.ts) keeps the log, the clocks, the version vectors and the
// queue of writes; its backend only holds, changes, finds and writes out statements.
import n3 from 'n3';
import oxigraph from 'oxigraph';
import type { Quad, Term } from '@rdfjs/types';
import { StoreError } from './errors.js';
import type { QueryOutput } from './query.js';
import type { Part, SnapshotMeta } from './snapshot.js';
import type { QueryContext, ResultFormat, VersionVector } from './types.js';
import type { Replayed } from './replay.js';

export type BackendMode = 'whole' | 'paged' | 'reach';

/** A paged store's snapshot (file, index of parts, statements) and the patches it holds (GraphStore.pagedSnapshot). */
export interface PagedSnapshotInfo {
  file: string;
  parts: Part[];
  quads: number;
  vv: VersionVector;
}

export interface StoreBackend {
  readonly mode: BackendMode;
  /** Statements in the store (a reach-only backend: those it loaded). */
  readonly size: number;
  /** Statements held in memory: all of them, or a paged store's working set. */
  readonly holding: number;
  /** Holds only one query's reach: answers that query and refuses changes, matches, exports and snapshots. */
  readonly partial: boolean;
  /** Whether scan() streams statements from disk (a paged store). */
  readonly scans: boolean;
  /** A paged store's snapshot, for another thread to open its own replica; null otherwise. */
  readonly pagedSnapshot: PagedSnapshotInfo | null;
  /** Which of these rows (`s p o [g]`, N-Quads terms, no final dot) are held now, by index. */
  present(keys: string[], inDefaultGraph: boolean[]): Set<number>;
  /** True when none of these graphs (IRIs) holds a statement (a new graph's rows need no presence check). */
  holdsNothingIn(graphs: Iterable<string>): boolean;
  /** Apply an encoded patch already logged. `known`: each of its rows changes something (checked against the store). */
  apply(text: string, known: boolean): void;
  /**
   * Apply an encoded patch already logged whose rows are all additions that change something (`rows`: its rows,
   * `s p o g` without the final dot, each once, in graphs that held nothing): no re-reading of the patch text.
   */
  applyAdditions(rows: readonly string[]): void;
  /** The IRIs of the named graphs that may hold statements. */
  graphNames(): string[];
  /** Quads matching a pattern (null/undefined = any), as n3 DataFactory quads. */
  match(s?: Term | null, p?: Term | null, o?: Term | null, g?: Term | null): Quad[];
  /** Every statement of these predicates (IRIs), streamed from disk: `each(p, s, o)` in N-Triples syntax. */
  scan(predicates: string[], each: (p: string, s: string, o: string) => void): void;
  /** A read-only SPARQL query (query.ts runQuery) over what the backend holds. */
  query(sparql: string, format?: ResultFormat, context?: QueryContext): QueryOutput;
  /** Everything (or one graph, by IRI or `_:label`) as text in `format`. */
  exportText(format: ResultFormat, graph?: string): string;
  /** The same, streamed into a file. */
  exportTo(file: string, format: ResultFormat, graph?: string): Promise<void>;
  /** Whether the backend wants a snapshot now, whatever the log's size (a paged store holding many changes). */
  snapshotDue(): boolean;
  /** Write a snapshot of everything held into `dir` (snapshot.ts). */
  writeSnapshot(dir: string, meta: Omit<SnapshotMeta, 'quads' | 'created'>): Promise<void>;
  /** Release what it holds open (a paged store's snapshot file). */
  close(): void;
}

/** How a backend being opened replays the change log after its snapshot `head`: each record's text to `apply`. */
export type Replay = (head: SnapshotMeta | null, apply: (text: string) => void) => Promise<Replayed>;

/** A backend just opened, with what replaying the log found. `stale`: its snapshot is of an older format (rewritten on close). */
export interface OpenedBackend {
  backend: StoreBackend;
  replayed: Replayed;
  stale: boolean;
}

/** What a store holding only one query's reach cannot do. */
export function refuse(what: string): never {
  throw new StoreError(`This store was opened for one query and holds only what it reaches: it cannot ${what}.`);
}

/** What a store held whole or reach-only cannot do: stream statements from disk. */
export function refuseScan(): never {
  throw new StoreError('Only a paged store streams statements; query a whole store.');
}

const { namedNode, blankNode, literal, quad, defaultGraph } = n3.DataFactory;

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

/** An RDF/JS term as oxigraph's (null for none: any). */
export function oxTerm(x?: Term | null): oxigraph.Term | null {
  return x ? (oxigraph.fromTerm(x) as oxigraph.Term) : null;
}

/** oxigraph's quads as n3 DataFactory quads. */
export function n3Quads(quads: oxigraph.Quad[]): Quad[] {
  return quads.map((x) => quad(oxToN3(x.subject) as Quad['subject'], oxToN3(x.predicate) as Quad['predicate'], oxToN3(x.object) as Quad['object'], oxToN3(x.graph) as Quad['graph']));
}

/** N-Quads text chunks parsed (a whole graph dumped as text and parsed: ~50x faster than a wasm object per term). */
export function parseNQuads(chunks: Iterable<Buffer | string>): Quad[] {
  const out: Quad[] = [];
  for (const text of chunks) for (const x of new n3.Parser({ format: 'N-Quads' }).parse(text.toString())) out.push(x);
  return out;
}
