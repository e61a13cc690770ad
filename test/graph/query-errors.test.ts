// SPARQL syntax errors for people: each mistake named in words, with its line, column and text, never cut short;
// from the library, and from the `semsync query` binary (exit 2). The endpoint's 400 bodies: test/server/sparql.test.ts.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import oxigraph from 'oxigraph';
import { runQuery } from '../../src/graph/query.js';
import { federatedQuery } from '../../src/graph/federation.js';
import { QueryError } from '../../src/graph/errors.js';
import { cli } from '../helpers/cli.js';
import { tempDir } from './helpers.js';
import { MISTAKES } from './query-mistakes.js';

describe('SPARQL syntax errors', () => {
  const store = new oxigraph.Store();
  for (const m of MISTAKES) {
    it(`names ${m.what}, with line and column`, () => {
      let err: QueryError | undefined;
      try {
        runQuery(store, m.query);
      } catch (e) {
        err = e as QueryError;
      }
      expect(err).toBeInstanceOf(QueryError);
      expect(err!.message).toMatch(m.message);
      expect([err!.line, err!.column]).toEqual([m.line, m.column]);
    });
  }

  it('keeps a long message whole, and does not flag valid VALUES blocks, paths or property lists', () => {
    const long = `SELECT * WHERE { ?s ${'x'.repeat(300)}:y ?o }`;
    expect(() => runQuery(store, long)).toThrow(new RegExp(`unknown prefix \`${'x'.repeat(300)}:\`.*write the full IRI$`));
    const valid = 'SELECT * { VALUES ?a { 1 2 3 4 } ?s <a:b>/<a:c>* ?o ; <a:d> [ <a:p> ?x ; <a:q> (1 2) ] . OPTIONAL { ?a ?b ?c } ?x ?y ?z }';
    expect(runQuery(store, valid).kind).toBe('bindings');
  });

  it('names an IRI written without angle brackets', () => {
    expect(() => runQuery(store, 'SELECT * WHERE { ?s http://example.org/p ?o }')).toThrow(/line 1, column 21: an IRI is written in angle brackets: `<http:\/\/…>`/);
  });

  it('explains any mangled query with a QueryError that has a position (fuzzed)', () => {
    const valid = [
      'PREFIX ex: <http://ex/>\nSELECT ?s (COUNT(*) AS ?n) WHERE {\n  ?s ex:p "a b"@en ; ex:q [ ex:r (1 2.5e3) ] .\n  FILTER(?s != ex:x && REGEX(STR(?s), "^h"))\n} GROUP BY ?s ORDER BY DESC(?n) LIMIT 5',
      'CONSTRUCT { ?s dcterms:title ?t } WHERE { GRAPH ?g { ?s dcterms:title ?t OPTIONAL { ?s foaf:knows+/foaf:name ?n } } VALUES ?t { "x" """y""" } }',
    ];
    fc.assert(
      fc.property(fc.constantFrom(...valid), fc.nat(), fc.nat(3), fc.constantFrom('', '{', '}', '.', '(', '"', '<', 'x:', 'SELEKT', ';', '?'), (q, at, cut, insert) => {
        const i = at % (q.length + 1);
        const text = q.slice(0, i) + insert + q.slice(i + cut);
        try {
          runQuery(store, text);
        } catch (e) {
          expect(e).toBeInstanceOf(QueryError);
          const err = e as QueryError;
          if (err.name === 'QueryError') expect(err.line).toBeGreaterThan(0);
          expect(err.message).not.toMatch(/\[_\]|'\\u\{/); // no grammar internals
        }
      }),
      { numRuns: 400, seed: 15 },
    );
  });

  it('names the mistake in a federated query (SERVICE) too, before any request', async () => {
    const local = { match: () => [] } as unknown as Parameters<typeof federatedQuery>[0];
    await expect(federatedQuery(local, 'SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s foo:bar ?o } }')).rejects.toThrow(/line 1, column 59: unknown prefix `foo:`/);
  });

  it('names a relative IRI in a query without BASE', () => {
    expect(() => runQuery(store, 'CONSTRUCT { <s> <http://a/p> 1 } WHERE {}')).toThrow(/line 1, column 13: `<s>` is a relative IRI and the query has no BASE/);
  });

  it('says the same through `semsync query`, exit 2, whole', async () => {
    const home = tempDir('qerr-cli');
    for (const m of MISTAKES.filter((x) => /prefix|keyword|unclosed brace|missing dot/.test(x.what))) {
      const r = await cli(home, ['query', m.query]);
      expect(r.code, m.what).toBe(2);
      expect(r.stderr.trim().split('\n').some((l) => m.message.test(l.replace(/^semsync: /, ''))), `${m.what}: ${r.stderr}`).toBe(true);
    }
  });
});

describe('tokenize (the error explainer\'s lexer)', () => {
  it('counts columns in code points and stays linear on a long line (160,000 `<` took minutes when each token counted from the line start)', async () => {
    const { tokenize } = await import('../../src/graph/query-lex.js');
    expect(tokenize('a😀 <x> ?y\n  zz').map((t) => [t.text, t.line, t.column])).toEqual([['a', 1, 1], ['😀', 1, 2], ['<x>', 1, 4], ['?y', 1, 8], ['zz', 2, 3]]);
    const long = tokenize(`SELECT * WHERE { ?s ?p ?o } # service\n${'<'.repeat(160_000)}`);
    expect(long).toHaveLength(160_000 + 8);
    expect(long.at(-1)).toMatchObject({ line: 2, column: 160_000 });
  });
});
