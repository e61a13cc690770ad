// A query's reach: which statements it can possibly match, so a cold process loads only those (vertical partitioning).
// Read from the parsed query (sparqljs): every triple pattern with a constant predicate, its constant subject or
// object where their text is certain, and its variables; narrow.ts then narrows the patterns of one basic graph
// pattern by each other. A query whose reach cannot be bounded (a variable predicate, a negated property set,
// DESCRIBE, SERVICE, an empty GRAPH ?g {}, a path that can match zero steps between variables) reaches everything.
import oxigraph from 'oxigraph';
import sparqljs from 'sparqljs';
import { QueryError, QueryEvaluationError } from './errors.js';
import { prelude, runQuery } from './query.js';

/** One position of a triple pattern: a constant's N-Triples text, a variable's name, or neither (a constant whose text is not certain). */
export type Slot = { text: string } | { v: string } | null;

/**
 * One triple pattern with a constant predicate (N-Triples form, `<…>`). `joins`: it sits in the query's one basic
 * graph pattern, so its statements narrow the other patterns' through shared variables, and theirs narrow its
 * (semi-join reduction; narrow.ts). Any other pattern is narrowed only by its own constants.
 */
export interface PatternReach {
  p: string;
  s: Slot;
  o: Slot;
  joins: boolean;
}

/**
 * What a query can match: every statement of `all`'s predicates (property paths), and for each pattern the
 * statements that fit it. Loading any superset of that gives the same answers as loading everything, because every
 * answer the query can give is built from those statements: a query that can also answer from terms no statement
 * of its predicates holds (a zero-length path: `?x foaf:knows* ?y` pairs every term of the graph with itself) is
 * not bounded (queryReach returns null).
 */
export interface Reach {
  all: Set<string>;
  patterns: PatternReach[];
}

/** Whether a statement of predicate `p` (N-Triples form) may be reached at all. */
export function reachesPredicate(reach: Reach, p: string): boolean {
  return reach.all.has(p) || reach.patterns.some((x) => x.p === p);
}

type Node = Record<string, unknown>;

class Unbounded extends Error {}

/**
 * IRIs and plain strings only: their N-Triples text is the same however the store wrote them. Typed literals are
 * not (oxigraph writes numbers and dates in canonical form), nor are language tags (case).
 */
