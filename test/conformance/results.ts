// SPARQL results as the W3C suite compares them: multisets of solutions, blank nodes up to renaming, in order only
// under ORDER BY (by the ordering variables), literals by lexical form and datatype. Readers for .srx, .srj,
// .ttl/.rdf/.nt (result sets in the rs: vocabulary, or graphs) and for semsync's JSON and N-Triples answers.
import fs from 'node:fs';
import { pathToFileURL } from 'node:url';
import n3 from 'n3';
import oxigraph from 'oxigraph';
import type { Quad, Term } from '@rdfjs/types';
import { ID } from '../../src/graph/vocab.js';

const XSD_STRING = 'http://www.w3.org/2001/XMLSchema#string';
const LANG_STRING = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#langString';
const RS = 'http://www.w3.org/2001/sw/DataAccess/tests/result-set#';
/** Import turns blank nodes into these IRIs (io.ts skolemIri); the comparison reads them as the blank nodes they stand for. */
const SKOLEM = `${ID.iri}genid/`;

export interface T {
  t: 'iri' | 'bnode' | 'lit';
  v: string;
  dt?: string;
  lang?: string;
}
export type Row = Record<string, T>;
export type Answer = { kind: 'bindings'; rows: Row[] } | { kind: 'boolean'; value: boolean } | { kind: 'graph'; rows: Row[] };

export function iri(v: string): T {
  return v.startsWith(SKOLEM) ? { t: 'bnode', v: v.slice(SKOLEM.length) } : { t: 'iri', v };
}
export function lit(v: string, lang?: string, dt?: string): T {
  return lang ? { t: 'lit', v, lang: lang.toLowerCase(), dt: LANG_STRING } : { t: 'lit', v, dt: dt ?? XSD_STRING };
}
function fromRdfjs(x: Term): T {
  if (x.termType === 'NamedNode') return iri(x.value);
  if (x.termType === 'BlankNode') return { t: 'bnode', v: x.value };
  if (x.termType === 'Literal') return lit(x.value, x.language, x.datatype.value);
  throw new Error(`unexpected term ${x.termType}`);
}

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
function unxml(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (m, e: string) =>
    e[0] === '#' ? String.fromCodePoint(e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : Number(e.slice(1))) : (ENTITIES[e] ?? m),
  );
}
const attr = (tag: string, name: string) => new RegExp(`${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)')`).exec(tag)?.slice(1).find((x) => x !== undefined);

/** SPARQL Query Results XML. */
export function fromSrx(text: string): Answer {
  const b = /<boolean>\s*(true|false)\s*<\/boolean>/.exec(text);
  if (b) return { kind: 'boolean', value: b[1] === 'true' };
  const rows: Row[] = [];
  for (const r of text.matchAll(/<result>([\s\S]*?)<\/result>|<result\s*\/>/g)) {
    const row: Row = {};
    for (const bind of (r[1] ?? '').matchAll(/<binding\s+name=["']([^"']+)["']\s*>\s*([\s\S]*?)\s*<\/binding>/g)) {
      const inner = bind[2];
      const m = /^<(uri|bnode|literal)([^>]*?)(\/>|>([\s\S]*?)<\/\1>)$/.exec(inner);
      if (!m) throw new Error(`cannot read the binding ${inner}`);
      const value = unxml(m[4] ?? '');
      row[bind[1]] = m[1] === 'uri' ? iri(value) : m[1] === 'bnode' ? { t: 'bnode', v: value } : lit(value, attr(m[2], 'xml:lang'), attr(m[2], 'datatype'));
    }
    rows.push(row);
  }
  return { kind: 'bindings', rows };
}

interface JsonTerm {
  type: string;
  value: string;
  'xml:lang'?: string;
  datatype?: string;
}
/** SPARQL Query Results JSON (the suite's .srj and semsync's answers). */
export function fromSrj(text: string): Answer {
  const r = JSON.parse(text) as { boolean?: boolean; results?: { bindings: Array<Record<string, JsonTerm>> } };
  if (typeof r.boolean === 'boolean') return { kind: 'boolean', value: r.boolean };
  const term = (x: JsonTerm): T => (x.type === 'uri' ? iri(x.value) : x.type === 'bnode' ? { t: 'bnode', v: x.value } : lit(x.value, x['xml:lang'], x.datatype));
  return { kind: 'bindings', rows: (r.results?.bindings ?? []).map((b) => Object.fromEntries(Object.entries(b).map(([k, v]) => [k, term(v)]))) };
}

