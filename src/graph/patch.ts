// RDF Patch (Jena RDF Delta text format) codec: one transaction of one author, with a strict, bounded decoder.
import type { Term } from '@rdfjs/types';
import { PatchError } from './errors.js';
import { parseHlc } from './hlc.js';
import { makeQuad, quadProblem, quadTerms, readTerm, skipSpace, TermSyntaxError, type Cursor } from './terms.js';
import type { Change, Patch } from './types.js';

/** A node id as it may appear in an author header and a graph IRI. */
export const AUTHOR_RE = /^[A-Za-z0-9._~-]{1,128}$/;
const SEQ_RE = /^[1-9][0-9]{0,15}$/;
const KEY_RE = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
/** A channel as the `via` header holds it: printable ASCII without quotes or backslashes, at most 512 characters. */
export const VIA_RE = /^[\x20-\x21\x23-\x5b\x5d-\x7e]{1,512}$/;

export interface DecodeLimits {
  /** Largest input accepted, in bytes (default 64 MiB). */
  maxBytes?: number;
  /** Most A/D rows accepted (default 200,000). */
  maxRows?: number;
  /** Longest term accepted, in characters (default 1 MiB). */
  maxTermLength?: number;
}

export const DEFAULT_LIMITS: Required<DecodeLimits> = { maxBytes: 64 << 20, maxRows: 200_000, maxTermLength: 1 << 20 };

/** The IRI a patch is known by: `urn:semsync:patch:<author>:<seq>`. */
export function patchId(author: string, seq: number): string {
  return `urn:semsync:patch:${author}:${seq}`;
}

/** Why a patch object cannot be stored or sent, or null if it is well formed. */
export function patchProblem(p: Patch): string | null {
  if (!p || typeof p !== 'object') return 'not a patch';
  if (typeof p.author !== 'string' || !AUTHOR_RE.test(p.author)) return `bad author ${JSON.stringify(p.author)}`;
  if (!Number.isSafeInteger(p.seq) || p.seq < 1) return `bad seq ${String(p.seq)}`;
  if (typeof p.hlc !== 'string' || !parseHlc(p.hlc)) return `bad hlc ${JSON.stringify(p.hlc)}`;
  if (p.via !== undefined && (typeof p.via !== 'string' || !VIA_RE.test(p.via))) return `bad via ${JSON.stringify(p.via)}`;
  if (!Array.isArray(p.changes)) return 'changes is not an array';
  for (let i = 0; i < p.changes.length; i++) {
    const c = p.changes[i];
    if (!c || (c.op !== 'A' && c.op !== 'D')) return `change ${i + 1}: op must be A or D`;
    const problem = quadProblem(c.quad);
    if (problem) return `change ${i + 1}: ${problem}`;
  }
  return null;
}

function headerLines(p: Patch): string {
  let h = `H id <${patchId(p.author, p.seq)}> .\n`;
  if (p.seq > 1) h += `H prev <${patchId(p.author, p.seq - 1)}> .\n`;
  h += `H author "${p.author}" .\nH seq "${p.seq}" .\nH hlc "${p.hlc}" .\n`;
  return p.via === undefined ? h : h + `H via "${p.via}" .\n`;
}

/** The RDF Patch text of a well-formed patch (check with patchProblem first when it came from outside). */
export function encodePatch(p: Patch): string {
  const parts = [headerLines(p), 'TX .\n'];
  for (const c of p.changes) parts.push(`${c.op} ${quadTerms(c.quad)} .\n`);
  parts.push('TC .\n');
  return parts.join('');
}

function expectEnd(c: Cursor, line: number): void {
  skipSpace(c);
  if (c.s[c.i] !== '.') throw new PatchError(`expected " ." at column ${c.i + 1}`, line);
  c.i++;
  skipSpace(c);
  if (c.i !== c.s.length) throw new PatchError(`unexpected text after "." at column ${c.i + 1}`, line);
}

interface Headers {
  author?: string;
  seq?: number;
  hlc?: string;
  id?: string;
  prev?: string;
  via?: string;
}

function readHeader(c: Cursor, h: Headers, line: number): void {
  c.i = 1;
  skipSpace(c);
  const m = /^[^\s]+/.exec(c.s.slice(c.i, c.i + 80));
  if (!m || !KEY_RE.test(m[0])) throw new PatchError('bad header key', line);
  const key = m[0];
  c.i += key.length;
  if (c.s[c.i] !== ' ' && c.s[c.i] !== '\t') throw new PatchError('expected a space after the header key', line);
  skipSpace(c);
  const t = readTerm(c);
  expectEnd(c, line);
  const known = key === 'author' || key === 'seq' || key === 'hlc' || key === 'id' || key === 'prev' || key === 'via';
  if (!known) return; // unknown headers are allowed and ignored (forward compatible), but must parse
  if (h[key] !== undefined) throw new PatchError(`header "${key}" given twice`, line);
  if (key === 'id' || key === 'prev') {
    if (t.termType !== 'NamedNode') throw new PatchError(`header "${key}" must be an IRI`, line);
    h[key] = t.value;
    return;
  }
  if (!isPlainLiteral(t)) throw new PatchError(`header "${key}" must be a plain string literal`, line);
  if (key === 'author') {
    if (!AUTHOR_RE.test(t.value)) throw new PatchError('bad author', line);
    h.author = t.value;
  } else if (key === 'via') {
    if (!VIA_RE.test(t.value)) throw new PatchError('bad via', line);
    h.via = t.value;
  } else if (key === 'seq') {
    if (!SEQ_RE.test(t.value) || !Number.isSafeInteger(Number(t.value))) throw new PatchError('bad seq', line);
    h.seq = Number(t.value);
  } else {
    if (!parseHlc(t.value)) throw new PatchError('bad hlc', line);
    h.hlc = t.value;
  }
}

