// A paged store (paged.ts: the snapshot on disk, the changes since in memory, a working set of whole predicates)
// answers, matches, changes, exports and snapshots exactly as the same store held whole does.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import n3 from 'n3';
import type { Quad, Term } from '@rdfjs/types';
import { GraphStore, type OpenOptions } from '../../src/graph/store.js';
import { splitRow } from '../../src/graph/rows.js';
import type { Change } from '../../src/graph/types.js';
import { DC, EX, QUERIES, XSD, canon, corpus, randomQueries } from './query-corpus.js';
import { rng } from '../helpers/rng.js';
import { tempDir } from './helpers.js';

const { namedNode, literal, quad } = n3.DataFactory;
const G = (n: number) => namedNode(`https://w3id.org/semsync/id/graph/node${n}/share`);

const open: GraphStore[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close().catch(() => undefined);
});

async function openStore(dir: string, opts: Partial<OpenOptions> = {}): Promise<GraphStore> {
  const s = await GraphStore.open({ dir, nodeId: 'node0', ...opts });
  open.push(s);
  return s;
}

/** Two homes holding the same snapshot of the corpus: one opened whole, one paged with a small working set. */
async function pair(name: string, workingSet: number): Promise<{ whole: GraphStore; paged: GraphStore; dirs: string[] }> {
  const a = tempDir(`${name}-whole`);
  const s = await GraphStore.open({ dir: a, nodeId: 'node0' });
  await s.commit(corpus(7, 600).map((q) => ({ op: 'A' as const, quad: q })));
  await s.snapshot();
  await s.close();
  const b = tempDir(`${name}-paged`);
  fs.cpSync(a, b, { recursive: true });
  const whole = await openStore(a, { pagedAbove: Infinity });
  const paged = await openStore(b, { pagedAbove: 0, workingSet });
  return { whole, paged, dirs: [a, b] };
}

const queries = [...QUERIES, ...randomQueries(5, 25)];
const answers = (s: GraphStore) => queries.map((q) => canon(s.query(q, { format: 'csv' }).serialized!));
const lines = (qs: Quad[]) => qs.map((q) => `${q.subject.value} ${q.predicate.value} ${q.object.termType}:${q.object.value}:${(q.object as { datatype?: Term }).datatype?.value ?? ''} ${q.graph.value}`).sort();

function matches(s: GraphStore): string[][] {
  return [
    lines(s.match(namedNode(`${EX}thing/3`))),
    lines(s.match(null, namedNode(`${DC}title`), literal('Title 3'))),
    lines(s.match(null, namedNode(`${DC}identifier`))),
    lines(s.match(null, null, namedNode(`${EX}thing/4`))),
    lines(s.match(null, null, null, G(1))),
    lines(s.match()),
  ];
}

/** Random changes: deletions of held statements, new ones (values written as oxigraph would not write them), repeats. */
function changes(random: () => number, held: Quad[], n: number): Change[] {
  const pick = <T>(xs: T[]) => xs[Math.floor(random() * xs.length)];
  const preds = ['title', 'creator', 'subject', 'date', 'identifier', 'isPartOf'].map((p) => namedNode(DC + p));
  const out: Change[] = [];
  for (let i = 0; i < n; i++) {
    const r = random();
    if (r < 0.35 && held.length) out.push({ op: 'D', quad: pick(held) });
    else if (r < 0.45 && held.length) out.push({ op: 'A', quad: pick(held) }); // held already: no change
    else {
      const o = pick([literal(`0${Math.floor(random() * 9)}`, namedNode(`${XSD}integer`)), literal('2024-01-01T00:00:00.000Z', namedNode(`${XSD}dateTime`)), literal(`New ${Math.floor(random() * 30)}`), namedNode(`${EX}thing/${Math.floor(random() * 25)}`)]);
      out.push({ op: random() < 0.85 ? 'A' : 'D', quad: quad(namedNode(`${EX}thing/${Math.floor(random() * 25)}`), pick(preds), o, pick([G(0), G(1), G(3)])) });
    }
  }
  return out;
}

