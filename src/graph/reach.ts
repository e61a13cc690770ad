// A query's reach: which statements it can possibly match, so a cold process loads only those (vertical partitioning).
// Read from the parsed query (sparqljs): every triple pattern with a constant predicate, and, where the pattern's
// subject or object is a constant IRI or plain string, that constant. A query whose reach cannot be bounded (a
// variable predicate, a negated property set, DESCRIBE, SERVICE, an empty GRAPH ?g {}) reaches everything.
import oxigraph from 'oxigraph';
import sparqljs from 'sparqljs';
import { QueryError } from './errors.js';
import { prelude, runQuery } from './query.js';

/** Statements one pattern can match: its predicate and, when constant, its subject or object (N-Triples text). */
export interface PatternReach {
  s?: string;
  o?: string;
}

/**
 * Per predicate (N-Triples form, `<…>`), 'all' its statements or only those matching one of the listed patterns.
 * Loading any superset of the reach gives the same answers as loading everything: no pattern matches a statement
 * outside it.
 */
export type Reach = Map<string, 'all' | PatternReach[]>;

type Node = Record<string, unknown>;

class Unbounded extends Error {}

/**
 * IRIs and plain strings only: their N-Triples text is the same however the store wrote them. Typed literals are
 * not (oxigraph writes numbers and dates in canonical form), nor are language tags (case).
 */
function constantText(t: Node): string | undefined {
  const value = t.value as string;
  if (t.termType === 'NamedNode') return /^[^\s<>"{}|^`\\\x00-\x20\x7f]*$/u.test(value) ? `<${value}>` : undefined;
  if (t.termType === 'Literal' && !t.language && (t.datatype as Node | undefined)?.value === 'http://www.w3.org/2001/XMLSchema#string') {
    return /^[^"\\\x00-\x1f\x7f]*$/u.test(value) ? `"${value}"` : undefined;
  }
  return undefined;
}

function addAll(reach: Reach, predicate: string): void {
  reach.set(predicate, 'all');
}

function addPattern(reach: Reach, predicate: string, p: PatternReach): void {
  const had = reach.get(predicate);
  if (had === 'all') return;
  if (!p.s && !p.o) return addAll(reach, predicate);
  reach.set(predicate, [...(had ?? []), p]);
}

/** The predicates of a property path: every one in full (a path step matches any of its statements). */
function pathPredicates(path: Node, reach: Reach): void {
  if (path.termType === 'NamedNode') {
    const text = constantText(path);
    if (!text) throw new Unbounded();
    return addAll(reach, text);
  }
  if (path.type !== 'path' || path.pathType === '!') throw new Unbounded();
  for (const item of path.items as Node[]) pathPredicates(item, reach);
}

function triple(t: Node, reach: Reach): void {
  const p = t.predicate as Node;
  if (p.termType === 'Variable') throw new Unbounded();
  if (p.type === 'path') return pathPredicates(p, reach);
  const predicate = constantText(p);
  if (!predicate) throw new Unbounded();
  addPattern(reach, predicate, { s: constantText(t.subject as Node), o: constantText(t.object as Node) });
}

/** Every pattern under `node`, wherever it sits (groups, OPTIONAL, UNION, MINUS, FILTER EXISTS, sub-queries). */
function walk(node: unknown, reach: Reach): void {
  if (Array.isArray(node)) {
    for (const x of node) walk(x, reach);
    return;
  }
  if (!node || typeof node !== 'object') return;
  const n = node as Node;
  if (n.type === 'service') throw new Unbounded();
  // GRAPH ?g {} lists every graph, including those holding none of the loaded statements.
  if (n.type === 'graph' && !hasTriples(n.patterns)) throw new Unbounded();
  if (n.type === 'bgp') {
    for (const t of n.triples as Node[]) triple(t, reach);
    return;
  }
  for (const [key, value] of Object.entries(n)) if (key !== 'template' && key !== 'prefixes') walk(value, reach);
}

function hasTriples(node: unknown): boolean {
  if (Array.isArray(node)) return node.some(hasTriples);
  if (!node || typeof node !== 'object') return false;
  const n = node as Node;
  if (n.type === 'bgp') return (n.triples as unknown[]).length > 0;
  return Object.values(n).some(hasTriples);
}

/**
 * The store's own verdict on a query sparqljs could not read or will not bound: on an empty store, so a typo is
 * reported (QueryError, with its line and column) before seconds of loading. Anything else is left to the real run.
 */
function refuseBadQuery(sparql: string): void {
  try {
    runQuery(new oxigraph.Store(), sparql, 'json');
  } catch (e) {
    if (e instanceof QueryError) throw e;
  }
}

/**
 * The reach of a query (our prefixes predeclared, as for the store); null when it may touch any statement, or
 * sparqljs cannot read it (it may be valid for oxigraph). Throws QueryError when the store would refuse it.
 */
export function queryReach(sparql: string): Reach | null {
  let parsed: Node;
  try {
    // skipValidation (sparqljs 3.7; not in its types): the store validates, and reports with positions.
    parsed = new sparqljs.Parser({ skipValidation: true } as sparqljs.ParserOptions).parse(prelude(sparql) + sparql) as unknown as Node;
  } catch {
    refuseBadQuery(sparql);
    return null;
  }
  if (parsed.type !== 'query') refuseBadQuery(sparql); // an update: refused with its own message
  if (parsed.type !== 'query' || parsed.queryType === 'DESCRIBE') return null;
  const reach: Reach = new Map();
  try {
    walk(parsed.where, reach);
  } catch (e) {
    if (e instanceof Unbounded) return null;
    throw e;
  }
  return reach;
}

/** The predicate of an N-Quads line (`<s> <p> …`), or null when the line does not have that shape. */
export function linePredicate(line: string): string | null {
  if (line[0] !== '<') return null;
  const a = line.indexOf('> <');
  if (a < 0) return null;
  const b = line.indexOf('> ', a + 3);
  return b < 0 ? null : line.slice(a + 2, b + 1);
}

/** Whether an N-Quads line of predicate `predicate` may match a pattern in `reach`. */
export function lineInReach(reach: Reach, line: string): boolean {
  const p = linePredicate(line);
  if (p === null) return true; // not our shape: keep it (loading more never changes an answer)
  const r = reach.get(p);
  if (!r) return false;
  return r === 'all' || r.some((x) => matches(line, p, x));
}

function matches(line: string, predicate: string, x: PatternReach): boolean {
  const subjectEnd = line.indexOf(' ');
  if (x.s !== undefined && (subjectEnd !== x.s.length || !line.startsWith(x.s))) return false;
  if (x.o !== undefined) {
    const start = subjectEnd + 1 + predicate.length + 1;
    if (!line.startsWith(x.o, start) || line[start + x.o.length] !== ' ') return false;
  }
  return true;
}
