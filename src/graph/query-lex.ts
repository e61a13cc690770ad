// A SPARQL tokenizer for explaining syntax errors to people (query-errors.ts): enough of the grammar's lexical
// rules to find each token's kind, text, line and column. Queries are parsed by oxigraph; this only reads a query
// it refused.

export type TokenKind = 'iri' | 'string' | 'var' | 'pname' | 'bnode' | 'number' | 'lang' | 'word' | 'punct' | 'unterminated';

export interface Token {
  kind: TokenKind;
  text: string;
  /** 1-based, in code points of the user's text. */
  line: number;
  column: number;
}

const RULES: Array<[TokenKind, RegExp]> = [
  ['iri', /<[^<>"{}|^`\\\s]*>/y],
  ['string', /"""(?:[^"\\]|\\[\s\S]|"(?!""))*"""|'''(?:[^'\\]|\\[\s\S]|'(?!''))*'''|"(?:[^"\\\n\r]|\\.)*"|'(?:[^'\\\n\r]|\\.)*'/y],
  ['unterminated', /"""[\s\S]*|'''[\s\S]*|"[^\n\r]*|'[^\n\r]*/y],
  ['var', /[?$][\p{L}\p{N}_]+/uy],
  ['bnode', /_:[\p{L}\p{N}_](?:[\p{L}\p{N}_.-]*[\p{L}\p{N}_-])?/uy],
  ['pname', /(?:[\p{L}][\p{L}\p{N}_.-]*)?:(?:[\p{L}\p{N}_:%-](?:[\p{L}\p{N}_.:%-]*[\p{L}\p{N}_:%-])?)?/uy],
  ['number', /(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)/y],
  ['lang', /@[a-zA-Z]+(?:-[a-zA-Z0-9]+)*/y],
  ['word', /[\p{L}_][\p{L}\p{N}_]*/uy],
  ['punct', /\^\^|&&|\|\||!=|<=|>=|[{}()[\].;,*/|^+\-!=<>?]/y],
];

/** The tokens of `text` (comments and spaces skipped); a character no rule reads becomes a one-character punct. */
export function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let line = 1;
  let lineStart = 0;
  // Columns count code points from the line's start, carried forward from the last token (linear in the text: a
  // count from the line's start for each token was quadratic on a long line, minutes for 160,000 `<`).
  let at = 0;
  let atCol = 1;
  const col = (i: number) => {
    if (at < lineStart) [at, atCol] = [lineStart, 1];
    for (; at < i; at++) {
      const c = text.charCodeAt(at);
      if (c < 0xdc00 || c > 0xdfff) atCol++; // a low surrogate is the second half of one code point
    }
    return atCol;
  };
  const advance = (from: number, to: number) => {
    for (let i = text.indexOf('\n', from); i >= 0 && i < to; i = text.indexOf('\n', i + 1)) {
      line++;
      lineStart = i + 1;
    }
  };
  let i = 0;
  while (i < text.length) {
    const space = /\s+|#[^\n]*/y;
    space.lastIndex = i;
    const s = space.exec(text);
    if (s) {
      advance(i, i + s[0].length);
      i += s[0].length;
      continue;
    }
    let matched = false;
    for (const [kind, re] of RULES) {
      re.lastIndex = i;
      const m = re.exec(text);
      if (!m || !m[0].length) continue;
      out.push({ kind, text: m[0], line, column: col(i) });
      advance(i, i + m[0].length);
      i += m[0].length;
      matched = true;
      break;
    }
    if (!matched) {
      const ch = String.fromCodePoint(text.codePointAt(i)!);
      out.push({ kind: 'punct', text: ch, line, column: col(i) });
      i += ch.length;
    }
  }
  return out;
}

/** Every SPARQL 1.1 keyword and built-in function name (and oxigraph's RDF-star and LATERAL), upper case. */
export const KEYWORDS = new Set(
  (
    'SELECT CONSTRUCT DESCRIBE ASK WHERE PREFIX BASE FROM NAMED OPTIONAL FILTER UNION MINUS GRAPH SERVICE SILENT BIND ' +
    'VALUES UNDEF AS ORDER BY ASC DESC GROUP HAVING LIMIT OFFSET DISTINCT REDUCED EXISTS NOT IN TRUE FALSE ' +
    'COUNT SUM MIN MAX AVG SAMPLE GROUP_CONCAT SEPARATOR STR LANG LANGMATCHES DATATYPE BOUND IRI URI BNODE RAND ABS ' +
    'CEIL FLOOR ROUND CONCAT STRLEN UCASE LCASE ENCODE_FOR_URI CONTAINS STRSTARTS STRENDS STRBEFORE STRAFTER YEAR ' +
    'MONTH DAY HOURS MINUTES SECONDS TIMEZONE TZ NOW UUID STRUUID MD5 SHA1 SHA256 SHA384 SHA512 COALESCE IF STRLANG ' +
    'STRDT SAMETERM ISIRI ISURI ISBLANK ISLITERAL ISNUMERIC REGEX SUBSTR REPLACE INSERT DELETE DATA LOAD CLEAR ' +
    'CREATE DROP COPY MOVE ADD WITH USING DEFAULT ALL INTO TO TRIPLE SUBJECT PREDICATE OBJECT ISTRIPLE LATERAL ' +
    'LANGDIR HASLANG HASLANGDIR STRLANGDIR ADJUST'
  ).split(' '),
);

/** The keywords a misspelling is most likely of, first: the query forms and clauses, then the rest. */
const LIKELY = [
  'SELECT', 'WHERE', 'PREFIX', 'FILTER', 'OPTIONAL', 'CONSTRUCT', 'DESCRIBE', 'ASK', 'ORDER', 'GROUP', 'LIMIT',
  'OFFSET', 'DISTINCT', 'UNION', 'GRAPH', 'BIND', 'VALUES', 'MINUS', 'EXISTS', 'HAVING', 'BASE', 'FROM', 'NAMED',
];

function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}

/** The keyword `word` is most likely a misspelling of, if one is close enough. */
export function closestKeyword(word: string): string | undefined {
  const w = word.toUpperCase();
  if (w.length < 3) return undefined; // one or two letters are as close to many keywords
  const limit = Math.max(1, Math.floor(w.length / 3));
  let best: string | undefined;
  let bestD = limit + 1;
  for (const k of [...LIKELY, ...KEYWORDS]) {
    const d = distance(w, k);
    if (d < bestD) [best, bestD] = [k, d];
  }
  return best;
}
