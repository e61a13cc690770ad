// Terms as N-Triples/N-Quads text: strict validation, serialisation, and a bounded parser for one term.
import { createRequire } from 'node:module';
import n3 from 'n3';
import type { Quad, Term } from '@rdfjs/types';
import { FailureError } from '../base/index.js';

const { namedNode, blankNode, literal, quad, defaultGraph } = n3.DataFactory;

const XSD_STRING = 'http://www.w3.org/2001/XMLSchema#string';
const RDF_LANGSTRING = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#langString';
// What oxigraph's IRI parser (RFC 3987) accepts. The store loads its log leniently, so an IRI it would refuse in a query
// (a C1 control, U+FFFD, a private-use character, `[` in a path, a second `#`) must be refused here, before it is stored.
// Two quick patterns take the usual IRIs (urn:, mailto:, tel:, http(s):// without user or IP literal, file:///); the
// rest is asked of oxigraph itself (about 3 µs a call, so not for every term).
const UCS = '\\u00A0-\\uD7FF\\uF900-\\uFDCF\\uFDF0-\\uFFEF';
const PCHARS = `A-Za-z0-9\\-._~!$&'()*+,;=:@%${UCS}`;
const TAIL = `(?:\\?[${PCHARS}/?]*)?(?:#[${PCHARS}/?]*)?`;
const SCHEME = '[A-Za-z][A-Za-z0-9+.-]*:';
const QUICK_OPAQUE = new RegExp(`^${SCHEME}(?!//)[${PCHARS}/]*${TAIL}$`);
const QUICK_HIER = new RegExp(`^${SCHEME}//[A-Za-z0-9\\-._~!$&'()*+,;=%${UCS}]*(?::[0-9]*)?(?:/[${PCHARS}/]*)?${TAIL}$`);
const BAD_PERCENT = /%(?![0-9A-Fa-f]{2})/;
const require = createRequire(import.meta.url);
let oxNamedNode: ((iri: string) => unknown) | undefined;

/** True when `iri` is an absolute IRI oxigraph accepts (and so can be stored, queried and synced). */
export function isAbsoluteIri(iri: string): boolean {
  if ((QUICK_OPAQUE.test(iri) || QUICK_HIER.test(iri)) && !(iri.includes('%') && BAD_PERCENT.test(iri))) return true;
  if (!/^[A-Za-z][A-Za-z0-9+.-]*:/.test(iri) || LONE_SURROGATE.test(iri)) return false;
  oxNamedNode ??= (require('oxigraph') as { namedNode: (iri: string) => unknown }).namedNode;
  try {
    oxNamedNode(iri);
    return true;
  } catch {
    return false;
  }
}
const BNODE_OK = /^[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_-])?$/;
const LANG_OK = /^[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*$/;
const LONE_SURROGATE = /\p{Cs}/u;

/** Why a term cannot be stored and synced, or null if it can. */
export function termProblem(t: Term, position: 'subject' | 'predicate' | 'object' | 'graph'): string | null {
  if (!t || typeof t !== 'object') return `${position} is missing`;
  switch (t.termType) {
    case 'NamedNode':
      return isAbsoluteIri(t.value) ? null : `${position} is not an absolute IRI: ${clip(t.value)}`;
    case 'BlankNode':
      if (position === 'predicate') return 'a predicate cannot be a blank node';
      return BNODE_OK.test(t.value) ? null : `bad blank node label: ${clip(t.value)}`;
    case 'Literal': {
      if (position !== 'object') return `a ${position} cannot be a literal`;
      if (LONE_SURROGATE.test(t.value)) return 'literal holds a lone UTF-16 surrogate';
      if (t.language) return LANG_OK.test(t.language) ? null : `bad language tag: ${clip(t.language)}`;
      const dt = t.datatype?.value ?? XSD_STRING;
      if (dt === RDF_LANGSTRING) return 'rdf:langString literal without a language';
      return isAbsoluteIri(dt) ? null : `bad datatype IRI: ${clip(dt)}`;
    }
    case 'DefaultGraph':
      return position === 'graph' ? null : `${position} cannot be the default graph`;
    default:
      return `${position} cannot be a ${t.termType}`;
  }
}

export function quadProblem(q: Quad): string | null {
  if (!q || typeof q !== 'object') return 'not a quad';
  return (
    termProblem(q.subject, 'subject') ??
    termProblem(q.predicate, 'predicate') ??
    termProblem(q.object, 'object') ??
    termProblem(q.graph ?? defaultGraph(), 'graph')
  );
}

function clip(s: string): string {
  return JSON.stringify(s.length > 80 ? s.slice(0, 80) + '…' : s);
}

function escapeString(s: string): string {
  return /["\\\n\r]/.test(s) ? s.replace(/[\\"\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '"' ? '\\"' : c === '\n' ? '\\n' : '\\r')) : s;
}

