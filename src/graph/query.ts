// SPARQL execution over oxigraph: our prefixes, the union default graph, result formats, typed rows, errors with positions.
import n3 from 'n3';
import oxigraph from 'oxigraph';
import type { Quad, Term } from '@rdfjs/types';
import { QueryError, QueryEvaluationError } from './errors.js';
import { diagnose } from './query-errors.js';
import { PREFIXES } from './vocab.js';
import type { QueryContext, ResultFormat } from './types.js';

const { namedNode, blankNode, literal, quad } = n3.DataFactory;

export type QueryKind = 'select' | 'ask' | 'construct' | 'describe' | 'update' | 'unknown';

interface Common {
  /** The results in the asked format (only when a format was given). */
  serialized?: string;
  format?: ResultFormat;
}
export type QueryOutput =
  | (Common & { kind: 'bindings'; vars: string[]; rows: Array<Record<string, Term>> })
  | (Common & { kind: 'boolean'; value: boolean })
  | (Common & { kind: 'quads'; quads: Quad[] });

const RESULT_MIME: Partial<Record<ResultFormat, string>> = {
  json: 'application/sparql-results+json',
  xml: 'application/sparql-results+xml',
  csv: 'text/csv',
  tsv: 'text/tab-separated-values',
};
export const GRAPH_MIME: Partial<Record<ResultFormat, string>> = {
  turtle: 'text/turtle',
  ntriples: 'application/n-triples',
  nquads: 'application/n-quads',
  trig: 'application/trig',
  jsonld: 'application/ld+json',
};

const PREFIX_DECL = new Map(Object.entries(PREFIXES).map(([p, iri]) => [p, `PREFIX ${p}: <${iri}>`]));
/** A prefixed name's prefix (`dcterms` in `dcterms:title`), not inside a longer name or an IRI's scheme after a word char. */
const PREFIX_USE = /(?:^|[^\w.-])([A-Za-z][\w-]*):/g;

/**
 * The declarations of the predeclared prefixes this query uses, on one line (so the user's line N is line N + 1).
 * Only those it uses: parsing all fourteen would cost more than a small lookup query itself. One scan of the text.
 */
export function prelude(sparql: string): string {
  const used = new Set<string>();
  for (const m of sparql.matchAll(PREFIX_USE)) {
    const decl = PREFIX_DECL.get(m[1]);
    if (decl) used.add(decl);
  }
  return [...PREFIX_DECL.values()].filter((d) => used.has(d)).join(' ') + '\n';
}

/** The query form, read past comments, BASE and PREFIX declarations. */
export function queryKind(sparql: string): QueryKind {
  const re = /\s+|#[^\n]*|(?:BASE\s*<[^>]*>)|(?:PREFIX\s*[^\s:]*:\s*<[^>]*>)/iy;
  let i = 0;
  for (;;) {
    re.lastIndex = i;
    const m = re.exec(sparql);
    if (!m || m[0].length === 0) break;
    i = re.lastIndex;
  }
  const word = /^[A-Za-z]+/.exec(sparql.slice(i))?.[0].toUpperCase() ?? '';
  if (word === 'SELECT' || word === 'ASK' || word === 'CONSTRUCT' || word === 'DESCRIBE') return word.toLowerCase() as QueryKind;
  if (['INSERT', 'DELETE', 'LOAD', 'CLEAR', 'CREATE', 'DROP', 'COPY', 'MOVE', 'ADD', 'WITH'].includes(word)) return 'update';
  return 'unknown';
}

/** A message on one line, whole. */
function oneLine(msg: string): string {
  return msg.trim().replace(/\s*\n\s*/g, ' ');
}

function toQueryError(e: unknown, sparql: string): QueryError {
  const msg = e instanceof Error ? e.message : String(e);
  const m = /^error at (\d+):(\d+): ([\s\S]*)$/.exec(msg);
  if (m) {
    // oxigraph counts the prelude line; clamp the column to the user's line (it may point just past it)
    const lines = sparql.split('\n');
    const line = Math.min(Math.max(1, Number(m[1]) - 1), lines.length);
    const chars = [...(lines[line - 1] ?? '')];
    let col = Math.min(Math.max(1, Number(m[2])), chars.length + 1);
    // oxigraph reports the furthest point it reached; inside a word, point at the word's start
    const word = /[\p{L}\p{N}_:?$-]/u;
    if (col <= chars.length && word.test(chars[col - 1])) while (col > 1 && word.test(chars[col - 2])) col--;
    let d: { reason: string; line: number; column: number };
    try {
      d = diagnose(sparql, line, col, m[3]);
    } catch {
      d = { reason: oneLine(m[3]), line, column: col }; // the explanation failed: oxigraph's own words, whole
    }
    return new QueryError(d.reason, d.line, d.column);
  }
  return new QueryEvaluationError(oneLine(msg));
}

