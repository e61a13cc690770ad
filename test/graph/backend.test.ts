// The StoreBackend contract (backend.ts), run over its three implementations opened on the same store folder: the
// whole one, the paged one and the reach-only one answer the same query alike; whole and paged also match, list,
// find, change, export and snapshot alike; the reach-only one refuses all of that, naming what it cannot do.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import n3 from 'n3';
import type { Quad } from '@rdfjs/types';
import { openBackend } from '../../src/graph/backend-open.js';
import type { OpenedBackend, StoreBackend } from '../../src/graph/backend.js';
import { StoreError } from '../../src/graph/errors.js';
import { encodePatch } from '../../src/graph/patch.js';
import { queryReach } from '../../src/graph/reach.js';
import { GraphStore, type OpenOptions } from '../../src/graph/store.js';
import { quadTerms } from '../../src/graph/terms.js';
import { G, adds, q, tempDir } from './helpers.js';

const { namedNode, literal, quad } = n3.DataFactory;
const TITLE = namedNode('http://purl.org/dc/terms/title');
const SIZE = namedNode('http://ex.org/size');
const QUERY = 'SELECT ?s WHERE { ?s <http://purl.org/dc/terms/title> "Title 7" }';

/** A store folder: 40 titles and 40 sizes in a snapshot, then a log that adds 5 titles and deletes 2. */
async function folder(): Promise<string> {
  const dir = tempDir('backend');
  const s = await GraphStore.open({ dir, nodeId: 'nodeA' });
  await s.commit([...adds(0, 40), ...Array.from({ length: 40 }, (_, i) => ({ op: 'A' as const, quad: quad(namedNode(`http://ex.org/thing/${i}`), SIZE, literal(String(i * 10)), G) }))]);
  await s.snapshot();
  await s.commit([...adds(40, 45), { op: 'D', quad: q(3) }, { op: 'D', quad: q(4) }]);
  await s.close();
  return dir;
}

const MODES: Array<[StoreBackend['mode'], Partial<OpenOptions>]> = [
  ['whole', { pagedAbove: Infinity }],
  ['paged', { pagedAbove: 0, workingSet: 50 }],
  ['reach', { reach: queryReach(QUERY)! }],
];

const opened: OpenedBackend[] = [];
afterEach(async () => {
  for (const o of opened.splice(0)) {
    o.backend.close();
    await o.replayed.log.close();
  }
});

async function openAs(dir: string, opts: Partial<OpenOptions>): Promise<OpenedBackend> {
  const o = await openBackend(dir, { dir, nodeId: 'nodeA', ...opts });
  opened.push(o);
  return o;
}

const rows = (out: ReturnType<StoreBackend['query']>) => (out.kind === 'bindings' ? out.rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v?.value]))) : out);
const lines = (qs: Quad[]) => qs.map((x) => quadTerms(x)).sort();