/** The parts of a term its N-Quads text needs: an RDF/JS term, or an oxigraph one (which has the same fields). */
export type TermLike = Pick<Term, 'termType' | 'value'> & { language?: string; datatype?: { value: string } };

/**
 * A valid term (see termProblem) in N-Triples/N-Quads syntax, as the log and the snapshots write it: `<iri>`,
 * `_:label`, a quoted literal; '' for the default graph. The one function of this meaning.
 */
export function termToNQuads(t: TermLike): string {
  switch (t.termType) {
    case 'NamedNode':
      return `<${t.value}>`;
    case 'BlankNode':
      return `_:${t.value}`;
    case 'Literal': {
      const v = `"${escapeString(t.value)}"`;
      if (t.language) return `${v}@${t.language}`;
      const dt = t.datatype?.value ?? XSD_STRING;
      return dt === XSD_STRING ? v : `${v}^^<${dt}>`;
    }
    default:
      return '';
  }
}

/** A term as a person reads it (tables, summaries): IRIs and literals as their bare text, blank nodes as `_:label`; '' for none. */
export function termLabel(t: Pick<Term, 'termType' | 'value'> | undefined): string {
  if (!t) return '';
  return t.termType === 'BlankNode' ? `_:${t.value}` : t.value;
}

/** `s p o [g]` without the final dot. */
export function quadTerms(q: Quad): string {
  const head = `${termToNQuads(q.subject)} ${termToNQuads(q.predicate)} ${termToNQuads(q.object)}`;
  return q.graph && q.graph.termType !== 'DefaultGraph' ? `${head} ${termToNQuads(q.graph)}` : head;
}

/** One N-Quads line, with its newline. */
export function quadToNQuads(q: Quad): string {
  return `${quadTerms(q)} .\n`;
}

/** A parse failure inside one line: the column (1-based) and why. */
export class TermSyntaxError extends FailureError {
  constructor(readonly reason: string, readonly column: number) {
    super(reason);
  }
}

/** A cursor over one line for the strict parser. */
export interface Cursor {
  s: string;
  i: number;
  maxTerm: number;
}

export function skipSpace(c: Cursor): void {
  while (c.i < c.s.length && (c.s[c.i] === ' ' || c.s[c.i] === '\t')) c.i++;
}

function fail(c: Cursor, reason: string): never {
  throw new TermSyntaxError(reason, c.i + 1);
}

function readUchar(c: Cursor): string {
  const kind = c.s[c.i + 1];
  const n = kind === 'u' ? 4 : 8;
  const hex = c.s.slice(c.i + 2, c.i + 2 + n);
  if (hex.length !== n || !/^[0-9A-Fa-f]+$/.test(hex)) fail(c, 'bad \\u escape');
  const cp = parseInt(hex, 16);
  if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) fail(c, 'escape is not a Unicode scalar value');
  c.i += 2 + n;
  return String.fromCodePoint(cp);
}

