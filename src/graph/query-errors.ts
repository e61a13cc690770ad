// Syntax errors for people: oxigraph names the furthest point its parser reached and the grammar rules it expected
// there ("expected one of Prefix not found, ['%'], …"). This reads the query again and names the mistake in words,
// at the offending text: an unknown prefix, a word that is no keyword, an unclosed or extra bracket, a missing dot,
// an unclosed string; else the unexpected text and what could come there, in plain tokens.
import { closestKeyword, KEYWORDS, tokenize, type Token } from './query-lex.js';
import { PREFIXES } from './vocab.js';

export interface Diagnosis {
  reason: string;
  line: number;
  column: number;
}

const at = (t: Token, reason: string): Diagnosis => ({ reason, line: t.line, column: t.column });
const before = (a: { line: number; column: number }, b: { line: number; column: number }) => a.line < b.line || (a.line === b.line && a.column <= b.column);

function unterminated(tokens: Token[]): Diagnosis | null {
  const t = tokens.find((x) => x.kind === 'unterminated');
  if (!t) return null;
  const quote = /^("""|'''|"|')/.exec(t.text)![1];
  return at(t, `this string is never closed: add the closing ${quote} (${quote.length === 1 ? 'on the same line' : 'anywhere after'})`);
}

function unknownPrefix(tokens: Token[]): Diagnosis | null {
  const declared = new Set(Object.keys(PREFIXES));
  tokens.forEach((t, i) => {
    if (t.kind === 'word' && t.text.toUpperCase() === 'PREFIX' && tokens[i + 1]?.kind === 'pname') declared.add(tokens[i + 1].text.split(':')[0]);
  });
  const t = tokens.find((x) => x.kind === 'pname' && !declared.has(x.text.split(':')[0]));
  if (!t) return null;
  const prefix = `${t.text.split(':')[0]}:`;
  const next = tokens[tokens.indexOf(t) + 1];
  if (/^[a-z]+:$/i.test(t.text) && next?.text === '/' && next.line === t.line && next.column === t.column + t.text.length) {
    return at(t, `an IRI is written in angle brackets: \`<${t.text}//…>\`, not \`${t.text}//…\``);
  }
  return at(t, `unknown prefix \`${prefix}\`${t.text === prefix ? '' : ` in \`${t.text}\``}: add \`PREFIX ${prefix} <…>\` before the query, or write the full IRI`);
}

function unknownWord(tokens: Token[]): Diagnosis | null {
  const t = tokens.find((x) => x.kind === 'word' && x.text !== 'a' && !KEYWORDS.has(x.text.toUpperCase()));
  if (!t) return null;
  const guess = closestKeyword(t.text);
  return at(t, `\`${t.text}\` is not a SPARQL keyword${guess ? `; did you mean ${guess}?` : ' (a variable starts with ?, a prefixed name has a colon)'}`);
}

const CLOSE: Record<string, string> = { '{': '}', '(': ')', '[': ']' };

function brackets(tokens: Token[]): Diagnosis | null {
  const open: Token[] = [];
  for (const t of tokens) {
    if (t.kind !== 'punct') continue;
    if (t.text in CLOSE) open.push(t);
    else if (t.text === '}' || t.text === ')' || t.text === ']') {
      const o = open.pop();
      if (!o) return at(t, `this \`${t.text}\` closes nothing: there is no \`${Object.keys(CLOSE).find((k) => CLOSE[k] === t.text)}\` before it to close; remove it`);
      if (CLOSE[o.text] !== t.text) return at(t, `this \`${t.text}\` cannot close the \`${o.text}\` at line ${o.line}, column ${o.column}: close that with \`${CLOSE[o.text]}\` first`);
    }
  }
  const o = open[0];
  return o ? at(o, `this \`${o.text}\` is never closed: add \`${CLOSE[o.text]}\` after what it holds`) : null;
}

const TERM = new Set(['iri', 'string', 'var', 'pname', 'bnode', 'number']);

interface Ctx {
  /** A group's triples, a blank node's property list, or anything else (parentheses, a VALUES block). */
  kind: 'group' | 'bnode' | 'other';
  /** Terms of the triple so far (a blank node's list starts at 1: its subject). */
  n: number;
  counting: boolean;
  /** The triple's first term. */
  first?: Token;
  /** It is one term of the triple around it (a collection, a path in parentheses, a blank node). */
  term: boolean;
  /** A `;` came last: the triple may end here. */
  open: boolean;
}

/** A triple cut short (`?x ?y }`) at `t`, which ends it. */
function cutShort(top: Ctx, t: Token): Diagnosis | null {
  if (!top.counting || top.open || top.n === 0 || top.n >= 3 || !top.first) return null;
  const lacks = top.n === 1 ? 'a predicate and an object' : 'an object';
  return at(t, `the triple starting with \`${top.first.text}\` at line ${top.first.line}, column ${top.first.column} lacks ${lacks} before this \`${t.text}\``);
}

/**
 * A triple followed by another term with no `.` between them (`?s ?p ?o ?x …`), or ended before its object, where
 * oxigraph stopped at or after it. Counted only in a group's triples: after a keyword (FILTER, OPTIONAL, VALUES,
 * SELECT…) nothing is counted until the next `{`, `.` or end of a group; paths (`/`, `|`) and datatypes join terms.
 */
function triples(tokens: Token[], stop: { line: number; column: number }): Diagnosis | null {
  const stack: Ctx[] = [{ kind: 'other', n: 0, counting: false, term: false, open: false }];
  let join = false; // the next term continues the last one (a path step, a datatype)
  let values = false; // a VALUES block's `{` comes next
  let last: Token | undefined;
  const found = (d: Diagnosis | null, t: Token) => (d && before(t, stop) ? d : null);
  for (const t of tokens) {
    const top = stack[stack.length - 1];
    const counts = top.kind !== 'other' && top.counting;
    if (TERM.has(t.kind) || (t.kind === 'word' && /^(a|true|false)$/i.test(t.text))) {
      if (counts && join) join = false;
      else if (counts && top.n >= 3 && last) return found(at(t, `a \`.\` is missing before \`${t.text}\`: the triple before it (ending with \`${last.text}\` at line ${last.line}, column ${last.column}) is complete`), t);
      else if (counts) {
        if (top.n === 0) top.first = t;
        top.n++;
        top.open = false;
      }
    } else if (t.kind === 'word') {
      Object.assign(top, { counting: false, n: 0 });
      values = t.text.toUpperCase() === 'VALUES';
    } else if (t.kind === 'punct') {
      if (t.text === '{') {
        stack.push({ kind: values ? 'other' : 'group', n: 0, counting: !values, term: false, open: false });
        values = false;
      } else if (t.text === '[') stack.push({ kind: 'bnode', n: 1, counting: counts, first: t, term: counts, open: true });
      else if (t.text === '(') stack.push({ kind: 'other', n: 0, counting: false, term: counts && !join && top.n < 3, open: false });
      else if (t.text === '}' || t.text === ']' || t.text === ')') {
        const short = found(cutShort(top, t), t);
        if (short) return short;
        const closed = stack.length > 1 ? stack.pop()! : top;
        const parent = stack[stack.length - 1];
        if (closed.kind === 'group' || t.text === '}') Object.assign(parent, { n: 0, counting: true });
        else if (closed.term && parent.counting) {
          if (join) join = false;
          else {
            if (parent.n === 0) parent.first = t;
            parent.n++;
            parent.open = false;
          }
        }
      } else if (t.text === '.') {
        const short = found(cutShort(top, t), t);
        if (short) return short;
        Object.assign(top, { n: 0, counting: top.kind !== 'other', open: false });
      } else if (t.text === ';' && counts) Object.assign(top, { n: 1, open: true });
      else if (t.text === ',' && counts) top.n = 2;
      else if (t.text === '/' || t.text === '|' || t.text === '^^') join = true;
    }
    last = t;
  }
  return null;
}

/** A relative IRI in a query without BASE, when oxigraph could not resolve one. */
function relativeIri(tokens: Token[], raw: string): Diagnosis | null {
  if (!/IRI parsing failed/.test(raw) || tokens.some((t) => t.kind === 'word' && t.text.toUpperCase() === 'BASE')) return null;
  const t = tokens.find((x) => x.kind === 'iri' && !/^<[a-z][a-z0-9+.-]*:/i.test(x.text));
  return t ? at(t, `\`${t.text}\` is a relative IRI and the query has no BASE: write the full IRI (\`<http://…>\`) or add \`BASE <…>\` before the query`) : null;
}

/** A comparison or logical operator with nothing on its right (`FILTER(?o = )`). */
function dangling(tokens: Token[]): Diagnosis | null {
  const i = tokens.findIndex((t, k) => t.kind === 'punct' && /^(=|!=|<|>|<=|>=|&&|\|\|)$/.test(t.text) && /^[)},]?$/.test(tokens[k + 1]?.text ?? '') && tokens[k + 1]?.kind !== 'string');
  return i < 0 ? null : at(tokens[i], `\`${tokens[i].text}\` has nothing on its right${tokens[i + 1] ? ` (\`${tokens[i + 1].text}\` comes next)` : ''}`);
}

/** The token at or after a position (oxigraph's), for naming what it did not expect. */
function tokenAt(tokens: Token[], line: number, column: number): Token | undefined {
  return tokens.find((t) => t.line > line || (t.line === line && t.column + [...t.text].length > column));
}

/** oxigraph's expectation list in plain tokens: quoted texts and keywords kept, character classes dropped. */
function expectation(raw: string): string {
  const list = /expected (?:one of )?([\s\S]*)$/.exec(raw)?.[1] ?? '';
  const items = list.split(/,\s*(?![^[]*\])/).map((x) => x.trim()).filter((x) => x && !x.startsWith('[') && !/not found/i.test(x));
  const shown = [...new Set(items.map((x) => (x.startsWith('"') ? x.slice(1, -1).replace(/\\(.)/g, '$1') : x)))];
  if (!shown.length) return '';
  const words = shown.map((x) => `\`${x}\``);
  return `; expected ${words.length === 1 ? words[0] : `one of ${words.slice(0, -1).join(', ')} or ${words[words.length - 1]}`}`;
}

/**
 * The mistake in `sparql` (the user's text), given oxigraph's position (1-based, on the user's text) and message.
 * Never cut short.
 */
export function diagnose(sparql: string, line: number, column: number, raw: string): Diagnosis {
  const tokens = tokenize(sparql);
  const found = unterminated(tokens) ?? relativeIri(tokens, raw) ?? unknownPrefix(tokens) ?? unknownWord(tokens) ?? brackets(tokens) ?? dangling(tokens) ?? triples(tokens, { line, column });
  if (found) return found;
  const t = tokenAt(tokens, line, column);
  if (!t) return { reason: `the query cannot be read past here${expectation(raw)}`, line, column };
  return at(t, `unexpected \`${t.text}\`${expectation(raw)}`);
}