describe.each(MODES)('the %s backend', (mode, opts) => {
  it('is chosen for its options and holds the snapshot and the log after it', async () => {
    const dir = await folder();
    const { backend, replayed } = await openAs(dir, opts);
    expect(backend.mode).toBe(mode);
    expect(backend.partial).toBe(mode === 'reach');
    expect(backend.scans).toBe(mode === 'paged');
    expect(replayed.vv).toEqual({ nodeA: 2 });
    expect(rows(backend.query(QUERY))).toEqual([{ s: 'http://ex.org/thing/7' }]);
    expect(rows(backend.query('SELECT ?s WHERE { ?s <http://purl.org/dc/terms/title> "Title 3" }'))).toEqual([]); // deleted in the log
    expect(rows(backend.query('SELECT ?s WHERE { ?s <http://purl.org/dc/terms/title> "Title 42" }'))).toEqual([{ s: 'http://ex.org/thing/42' }]); // the same predicate: in the reach
    if (mode === 'reach') expect(backend.size).toBeLessThanOrEqual(43); // no sizes loaded
    else expect(backend.size).toBe(83);
    expect(backend.pagedSnapshot === null).toBe(mode !== 'paged');
  });

  it.skipIf(mode === 'reach')('matches, lists graphs, finds rows, exports and changes as the whole store does', async () => {
    const dir = await folder();
    const { backend } = await openAs(dir, opts);
    expect(lines(backend.match(namedNode('http://ex.org/thing/5')))).toEqual([quadTerms(q(5)), `<http://ex.org/thing/5> <http://ex.org/size> "50" <${G.value}>`].sort());
    expect(backend.match(null, TITLE)).toHaveLength(43);
    expect(backend.match(null, null, null, G)).toHaveLength(83);
    expect(backend.graphNames()).toEqual([G.value]);
    expect([...backend.present([quadTerms(q(5)), quadTerms(q(3)), quadTerms(q(44))], [false, false, false])].sort()).toEqual([0, 2]);
    expect(backend.exportText('nquads').split('\n').filter(Boolean).sort()).toEqual(lines(backend.match()).map((l) => `${l} .`));
    const text = encodePatch({ author: 'nodeB', seq: 1, hlc: '1.0', changes: [{ op: 'A', quad: q(100) }, { op: 'D', quad: q(5) }] });
    backend.apply(text, false);
    expect(backend.size).toBe(83);
    expect(lines(backend.match(null, TITLE, literal('Title 100')))).toEqual([quadTerms(q(100))]);
    expect(backend.match(null, TITLE, literal('Title 5'))).toEqual([]);
  });

  it.skipIf(mode === 'reach')('writes a snapshot that a new backend opens to the same statements', async () => {
    const dir = await folder();
    const first = await openAs(dir, opts);
    first.backend.apply(encodePatch({ author: 'nodeB', seq: 1, hlc: '1.0', changes: [{ op: 'A', quad: q(200) }] }), false);
    await first.backend.writeSnapshot(dir, { vv: { nodeA: 2, nodeB: 1 }, hlc: '2.0' });
    const want = lines(first.backend.match());
    const out = path.join(dir, 'export.nq');
    await first.backend.exportTo(out, 'nquads');
    expect(fs.readFileSync(out, 'utf8').split('\n').filter(Boolean).sort()).toEqual(want.map((l) => `${l} .`));
    if (mode === 'paged') expect(first.backend.pagedSnapshot?.vv).toEqual({ nodeA: 2, nodeB: 1 });
    first.backend.close();
    await first.replayed.log.close();
    opened.splice(opened.indexOf(first), 1);
    const again = await openAs(dir, opts);
    expect(lines(again.backend.match())).toEqual(want);
  });

  it.skipIf(mode !== 'reach')('refuses what a store of one query cannot do right, naming it', async () => {
    const { backend } = await openAs(await folder(), opts);
    const refused: Array<[string, () => unknown]> = [
      ['take changes', () => backend.present([quadTerms(q(1))], [false])],
      ['take changes', () => backend.apply('', true)],
      ['match statements', () => backend.match()],
      ['list its graphs', () => backend.graphNames()],
      ['export', () => backend.exportText('nquads')],
    ];
    for (const [what, fn] of refused) expect(fn).toThrow(new StoreError(`This store was opened for one query and holds only what it reaches: it cannot ${what}.`));
    await expect(backend.exportTo('/nonexistent/x.nq', 'nquads')).rejects.toThrow(/cannot export/);
    await expect(backend.writeSnapshot('/nonexistent', { vv: {}, hlc: '0.0' })).rejects.toThrow(/cannot write a snapshot/);
  });

  it('streams whole predicates from disk when paged, and says to query otherwise', async () => {
    const { backend } = await openAs(await folder(), opts);
    const seen: string[] = [];
    const scan = () => backend.scan([SIZE.value], (p, s, o) => seen.push(`${s} ${o}`));
    if (mode !== 'paged') return expect(scan).toThrow(/Only a paged store streams statements/);
    scan();
    expect(seen).toHaveLength(40);
    expect(seen).toContain('<http://ex.org/thing/4> "40"');
  });
});
