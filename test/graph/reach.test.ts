// A query's reach, and a store loaded with only that reach answering exactly as the whole store does.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import n3 from 'n3';
import type { Quad } from '@rdfjs/types';
import { GraphStore } from '../../src/graph/store.js';
import { QueryError, StoreError } from '../../src/graph/errors.js';
import { queryReach } from '../../src/graph/reach.js';
import { DC, EX, QUERIES, XSD, canon, corpus, randomQueries } from './query-corpus.js';
import { tempDir } from './helpers.js';

const { namedNode, literal, quad } = n3.DataFactory;

const open: GraphStore[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close().catch(() => undefined);
});

describe('queryReach', () => {
  const TITLE = `<${DC}title>`;
  it('lists each pattern: constant subjects and objects where their text is certain, variables by name', () => {
    const r = queryReach(`SELECT ?f WHERE { ?c dcterms:title "Title 1" . ?f nie:interpretedAs ?c . <${EX}a> dcterms:creator _:p . ?c a ss:EBook }`)!;
    expect(r.patterns).toEqual([
      { p: TITLE, s: { v: '?c' }, o: { text: '"Title 1"' }, joins: true },
      { p: '<http://www.semanticdesktop.org/ontologies/2007/01/19/nie#interpretedAs>', s: { v: '?f' }, o: { v: '?c' }, joins: true },
      { p: `<${DC}creator>`, s: { text: `<${EX}a>` }, o: { v: expect.stringMatching(/^_:/) }, joins: true }, // a blank node: a variable
      { p: '<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>', s: { v: '?c' }, o: { text: '<https://w3id.org/semsync/ns#EBook>' }, joins: true },
    ]);
  });

  it('leaves typed and tagged literals and escaped strings uncertain', () => {
    const r = queryReach(`SELECT * WHERE { ?c <${DC}date> "2001"^^<${XSD}gYear> . ?d <${DC}subject> "sf"@en . ?e <${DC}title> "a \\"q\\"" }`)!;
    expect(r.patterns.map((x) => x.o)).toEqual([null, null, null]);
  });

  it('joins only a WHERE of triples and FILTERs; looks inside OPTIONAL, UNION, MINUS, FILTER EXISTS, sub-queries and paths', () => {
    const r = queryReach(`CONSTRUCT { ?s <${EX}made> ?o } WHERE { { ?s <${EX}a> ?o } UNION { ?s <${EX}b> ?o } OPTIONAL { ?s <${EX}c> ?x } MINUS { ?s <${EX}d> ?y }
      FILTER EXISTS { ?s <${EX}e> ?z } { SELECT ?s WHERE { ?s <${EX}f>/<${EX}g>* ?w } } }`)!;
    expect(r.patterns.map((x) => x.p).sort()).toEqual(['a', 'b', 'c', 'd', 'e'].map((x) => `<${EX}${x}>`));
    expect(r.patterns.every((x) => !x.joins)).toBe(true);
    expect([...r.all].sort()).toEqual([`<${EX}f>`, `<${EX}g>`]);
    const f = queryReach(`SELECT * WHERE { ?s <${EX}a> ?o FILTER(?o != 1) ?o <${EX}b> ?z FILTER NOT EXISTS { ?z <${EX}c> ?q } }`)!;
    expect(f.patterns.map((x) => [x.p, x.joins])).toEqual([[`<${EX}a>`, true], [`<${EX}b>`, true], [`<${EX}c>`, false]]);
  });

  it('is unbounded for a variable predicate, a negated path, DESCRIBE, SERVICE or GRAPH ?g {}', () => {
    for (const q of [
      'SELECT * WHERE { ?s ?p ?o }',
      `SELECT * WHERE { ?s !<${EX}a> ?o }`,
      `DESCRIBE <${EX}a>`,
      `SELECT * WHERE { SERVICE <http://x/sparql> { ?s <${EX}a> ?o } }`,
      'SELECT ?g WHERE { GRAPH ?g { } }',
    ]) {
      expect(queryReach(q), q).toBeNull();
    }
  });

  it('is unbounded for a path that can match zero steps between variables or inside GRAPH (W3C pp16)', () => {
    for (const q of [
      `SELECT * WHERE { ?x <${EX}a>* ?y }`,
      `SELECT * WHERE { ?x <${EX}a>? ?y }`,
      `SELECT * WHERE { ?x (<${EX}a>*/<${EX}b>?) ?y }`,
      `SELECT * WHERE { ?x (<${EX}a>|^<${EX}b>*) ?y }`,
      `SELECT * WHERE { GRAPH ?g { <${EX}x> <${EX}a>* ?y } }`,
    ]) {
      expect(queryReach(q), q).toBeNull();
    }
    // one step at least, or a constant end outside GRAPH: the path's statements are enough
    for (const q of [`SELECT * WHERE { ?x <${EX}a>+ ?y }`, `SELECT * WHERE { ?x <${EX}a>/<${EX}b>* ?y }`, `SELECT * WHERE { <${EX}x> <${EX}a>* ?y }`]) {
      expect([...queryReach(q)!.all], q).toContain(`<${EX}a>`);
    }
  });

  it('refuses a query the store would refuse, with its position, before anything is loaded', () => {
    expect(() => queryReach('SELECT * WHERE {\n  ?s dcterms:title }')).toThrow(/line 2, column/);
    expect(() => queryReach(`INSERT DATA { <${EX}a> <${EX}b> <${EX}c> }`)).toThrow(/update/);
    expect(() => queryReach('SELECT * WHERE { ?s nosuchprefix:x ?o }')).toThrow(QueryError);
  });
});