function jsonTerm(b: { type: string; value: unknown; 'xml:lang'?: string; datatype?: string }): Term {
  switch (b.type) {
    case 'uri':
      return namedNode(b.value as string);
    case 'bnode':
      return blankNode(b.value as string);
    case 'literal':
    case 'typed-literal':
      return literal(b.value as string, b['xml:lang'] || (b.datatype ? namedNode(b.datatype) : undefined));
    case 'triple': {
      const t = b.value as Record<string, never>;
      return quad(jsonTerm(t.subject) as Quad['subject'], jsonTerm(t.predicate) as Quad['predicate'], jsonTerm(t.object) as Quad['object']);
    }
    default:
      throw new QueryEvaluationError(`unknown term type in results: ${b.type}`);
  }
}

interface JsonResults {
  head: { vars?: string[] };
  boolean?: boolean;
  results?: { bindings: Array<Record<string, { type: string; value: unknown }>> };
}

function fromJson(text: string): QueryOutput {
  const r = JSON.parse(text) as JsonResults;
  if (typeof r.boolean === 'boolean') return { kind: 'boolean', value: r.boolean };
  const vars = r.head.vars ?? [];
  const rows = (r.results?.bindings ?? []).map((b) => {
    const row: Record<string, Term> = {};
    for (const [k, v] of Object.entries(b)) row[k] = jsonTerm(v);
    return row;
  });
  return { kind: 'bindings', vars, rows };
}

function parseQuads(text: string, format: 'N-Triples' | 'N-Quads'): Quad[] {
  return new n3.Parser({ format }).parse(text);
}

/** Attach lazily computed typed results to a serialized output, so a caller who only prints pays nothing more. */
function lazy<T extends object>(base: T, key: string, compute: () => unknown): T {
  let cached: unknown;
  let done = false;
  Object.defineProperty(base, key, {
    enumerable: true,
    get() {
      if (!done) {
        cached = compute();
        done = true;
      }
      return cached;
    },
  });
  return base;
}

// The form and the prefixed text of recent queries: a dashboard or an application repeats the same few, and for a
// sub-millisecond lookup reading the text again is a measurable part of the time.
const recent = new Map<string, { kind: QueryKind; text: string }>();
function prepared(sparql: string): { kind: QueryKind; text: string } {
  let hit = recent.get(sparql);
  if (!hit) {
    hit = { kind: queryKind(sparql), text: prelude(sparql) + sparql };
    if (recent.size >= 256) recent.delete(recent.keys().next().value!);
    if (sparql.length <= 4096) recent.set(sparql, hit);
  }
  return hit;
}

/** oxigraph's query options for a context: its dataset, else the union of all graphs as the default graph; its base. */
function contextOptions(context?: QueryContext): Record<string, unknown> {
  const base = context?.base ? { base_iri: context.base } : {};
  const d = context?.dataset;
  if (!d) return { use_default_graph_as_union: true, ...base };
  return { default_graph: d.defaultGraphs.map((g) => oxigraph.namedNode(g)), named_graphs: d.namedGraphs.map((g) => oxigraph.namedNode(g)), ...base };
}

/** Run a read-only SPARQL query over the union of all graphs (or over the context's dataset). */
export function runQuery(store: oxigraph.Store, sparql: string, format?: ResultFormat, context?: QueryContext): QueryOutput {
  const { kind, text } = prepared(sparql);
  if (kind === 'update') throw new QueryError('this is a SPARQL update; only queries (SELECT, ASK, CONSTRUCT, DESCRIBE) are accepted here', 1, 1);
  const run = (results_format: string): string => {
    try {
      return store.query(text, { results_format, ...contextOptions(context) }) as string;
    } catch (e) {
      throw toQueryError(e, sparql);
    }
  };
  if (kind === 'construct' || kind === 'describe') {
    if (!format) return { kind: 'quads', quads: parseQuads(run('application/n-triples'), 'N-Triples') };
    const mime = GRAPH_MIME[format] ?? (format === 'json' ? GRAPH_MIME.jsonld : undefined);
    if (!mime) throw new QueryEvaluationError(`the format ${format} is for SELECT and ASK results; use turtle, ntriples, nquads, trig or jsonld for ${kind.toUpperCase()}`);
    const serialized = run(mime);
    const out = { kind: 'quads', serialized, format } as QueryOutput;
    const nt = format === 'ntriples' || format === 'nquads';
    return lazy(out, 'quads', () => parseQuads(nt ? serialized : run('application/n-triples'), 'N-Triples'));
  }
  // an unknown form is run as is, so that oxigraph reports the syntax error with its position
  if (!format) return fromJson(run(RESULT_MIME.json!));
  const mime = RESULT_MIME[format];
  if (!mime) throw new QueryEvaluationError(`the format ${format} is for CONSTRUCT and DESCRIBE; use json, xml, csv or tsv for ${kind === 'ask' ? 'ASK' : 'SELECT'}`);
  const serialized = run(mime);
  let typedCache: QueryOutput | undefined;
  const typed = (): QueryOutput => (typedCache ??= fromJson(format === 'json' ? serialized : run(RESULT_MIME.json!)));
  if (kind === 'ask') return lazy({ kind: 'boolean', serialized, format } as QueryOutput, 'value', () => (typed() as { value: boolean }).value);
  const out = { kind: 'bindings', serialized, format } as QueryOutput;
  lazy(out, 'vars', () => (typed() as { vars: string[] }).vars);
  return lazy(out, 'rows', () => (typed() as { rows: unknown[] }).rows);
}