export function constantText(t: { termType?: unknown; value?: unknown; language?: unknown; datatype?: unknown }): string | undefined {
  const value = t.value as string;
  if (t.termType === 'NamedNode') return /^[^\s<>"{}|^`\\\x00-\x20\x7f]*$/u.test(value) ? `<${value}>` : undefined;
  if (t.termType === 'Literal' && !t.language && (t.datatype as { value?: string } | undefined)?.value === 'http://www.w3.org/2001/XMLSchema#string') {
    return /^[^"\\\x00-\x1f\x7f]*$/u.test(value) ? `"${value}"` : undefined;
  }
  return undefined;
}

function slot(t: Node): Slot {
  if (t.termType === 'Variable') return { v: `?${t.value as string}` };
  if (t.termType === 'BlankNode') return { v: `_:${t.value as string}` }; // a variable that is not selected
  const text = constantText(t);
  return text === undefined ? null : { text };
}

/**
 * Whether a property path matches zero steps too (`p*`, `p?`, a sequence of those, an alternative with one): it
 * then pairs terms with themselves, and which terms depends on more than its predicates' statements (every subject
 * and object of the graph when both ends are variables; every named graph inside GRAPH ?g).
 */
function zeroLength(path: Node): boolean {
  if (path.type !== 'path') return false;
  const items = path.items as Node[];
  switch (path.pathType) {
    case '*':
    case '?':
      return true;
    case '/':
      return items.every(zeroLength);
    case '|':
      return items.some(zeroLength);
    case '^':
    case '+':
      return zeroLength(items[0]);
    default:
      return false;
  }
}

const isVariable = (t: Node) => t.termType === 'Variable' || t.termType === 'BlankNode';

/** The predicates of a property path: every one in full (a path step matches any of its statements). */
function pathPredicates(path: Node, reach: Reach): void {
  if (path.termType === 'NamedNode') {
    const text = constantText(path);
    if (!text) throw new Unbounded();
    reach.all.add(text);
    return;
  }
  if (path.type !== 'path' || path.pathType === '!') throw new Unbounded();
  for (const item of path.items as Node[]) pathPredicates(item, reach);
}

function triple(t: Node, reach: Reach, joins: boolean, inGraph: boolean): void {
  const p = t.predicate as Node;
  if (p.termType === 'Variable') throw new Unbounded();
  if (p.type === 'path') {
    // A zero-length match from a constant needs no statement, unless GRAPH ?g repeats it for every graph.
    if (zeroLength(p) && (inGraph || (isVariable(t.subject as Node) && isVariable(t.object as Node)))) throw new Unbounded();
    return pathPredicates(p, reach);
  }
  const predicate = constantText(p);
  if (!predicate) throw new Unbounded();
  reach.patterns.push({ p: predicate, s: slot(t.subject as Node), o: slot(t.object as Node), joins });
}

/** Every pattern under `node`, wherever it sits (groups, OPTIONAL, UNION, MINUS, FILTER EXISTS, sub-queries). */
function walk(node: unknown, reach: Reach, joins = false, inGraph = false): void {
  if (Array.isArray(node)) {
    for (const x of node) walk(x, reach, joins, inGraph);
    return;
  }
  if (!node || typeof node !== 'object') return;
  const n = node as Node;
  if (n.type === 'service') throw new Unbounded();
  // GRAPH ?g {} lists every graph, including those holding none of the loaded statements.
  if (n.type === 'graph' && !hasTriples(n.patterns)) throw new Unbounded();
  if (n.type === 'bgp') {
    for (const t of n.triples as Node[]) triple(t, reach, joins, inGraph);
    return;
  }
  const graph = inGraph || n.type === 'graph';
  for (const [key, value] of Object.entries(n)) if (key !== 'template' && key !== 'prefixes') walk(value, reach, false, graph);
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
export function refuseBadQuery(sparql: string, base?: string): void {
  try {
    runQuery(new oxigraph.Store(), sparql, 'json', { base });
  } catch (e) {
    // Only what the parser refuses: evaluating on an empty store can fail where the real one would not (oxigraph
    // has no SERVICE handler, so a query of only SERVICE failed here before comunica ever ran it).
    if (e instanceof QueryError && !(e instanceof QueryEvaluationError)) throw e;
  }
}

/**
 * The reach of a query (our prefixes predeclared, as for the store; relative IRIs against `base`); null when it may touch any statement, or
 * sparqljs cannot read it (it may be valid for oxigraph). Throws QueryError when the store would refuse it.
 */
export function queryReach(sparql: string, base?: string): Reach | null {
  let parsed: Node;
  try {
    // skipValidation (sparqljs 3.7; not in its types): the store validates, and reports with positions.
    parsed = new sparqljs.Parser({ skipValidation: true, baseIRI: base } as sparqljs.ParserOptions).parse(prelude(sparql) + sparql) as unknown as Node;
  } catch {
    refuseBadQuery(sparql, base);
    return null;
  }
  if (parsed.type !== 'query') refuseBadQuery(sparql, base); // an update: refused with its own message
  if (parsed.type !== 'query' || parsed.queryType === 'DESCRIBE') return null;
  const reach: Reach = { all: new Set(), patterns: [] };
  // A WHERE of triples and FILTERs only is one basic graph pattern (a join of all its triples): those narrow each
  // other. Anything around them (OPTIONAL, UNION, GRAPH, MINUS, sub-queries, VALUES, BIND) and the patterns
  // inside FILTER EXISTS are narrowed by their own constants only.
  const where = (parsed.where ?? []) as Node[];
  const oneBgp = where.every((x) => x.type === 'bgp' || x.type === 'filter');
  try {
    for (const x of where) walk(x, reach, oneBgp && x.type === 'bgp');
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