async function answers(store: GraphStore): Promise<string[]> {
  return QUERIES.map((q) => {
    const out = store.query(q, { format: 'csv' }).serialized!.trim().split(/\r?\n/);
    return [out[0], ...out.slice(1).sort()].join('\n');
  });
}

async function expectSameAnswers(dir: string, queries: string[]): Promise<void> {
  const s = await GraphStore.open({ dir, nodeId: 'node0' });
  const whole = queries.map((q) => canon(s.query(q, { format: 'csv' }).serialized!));
  const size = s.size;
  await s.close();
  expect(whole.filter((a) => a.split('\n').length > 1).length).toBeGreaterThan(queries.length / 3); // the queries find things
  for (const [i, q] of queries.entries()) {
    const reach = queryReach(q);
    const partial = await GraphStore.open({ dir, nodeId: 'node0', reach: reach ?? undefined });
    try {
      expect(canon(partial.query(q, { format: 'csv' }).serialized!), q).toBe(whole[i]);
      if (reach) expect(partial.size).toBeLessThan(size);
    } finally {
      await partial.close();
    }
  }
}

const add = (quads: Quad[]) => quads.map((quad) => ({ op: 'A' as const, quad }));

describe('a store opened with a query\'s reach', () => {
  const queries = [...QUERIES, ...randomQueries(11, 40)];

  it('answers every query as the whole store does, from a snapshot alone', async () => {
    const dir = tempDir('reach-snap');
    const s = await GraphStore.open({ dir, nodeId: 'node0' });
    await s.commit(add(corpus(7, 600)));
    await s.snapshot();
    await s.close();
    await expectSameAnswers(dir, queries);
  });

  it('and when the log after the snapshot adds statements of some predicates only (they join with the snapshot)', async () => {
    const dir = tempDir('reach-log1');
    const s = await GraphStore.open({ dir, nodeId: 'node0' });
    await s.commit(add(corpus(7, 600)));
    await s.snapshot();
    const g = namedNode('https://w3id.org/semsync/id/graph/node0/share');
    await s.commit(add([3, 7, 12].map((n) => quad(namedNode(`${EX}thing/${n}`), namedNode(`${DC}title`), literal('Fresh'), g))));
    await s.commit(add([8, 9].map((n) => quad(namedNode(`${EX}thing/${n}`), namedNode(`${DC}title`), literal('Title 3'), g))));
    await s.close();
    await expectSameAnswers(dir, queries);
  });

  it('and when the log adds and deletes statements of every predicate', async () => {
    const dir = tempDir('reach-log2');
    const s = await GraphStore.open({ dir, nodeId: 'node0' });
    const all = corpus(7, 600);
    await s.commit(add(all.slice(0, 400)));
    await s.snapshot();
    await s.commit(add(all.slice(400)));
    await s.commit(all.slice(0, 100).filter((_, i) => i % 3 === 0).map((quad) => ({ op: 'D' as const, quad })));
    await s.close();
    await expectSameAnswers(dir, queries);
  });

  it('loads everything from a snapshot without an index (written before there were parts), and still answers', async () => {
    const dir = tempDir('reach-old');
    const s = await GraphStore.open({ dir, nodeId: 'node0' });
    await s.commit(corpus(3, 200).map((q) => ({ op: 'A' as const, quad: q })));
    await s.snapshot();
    const whole = await answers(s);
    const size = s.size;
    await s.close();
    const snap = fs.readdirSync(dir).find((n) => n.endsWith('.nq'))!;
    const file = path.join(dir, snap);
    const text = fs.readFileSync(file, 'utf8');
    fs.writeFileSync(file, text.slice(0, text.indexOf('# semsync-parts ')).replace('# semsync-snapshot 2 ', '# semsync-snapshot 1 ')); // as an older version wrote it
    const partial = await GraphStore.open({ dir, nodeId: 'node0', reach: queryReach(QUERIES[0])! });
    open.push(partial);
    expect(partial.size).toBe(size); // no index: all of it
    const out = partial.query(QUERIES[0], { format: 'csv' }).serialized!.trim().split(/\r?\n/);
    expect([out[0], ...out.slice(1).sort()].join('\n')).toBe(whole[0]);
  });

  it('refuses changes, exports, matches and snapshots, and writes nothing on close', async () => {
    const dir = tempDir('reach-ro');
    const s = await GraphStore.open({ dir, nodeId: 'node0', pagedAbove: Infinity }); // whole (and no snapshot) even under SEMSYNC_PAGED_ABOVE
    await s.commit(corpus(5, 50).map((q) => ({ op: 'A' as const, quad: q })));
    await s.close();
    const before = fs.readdirSync(path.join(dir, 'log')).map((n) => [n, fs.statSync(path.join(dir, 'log', n)).size]);
    const partial = await GraphStore.open({ dir, nodeId: 'node0', reach: queryReach(QUERIES[0])! });
    expect(partial.partial).toBe(true);
    await expect(partial.commit([{ op: 'A', quad: quad(namedNode(`${EX}a`), namedNode(`${EX}b`), literal('c'), namedNode('https://w3id.org/semsync/id/graph/node0/x')) }])).rejects.toThrow(StoreError);
    await expect(partial.snapshot()).rejects.toThrow(/opened for one query/);
    expect(() => partial.export('nquads')).toThrow(StoreError);
    expect(() => partial.match()).toThrow(StoreError);
    await partial.close();
    expect(fs.readdirSync(dir).filter((n) => n.endsWith('.nq'))).toEqual([]);
    expect(fs.readdirSync(path.join(dir, 'log')).map((n) => [n, fs.statSync(path.join(dir, 'log', n)).size])).toEqual(before);
  });
});

describe('an older snapshot', () => {
  it('is rewritten with the index when the whole store closes', async () => {
    const dir = tempDir('reach-upgrade');
    const s = await GraphStore.open({ dir, nodeId: 'node0' });
    await s.commit(corpus(9, 100).map((q) => ({ op: 'A' as const, quad: q })));
    await s.snapshot();
    await s.close();
    const snapshot = () => path.join(dir, fs.readdirSync(dir).find((n) => n.endsWith('.nq'))!);
    const text = fs.readFileSync(snapshot(), 'utf8');
    fs.writeFileSync(snapshot(), text.slice(0, text.indexOf('# semsync-parts ')).replace('# semsync-snapshot 2 ', '# semsync-snapshot 1 '));
    await (await GraphStore.open({ dir, nodeId: 'node0', reach: queryReach(QUERIES[0])! })).close(); // a query's store writes nothing
    expect(fs.readFileSync(snapshot(), 'utf8')).not.toContain('# semsync-parts ');
    await (await GraphStore.open({ dir, nodeId: 'node0' })).close();
    expect(fs.readFileSync(snapshot(), 'utf8')).toContain('# semsync-parts ');
  });
});