/** Turtle (semsync's CONSTRUCT answers over HTTP). */
export function fromTurtle(text: string): Answer {
  return graphAnswer(new n3.Parser({ format: 'Turtle', blankNodePrefix: '' }).parse(text));
}

/** N-Triples (semsync's CONSTRUCT answers). */
export function fromNTriples(text: string): Answer {
  return graphAnswer(new n3.Parser({ format: 'N-Triples', blankNodePrefix: '' }).parse(text));
}

function graphAnswer(quads: Quad[]): Answer {
  return { kind: 'graph', rows: quads.map((q) => ({ s: fromRdfjs(q.subject), p: fromRdfjs(q.predicate), o: fromRdfjs(q.object) })) };
}

/** An RDF file: a result set in the rs: vocabulary, or a graph (CONSTRUCT). */
export function fromRdfFile(file: string): Answer {
  const text = fs.readFileSync(file, 'utf8');
  const base = pathToFileURL(file).href;
  let quads: Quad[];
  if (file.endsWith('.rdf')) {
    const nt = new oxigraph.Store();
    nt.load(text, { format: 'application/rdf+xml', base_iri: base });
    quads = new n3.Parser({ format: 'N-Quads', blankNodePrefix: '' }).parse(nt.dump({ format: 'application/n-quads' }));
  } else {
    quads = new n3.Parser({ baseIRI: base, blankNodePrefix: '' }).parse(text);
  }
  const set = quads.find((q) => q.object.value === `${RS}ResultSet`);
  if (!set) return graphAnswer(quads);
  const objs = (s: Term, p: string) => quads.filter((q) => q.subject.equals(s) && q.predicate.value === RS + p).map((q) => q.object);
  const bool = objs(set.subject, 'boolean')[0];
  if (bool) return { kind: 'boolean', value: bool.value === 'true' };
  const solutions = objs(set.subject, 'solution').map((sol) => {
    const row: Row = {};
    for (const b of objs(sol, 'binding')) row[objs(b, 'variable')[0].value] = fromRdfjs(objs(b, 'value')[0]);
    return { row, index: Number(objs(sol, 'index')[0]?.value ?? 0) };
  });
  solutions.sort((a, b) => a.index - b.index);
  return { kind: 'bindings', rows: solutions.map((s) => s.row) };
}

/** The expected answer of a test, by its file's extension. */
export function expected(file: string): Answer {
  if (file.endsWith('.srx')) return fromSrx(fs.readFileSync(file, 'utf8'));
  if (file.endsWith('.srj')) return fromSrj(fs.readFileSync(file, 'utf8'));
  if (/\.(ttl|rdf|nt)$/.test(file)) return fromRdfFile(file);
  throw new Error(`no reader for the result file ${file}`);
}

const termKey = (x: T, bnodes: boolean) => (x.t === 'bnode' ? (bnodes ? `_:${x.v}` : '_') : x.t === 'iri' ? `<${x.v}>` : `${JSON.stringify(x.v)}@${x.lang ?? ''}^^${x.dt}`);
const rowKey = (r: Row, bnodes = false, only?: string[]) =>
  Object.keys(r)
    .filter((k) => !only || only.includes(k))
    .sort()
    .map((k) => `${k}=${termKey(r[k], bnodes)}`)
    .join(' ');