describe('splitRow', () => {
  it('splits a row into its terms, whatever its literal holds', () => {
    const S = '<http://ex.org/s>';
    const P = '<http://ex.org/p>';
    const Gr = '<http://ex.org/g>';
    for (const o of ['<http://ex.org/o>', '"plain"', '"a \\"q\\" b > c"', '"ends in \\\\"', '"x y"@en-GB', '"07"^^<http://www.w3.org/2001/XMLSchema#integer>', '""', '_:b1']) {
      expect(splitRow(`${S} ${P} ${o} ${Gr}`)).toEqual([S, P, o, Gr]);
      expect(splitRow(`${S} ${P} ${o}`)).toEqual([S, P, o, '']);
    }
  });
});

describe('a paged store', () => {
  for (const workingSet of [150, 5_000]) {
    it(`answers every query as the whole store does (working set ${workingSet})`, async () => {
      const { whole, paged } = await pair(`paged-q${workingSet}`, workingSet);
      expect(paged.size).toBe(whole.size);
      expect(paged.holding).toBe(0); // nothing loaded before it is asked for
      const want = answers(whole);
      expect(want.filter((a) => a.split('\n').length > 1).length).toBeGreaterThan(queries.length / 3);
      expect(answers(paged)).toEqual(want);
      expect(matches(paged)).toEqual(matches(whole));
      expect(paged.holding).toBeLessThanOrEqual(workingSet);
      if (workingSet > 1000) expect(paged.holding).toBe(paged.size); // all of it fits: all of it is held
    });
  }

  it('answers within a dataset and resolves relative IRIs against a base, as the whole store does', async () => {
    const { whole, paged } = await pair('paged-context', 5_000);
    const first = whole.query('SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } } LIMIT 1') as { rows: Array<Record<string, Term>> };
    const context = { dataset: { defaultGraphs: [first.rows[0].g.value], namedGraphs: [] }, base: 'http://example.org/endpoint' };
    for (const q of ['SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }', 'SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } }', 'CONSTRUCT { <s> <p> ?n } WHERE { { SELECT (COUNT(*) AS ?n) WHERE { ?s dcterms:title ?o } } }']) {
      const format = q.startsWith('CONSTRUCT') ? 'ntriples' : 'csv';
      expect(paged.query(q, { format, context }).serialized, q).toBe(whole.query(q, { format, context }).serialized);
    }
    expect(whole.query('CONSTRUCT { <s> <p> 1 } WHERE {}', { format: 'ntriples', context }).serialized).toContain('<http://example.org/s>');
  });

  it('takes the same changes as the whole store, through commits, remote patches, snapshots and restarts', async () => {
    const { whole, paged, dirs } = await pair('paged-ops', 150);
    const random = rng(99);
    let held = whole.match();
    let p = paged;
    for (let round = 0; round < 6; round++) {
      const batch = changes(random, held, 60);
      const [a, b] = [await whole.commit(batch), await p.commit(batch)];
      expect(b?.changes.length ?? 0).toBe(a?.changes.length ?? 0); // the same no-ops filtered out
      const remote = { author: 'node1', seq: round + 1, hlc: `${Date.now()}.0`, changes: changes(random, held, 20).map((c) => ({ ...c, quad: quad(c.quad.subject, c.quad.predicate, c.quad.object, namedNode('https://w3id.org/semsync/id/graph/node1/share')) })) };
      expect(await p.applyRemote(remote)).toBe(await whole.applyRemote(remote));
      expect(p.size).toBe(whole.size);
      expect(answers(p)).toEqual(answers(whole));
      expect(matches(p)).toEqual(matches(whole));
      if (round === 2) await p.snapshot(); // the changes merged into a new snapshot
      if (round === 3 || round === 5) {
        // a restart replays the log after the snapshot
        await p.close();
        p = await openStore(dirs[1], { pagedAbove: 0, workingSet: 150 });
        expect(p.size).toBe(whole.size);
        expect(answers(p)).toEqual(answers(whole));
      }
      held = whole.match();
    }
    expect(p.export('nquads').split('\n').sort()).toEqual(whole.export('nquads').split('\n').sort());
    for (const [format, graph] of [['nquads', G(1).value], ['trig', undefined], ['nquads', undefined]] as const) {
      const out = (s: GraphStore) => path.join(dirs[1], `..`, `${path.basename(s.dir)}-${format}-${graph ? 'g' : 'all'}.out`);
      await p.exportTo(out(p), format, { graph });
      await whole.exportTo(out(whole), format, { graph });
      const read = (f: string) => new n3.Parser({ format: format === 'trig' ? 'TriG' : 'N-Quads' }).parse(fs.readFileSync(f, 'utf8'));
      expect(lines(read(out(p)))).toEqual(lines(read(out(whole))));
      expect(read(out(p)).length).toBeGreaterThan(10);
    }
    // A full state of another author replaces what its graphs hold.
    const state = whole.match(null, null, null, namedNode('https://w3id.org/semsync/id/graph/node1/share')).slice(0, 5);
    await whole.replaceAuthor('node1', 50, `${Date.now()}.0`, state);
    await p.replaceAuthor('node1', 50, `${Date.now()}.0`, state);
    expect(lines(p.match())).toEqual(lines(whole.match()));
    // The snapshot a paged store writes opens whole, the same.
    await p.snapshot();
    await p.close();
    const reopened = await openStore(dirs[1], { pagedAbove: Infinity });
    expect(reopened.size).toBe(whole.size);
    expect(answers(reopened)).toEqual(answers(whole));
  });

  it('keeps its working set within budget, letting the least recently used predicates go', async () => {
    const { whole, paged } = await pair('paged-lru', 300);
    const count = (p: string) => `SELECT (COUNT(*) AS ?n) WHERE { ?s <${DC}${p}> ?o }`;
    for (const p of ['title', 'creator', 'subject', 'date', 'identifier', 'title']) {
      expect(paged.query(count(p), { format: 'csv' }).serialized).toBe(whole.query(count(p), { format: 'csv' }).serialized);
      expect(paged.holding).toBeLessThanOrEqual(300);
      expect(paged.holding).toBeGreaterThan(0);
    }
  });

  it('becomes paged when a whole store grows past the limit, and stays so across a restart', async () => {
    const dir = tempDir('paged-grow');
    const all = corpus(7, 600);
    const s = await openStore(dir, { pagedAbove: 300, workingSet: 150 });
    await s.commit(all.slice(0, 250).map((quad) => ({ op: 'A', quad })));
    expect(s.holding).toBe(s.size); // whole
    await s.commit(all.slice(250).map((quad) => ({ op: 'A', quad })));
    expect(s.holding).toBeLessThan(s.size); // paged: the snapshot on disk, nothing held yet
    const whole = await openStore(tempDir('paged-grow-whole'));
    await whole.commit(all.map((quad) => ({ op: 'A', quad })));
    expect(answers(s)).toEqual(answers(whole));
    await s.commit(all.slice(0, 40).map((quad) => ({ op: 'D', quad })));
    await whole.commit(all.slice(0, 40).map((quad) => ({ op: 'D', quad })));
    expect(answers(s)).toEqual(answers(whole));
    await s.close();
    const again = await openStore(dir, { pagedAbove: 300, workingSet: 150 });
    expect(again.holding).toBe(0);
    expect(answers(again)).toEqual(answers(whole));
  });

  it('stays whole when the snapshot is small, and pages a big one', async () => {
    const { dirs } = await pair('paged-mode', 150);
    for (const s of open.splice(0)) await s.close();
    const small = await openStore(dirs[0], { pagedAbove: 10_000 });
    expect(small.holding).toBe(small.size);
    await small.close();
    const big = await openStore(dirs[0], { pagedAbove: 10 });
    expect(big.holding).toBe(0);
    expect(fs.readdirSync(dirs[0]).filter((n) => n.endsWith('.nq'))).toHaveLength(1);
    expect(path.isAbsolute(big.dir)).toBe(true);
  });
});