function isPlainLiteral(t: Term): boolean {
  return t.termType === 'Literal' && !t.language && t.datatype.value === 'http://www.w3.org/2001/XMLSchema#string';
}

function toText(input: string | Uint8Array, maxBytes: number): string {
  if (typeof input === 'string') {
    // a UTF-16 length bounds the UTF-8 length from below (x1) and above (x3)
    if (input.length > maxBytes || Buffer.byteLength(input, 'utf8') > maxBytes) throw new PatchError(`larger than ${maxBytes} bytes`, 0);
    return input;
  }
  if (input.byteLength > maxBytes) throw new PatchError(`larger than ${maxBytes} bytes`, 0);
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(input);
  } catch {
    throw new PatchError('not valid UTF-8', 0);
  }
}

/**
 * Decode one RDF Patch. Everything malformed (syntax, bad terms, missing or repeated headers, rows outside
 * TX/TC, more than one transaction, an abort, over-long input) throws PatchError naming the line.
 */
export function decodePatch(input: string | Uint8Array, limits: DecodeLimits = {}): Patch {
  const lim = { ...DEFAULT_LIMITS, ...limits };
  const text = toText(input, lim.maxBytes);
  const h: Headers = {};
  const changes: Change[] = [];
  let state: 'head' | 'body' | 'done' = 'head';
  let line = 0;
  let pos = 0;
  while (pos < text.length) {
    line++;
    let nl = text.indexOf('\n', pos);
    if (nl < 0) nl = text.length;
    const s = text.slice(pos, nl);
    pos = nl + 1;
    if (s.includes('\r')) throw new PatchError('carriage return in a line', line);
    if (s.trim() === '' || s[0] === '#') continue;
    const c: Cursor = { s, i: 0, maxTerm: lim.maxTermLength };
    const word = /^[A-Z]+/.exec(s)?.[0] ?? '';
    if (state === 'done') throw new PatchError('text after "TC ."', line);
    try {
      switch (word) {
        case 'H':
          if (state !== 'head') throw new PatchError('a header after "TX ."', line);
          readHeader(c, h, line);
          break;
        case 'TX':
          if (state !== 'head') throw new PatchError('a second "TX ."', line);
          c.i = 2;
          expectEnd(c, line);
          state = 'body';
          break;
        case 'TC':
          if (state !== 'body') throw new PatchError('"TC ." without "TX ."', line);
          c.i = 2;
          expectEnd(c, line);
          state = 'done';
          break;
        case 'TA':
          throw new PatchError('the transaction was aborted ("TA")', line);
        case 'A':
        case 'D': {
          if (state !== 'body') throw new PatchError(`an ${word} row outside "TX ." ... "TC ."`, line);
          if (changes.length >= lim.maxRows) throw new PatchError(`more than ${lim.maxRows} rows`, line);
          c.i = 1;
          const terms: Term[] = [];
          for (;;) {
            const before = c.i;
            skipSpace(c);
            if (c.s[c.i] === '.' || c.i >= c.s.length) break;
            if (c.i === before) throw new PatchError(`expected a space at column ${c.i + 1}`, line);
            if (terms.length === 4) throw new PatchError('more than four terms', line);
            terms.push(readTerm(c));
          }
          if (terms.length < 3) throw new PatchError('a row needs three or four terms', line);
          expectEnd(c, line);
          changes.push({ op: word, quad: makeQuad(terms) });
          break;
        }
        default:
          throw new PatchError(word === 'PA' || word === 'PD' ? 'prefix rows are not supported' : `unknown row ${JSON.stringify(s.slice(0, 10))}`, line);
      }
    } catch (e) {
      if (e instanceof TermSyntaxError) throw new PatchError(`${e.reason} (column ${e.column})`, line);
      throw e;
    }
  }
  if (state !== 'done') throw new PatchError(state === 'head' ? 'no "TX ." row' : 'no "TC ." row: the patch is truncated', line);
  if (h.author === undefined) throw new PatchError('no "author" header', 0);
  if (h.seq === undefined) throw new PatchError('no "seq" header', 0);
  if (h.hlc === undefined) throw new PatchError('no "hlc" header', 0);
  if (h.id !== undefined && h.id !== patchId(h.author, h.seq)) throw new PatchError('header "id" disagrees with author and seq', 0);
  if (h.prev !== undefined && (h.seq === 1 || h.prev !== patchId(h.author, h.seq - 1))) throw new PatchError('header "prev" disagrees with seq', 0);
  return h.via === undefined ? { author: h.author, seq: h.seq, hlc: h.hlc, changes } : { author: h.author, seq: h.seq, hlc: h.hlc, changes, via: h.via };
}

/** Author, seq and clock milliseconds (0 if unreadable) of an encoded patch that this node wrote itself (cheap: reads the headers only). */
export function peekPatch(text: string): { author: string; seq: number; ms: number } | null {
  const tx = text.indexOf('\nTX .\n');
  const head = tx < 0 ? '' : text.slice(0, tx);
  const a = /^H author "([^"]*)" \.$/m.exec(head);
  const s = /^H seq "(\d+)" \.$/m.exec(head);
  const h = /^H hlc "([^"]*)" \.$/m.exec(head);
  return a && s ? { author: a[1], seq: Number(s[1]), ms: (h && parseHlc(h[1])?.ms) || 0 } : null;
}