function readIri(c: Cursor): string {
  const start = c.i;
  c.i++; // <
  let out = '';
  for (;;) {
    if (c.i - start > c.maxTerm) fail(c, `term longer than ${c.maxTerm} characters`);
    const ch = c.s[c.i];
    if (ch === undefined) fail(c, 'unterminated IRI');
    if (ch === '>') break;
    if (ch === '\\') {
      if (c.s[c.i + 1] !== 'u' && c.s[c.i + 1] !== 'U') fail(c, 'only \\u and \\U escapes are allowed in an IRI');
      out += readUchar(c);
      continue;
    }
    out += ch;
    c.i++;
  }
  c.i++; // >
  if (!isAbsoluteIri(out)) {
    c.i = start;
    fail(c, 'not an absolute IRI');
  }
  return out;
}

const ESC: Record<string, string> = { t: '\t', b: '\b', n: '\n', r: '\r', f: '\f', '"': '"', "'": "'", '\\': '\\' };

function readLiteral(c: Cursor): Term {
  const start = c.i;
  c.i++; // "
  let out = '';
  for (;;) {
    if (c.i - start > c.maxTerm) fail(c, `term longer than ${c.maxTerm} characters`);
    const ch = c.s[c.i];
    if (ch === undefined) fail(c, 'unterminated string');
    if (ch === '"') break;
    if (ch === '\\') {
      const e = c.s[c.i + 1];
      if (e === 'u' || e === 'U') out += readUchar(c);
      else if (e !== undefined && ESC[e] !== undefined) {
        out += ESC[e];
        c.i += 2;
      } else fail(c, 'bad string escape');
      continue;
    }
    if (ch === '\n' || ch === '\r') fail(c, 'raw line break in a string');
    out += ch;
    c.i++;
  }
  c.i++; // "
  if (LONE_SURROGATE.test(out)) fail(c, 'string holds a lone surrogate');
  if (c.s[c.i] === '@') {
    const m = /^[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*/.exec(c.s.slice(c.i + 1, c.i + 1 + 256));
    if (!m) fail(c, 'bad language tag');
    c.i += 1 + m[0].length;
    return literal(out, m[0]);
  }
  if (c.s[c.i] === '^' && c.s[c.i + 1] === '^') {
    c.i += 2;
    if (c.s[c.i] !== '<') fail(c, 'a datatype must be an IRI');
    const dt = readIri(c);
    if (dt === RDF_LANGSTRING) fail(c, 'rdf:langString needs a language tag');
    return literal(out, namedNode(dt));
  }
  return literal(out);
}

function readBlank(c: Cursor): Term {
  c.i += 2;
  const m = /^[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_-])?/.exec(c.s.slice(c.i, c.i + c.maxTerm + 1));
  if (!m) fail(c, 'bad blank node label');
  if (m[0].length > c.maxTerm) fail(c, `term longer than ${c.maxTerm} characters`);
  c.i += m[0].length;
  return blankNode(m[0]);
}

/** Read one term at the cursor (IRI, blank node or literal); throws TermSyntaxError. */
export function readTerm(c: Cursor): Term {
  const ch = c.s[c.i];
  if (ch === '<') return namedNode(readIri(c));
  if (ch === '"') return readLiteral(c);
  if (ch === '_' && c.s[c.i + 1] === ':') return readBlank(c);
  return fail(c, ch === undefined ? 'a term was expected' : `unexpected ${JSON.stringify(ch)}`);
}

/** Build a quad from 3 or 4 parsed terms, checking positions. */
export function makeQuad(terms: Term[]): Quad {
  const [s, p, o, g] = terms;
  const q = quad(s as Quad['subject'], p as Quad['predicate'], o as Quad['object'], (g ?? defaultGraph()) as Quad['graph']);
  const problem = quadProblem(q);
  if (problem) throw new TermSyntaxError(problem, 1);
  return q;
}
