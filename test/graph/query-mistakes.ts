// SPARQL mistakes and the message each must give: for the library and CLI (query-errors.test.ts) and the endpoint (test/server/sparql.test.ts).

/** Each mistake, the message it must give (whole), and where. */
export const MISTAKES: Array<{ what: string; query: string; message: RegExp; line: number; column: number }> = [
  {
    what: 'an undeclared prefix',
    query: 'SELECT * WHERE { ?s foo:bar ?o }',
    message: /^Query error at line 1, column 21: unknown prefix `foo:` in `foo:bar`: add `PREFIX foo: <…>` before the query, or write the full IRI$/,
    line: 1,
    column: 21,
  },
  { what: 'an unknown keyword', query: 'SELEKT * WHERE { ?s ?p ?o }', message: /^Query error at line 1, column 1: `SELEKT` is not a SPARQL keyword; did you mean SELECT\?$/, line: 1, column: 1 },
  { what: 'a misspelt FILTER', query: 'SELECT * WHERE {\n  ?s ?p ?o .\n  FILTR(?o)\n}', message: /line 3, column 3: `FILTR` is not a SPARQL keyword; did you mean FILTER\?$/, line: 3, column: 3 },
  { what: 'an unclosed brace', query: 'SELECT * WHERE {\n  ?s ?p ?o', message: /line 1, column 16: this `\{` is never closed: add `\}`/, line: 1, column: 16 },
  { what: 'an extra brace', query: 'SELECT * WHERE { ?s ?p ?o } }', message: /line 1, column 29: this `\}` closes nothing/, line: 1, column: 29 },
  { what: 'a brace closing a parenthesis', query: 'SELECT * WHERE { ?s ?p ?o FILTER(?o = 1 }', message: /line 1, column 41: this `\}` cannot close the `\(` at line 1, column 33/, line: 1, column: 41 },
  {
    what: 'a missing dot',
    query: 'SELECT * WHERE {\n  ?s ?p ?o\n  ?s ?q ?r\n}',
    message: /^Query error at line 3, column 3: a `\.` is missing before `\?s`: the triple before it \(ending with `\?o` at line 2, column 9\) is complete$/,
    line: 3,
    column: 3,
  },
  { what: 'a triple without its object', query: 'SELECT ?x WHERE {\n  ?x ?y \n}', message: /line 3, column 1: the triple starting with `\?x` at line 2, column 3 lacks an object/, line: 3, column: 1 },
  { what: 'an unclosed string', query: 'SELECT * WHERE { ?s ?p "abc }', message: /line 1, column 24: this string is never closed/, line: 1, column: 24 },
];