/** Whether `a` and `b` hold the same rows, one to one, with one renaming of blank nodes; `order`: row i to row i. */
function matchRows(a: Row[], b: Row[], ordered: boolean): boolean {
  const ab = new Map<string, string>();
  const ba = new Map<string, string>();
  const used = new Set<number>();
  let steps = 0;
  const fits = (x: Row, y: Row, bound: Array<[string, string]>): boolean => {
    for (const k of Object.keys(x)) {
      const [p, q] = [x[k], y[k]];
      if (p.t !== 'bnode') continue;
      const had = ab.get(p.v);
      if (had !== undefined ? had !== q.v : ba.has(q.v)) return false;
      if (had === undefined) {
        ab.set(p.v, q.v);
        ba.set(q.v, p.v);
        bound.push([p.v, q.v]);
      }
    }
    return true;
  };
  const keys = b.map((r) => rowKey(r));
  const go = (i: number): boolean => {
    if (i === a.length) return true;
    if (++steps > 200_000) return false;
    const k = rowKey(a[i]);
    for (let j = ordered ? i : 0; j < (ordered ? i + 1 : b.length); j++) {
      if (used.has(j) || keys[j] !== k) continue;
      const bound: Array<[string, string]> = [];
      if (fits(a[i], b[j], bound)) {
        used.add(j);
        if (go(i + 1)) return true;
        used.delete(j);
      }
      for (const [p, q] of bound) {
        ab.delete(p);
        ba.delete(q);
      }
    }
    return false;
  };
  return go(0);
}

function multiset(rows: Row[], only?: string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const r of rows) m.set(rowKey(r, false, only), (m.get(rowKey(r, false, only)) ?? 0) + 1);
  return m;
}

function showDiff(want: Row[], got: Row[]): string {
  const w = multiset(want);
  const g = multiset(got);
  const missing = [...w].filter(([k, n]) => (g.get(k) ?? 0) < n).map(([k]) => k);
  const extra = [...g].filter(([k, n]) => (w.get(k) ?? 0) < n).map(([k]) => k);
  const cut = (xs: string[]) => xs.slice(0, 3).join(' | ').slice(0, 300);
  return `${want.length} rows expected, ${got.length} given; missing: ${cut(missing) || '-'}; extra: ${cut(extra) || '-'}`;
}

export interface CompareOptions {
  /** The ORDER BY variables (their values must come in the same sequence); none: any order. */
  orderBy?: string[];
  /** Duplicates may differ in number (REDUCED). */
  lax?: boolean;
}

/** null when `got` answers as `want` does, else what differs. */
export function compare(want: Answer, got: Answer, opts: CompareOptions = {}): string | null {
  if (want.kind !== got.kind) return `a ${want.kind} answer expected, a ${got.kind} given`;
  if (want.kind === 'boolean') return want.value === (got as { value: boolean }).value ? null : `${want.value} expected`;
  let a = want.rows;
  let b = (got as { rows: Row[] }).rows;
  if (want.kind === 'graph' || opts.lax) {
    // graphs are sets; REDUCED may drop any duplicates
    const dedupe = (rows: Row[]) => [...new Map(rows.map((r) => [rowKey(r, true), r])).values()];
    [a, b] = [dedupe(a), dedupe(b)];
  }
  if (a.length !== b.length) return showDiff(a, b);
  const ma = multiset(a);
  const mb = multiset(b);
  if (ma.size !== mb.size || [...ma].some(([k, n]) => mb.get(k) !== n)) return showDiff(a, b);
  if (!matchRows(a, b, false)) return 'the same rows but the blank nodes are not a renaming of each other';
  if (opts.orderBy?.length) {
    const seq = (rows: Row[]) => rows.map((r) => rowKey(r, false, opts.orderBy)).join('\n');
    if (seq(a) !== seq(b)) return `the same rows, in another order (ORDER BY ${opts.orderBy.join(' ')})`;
  }
  return null;
}

/** The variables of a query's outermost ORDER BY clause (the last one in the text). */
export function orderVariables(sparql: string): string[] {
  const at = sparql.search(/ORDER\s+BY(?![\s\S]*ORDER\s+BY)/i);
  if (at < 0) return [];
  const clause = sparql.slice(at).replace(/\b(LIMIT|OFFSET|VALUES)\b[\s\S]*$/i, '');
  return [...new Set([...clause.matchAll(/[?$](\w+)/g)].map((m) => m[1]))];
}
