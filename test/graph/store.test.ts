import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import n3 from 'n3';
import { GraphStore } from '../../src/graph/store.js';
import { CorruptLogError, PatchError, QueryError, StoreError, StoreLockedError } from '../../src/graph/errors.js';
import { adds, G, q, tempDir } from './helpers.js';

const { namedNode, literal, quad, blankNode } = n3.DataFactory;
const open: GraphStore[] = [];
async function openStore(dir: string, nodeId = 'nodeA', extra: Partial<Parameters<typeof GraphStore.open>[0]> = {}) {
  const s = await GraphStore.open({ dir, nodeId, ...extra });
  open.push(s);
  return s;
}
afterEach(async () => {
  for (const s of open.splice(0)) await s.close().catch(() => undefined);
});

function segments(dir: string): string[] {
  return fs.readdirSync(path.join(dir, 'log')).filter((n) => n.endsWith('.log')).sort().map((n) => path.join(dir, 'log', n));
}

describe('GraphStore commit', () => {
  it('filters no-ops, numbers patches, and survives a reopen', async () => {
    const dir = tempDir('commit');
    const s = await openStore(dir);
    const p1 = await s.commit(adds(0, 3));
    expect(p1?.seq).toBe(1);
    expect(p1?.changes).toHaveLength(3);
    expect(await s.commit(adds(0, 3))).toBeNull(); // all present
    expect(await s.commit([{ op: 'D', quad: q(99) }])).toBeNull(); // absent
    const p2 = await s.commit([{ op: 'A', quad: q(1) }, { op: 'D', quad: q(2) }, { op: 'A', quad: q(5) }, { op: 'D', quad: q(5) }]);
    expect(p2?.seq).toBe(2);
    expect(p2?.changes.map((c) => c.op)).toEqual(['D']); // add of q(5) then delete of it nets to nothing
    expect(s.size).toBe(2);
    expect(s.versionVector()).toEqual({ nodeA: 2 });
    await s.close();
    const r = await openStore(dir);
    expect(r.size).toBe(2);
    expect(r.versionVector()).toEqual({ nodeA: 2 });
    expect(r.match(null, null, literal('Title 0')).map((x) => x.subject.value)).toEqual(['http://ex.org/thing/0']);
    expect((await r.commit(adds(10, 11)))?.seq).toBe(3);
    expect(r.clockNow() > '0').toBe(true);
  });

  it('rejects invalid quads and blank nodes without changing anything', async () => {
    const s = await openStore(tempDir('invalid'));
    await expect(s.commit([{ op: 'A', quad: quad(namedNode('not an iri'), namedNode('http://p'), literal('x')) }])).rejects.toThrow(StoreError);
    await expect(s.commit([{ op: 'A', quad: q(1) }, { op: 'A', quad: quad(blankNode('b'), namedNode('http://p'), literal('x')) }])).rejects.toThrow(/blank nodes/);
    expect(s.size).toBe(0);
    expect(s.versionVector()).toEqual({});
  });

  it('match returns n3 quads with the right terms', async () => {
    const s = await openStore(tempDir('match'));
    const lit = literal('5', namedNode('http://www.w3.org/2001/XMLSchema#integer'));
    await s.commit([{ op: 'A', quad: quad(namedNode('http://s'), namedNode('http://p'), lit, G) }, { op: 'A', quad: quad(namedNode('http://s'), namedNode('http://p'), literal('chat', 'fr')) }]);
    const all = s.match(namedNode('http://s'));
    expect(all).toHaveLength(2);
    expect(all.some((x) => x.equals(quad(namedNode('http://s'), namedNode('http://p'), lit, G)))).toBe(true);
    expect(s.match(null, null, null, G)).toHaveLength(1);
    expect(s.match(null, null, literal('chat', 'fr'))[0].graph.termType).toBe('DefaultGraph');
  });
});

describe('GraphStore remote patches', () => {
  it('applies in order, reports duplicates and gaps, refuses its own and malformed patches', async () => {
    const a = await openStore(tempDir('ra'), 'nodeA');
    const b = await openStore(tempDir('rb'), 'nodeB');
    const p1 = (await a.commit(adds(0, 2)))!;
    const p2 = (await a.commit([{ op: 'D', quad: q(0) }]))!;
    const p3 = (await a.commit(adds(5, 6)))!;
    expect(await b.applyRemote(p2)).toBe('gap');
    expect(await b.applyRemote(p1)).toBe('applied');
    expect(await b.applyRemote(p1)).toBe('duplicate');
    expect(await b.applyRemote(p2)).toBe('applied');
    expect(b.versionVector()).toEqual({ nodeA: 2 });
    await expect(a.applyRemote(p3)).rejects.toThrow(StoreError);
    await expect(b.applyRemote({ ...p3, seq: 0 })).rejects.toThrow(PatchError);
    await expect(b.applyRemote({ ...p3, changes: [{ op: 'A', quad: quad(literal('x') as never, namedNode('http://p'), literal('y')) }] })).rejects.toThrow(PatchError);
    expect(b.versionVector()).toEqual({ nodeA: 2 });
    // relaying: what b holds of a, c can get from b
    const c = await openStore(tempDir('rc'), 'nodeC');
    for (const p of b.patchesSince(c.versionVector())!) expect(await c.applyRemote(p)).toBe('applied');
    expect(c.export('nquads')).toBe(b.export('nquads'));
    expect(b.patchesSince({ nodeA: 1 })!.map((p) => p.seq)).toEqual([2]);
    expect(b.patchesSince({ nodeA: 2 })).toEqual([]);
  });

  it('patchesSince returns null once the log was compacted past the asker', async () => {
    const dir = tempDir('compact');
    const s = await openStore(dir, 'nodeA', { segmentBytes: 200, keepSegments: 1 });
    for (let i = 0; i < 10; i++) await s.commit(adds(i, i + 1));
    expect(s.patchesSince({})).toHaveLength(10);
    await s.snapshot();
    expect(segments(dir).length).toBeLessThan(10);
    expect(s.patchesSince({})).toBeNull();
    expect(s.patchesSince({ nodeA: 9 })!.map((p) => p.seq)).toEqual([10]);
    await s.close();
    const r = await openStore(dir, 'nodeA', { segmentBytes: 200, keepSegments: 1 });
    expect(r.size).toBe(10);
    expect(r.patchesSince({})).toBeNull();
    expect(r.patchesSince({ nodeA: 9 })!.map((p) => p.seq)).toEqual([10]);
  });
});

describe('GraphStore recovery', () => {
  async function build(dir: string): Promise<void> {
    const s = await GraphStore.open({ dir, nodeId: 'nodeA', segmentBytes: 1 << 20 });
    for (let i = 0; i < 5; i++) await s.commit(adds(i * 10, i * 10 + 10));
    await s.close();
  }

  it('drops a torn last record and keeps the rest', async () => {
    const dir = tempDir('torn');
    await build(dir);
    const [seg] = segments(dir);
    const size = fs.statSync(seg).size;
    fs.truncateSync(seg, size - 7);
    const s = await openStore(dir);
    expect(s.versionVector()).toEqual({ nodeA: 4 });
    expect(s.size).toBe(40);
    expect(s.recoveredTornTail?.offset).toBeGreaterThan(0);
    expect((await s.commit(adds(100, 101)))?.seq).toBe(5);
    await s.close();
    const r = await openStore(dir);
    expect(r.size).toBe(41);
  });

  it('drops a zero-filled tail (an append cut short by a power loss) and keeps every whole record', async () => {
    const dir = tempDir('zero-tail');
    await build(dir);
    const [seg] = segments(dir);
    const size = fs.statSync(seg).size;
    fs.appendFileSync(seg, Buffer.alloc(4096));
    const s = await openStore(dir);
    expect(s.versionVector()).toEqual({ nodeA: 5 });
    expect(s.recoveredTornTail).toMatchObject({ offset: size, bytes: 4096, truncated: true });
    expect(fs.statSync(seg).size).toBe(size);
  });

  it('refuses corruption in the middle of the log with a clear error', async () => {
    const dir = tempDir('corrupt-mid');
    await build(dir);
    const [seg] = segments(dir);
    const buf = fs.readFileSync(seg);
    buf[200] ^= 0xff;
    fs.writeFileSync(seg, buf);
    await expect(GraphStore.open({ dir, nodeId: 'nodeA' })).rejects.toThrow(CorruptLogError);
    await expect(GraphStore.open({ dir, nodeId: 'nodeA' })).rejects.toThrow(/damaged at byte/);
  });

  it('recovers from a snapshot plus the log after it', async () => {
    const dir = tempDir('snap');
    const s = await openStore(dir);
    await s.commit(adds(0, 100));
    await s.snapshot();
    await s.commit([{ op: 'D', quad: q(3) }]);
    await s.commit(adds(200, 210));
    const before = s.export('nquads');
    // a crash: no close(), just drop the handle and its lock (same process, so release by hand)
    (s as unknown as { lock: { release(): void } }).lock.release();
    open.splice(open.indexOf(s), 1);
    const r = await openStore(dir);
    expect(r.versionVector()).toEqual({ nodeA: 3 });
    expect(r.export('nquads').split('\n').sort()).toEqual(before.split('\n').sort());
    expect(fs.readdirSync(dir).filter((n) => n.startsWith('snapshot-'))).toHaveLength(1);
  });

  it('keeps one process per store folder', async () => {
    const dir = tempDir('lock');
    await openStore(dir);
    await expect(GraphStore.open({ dir, nodeId: 'nodeA' })).rejects.toThrow(StoreLockedError);
  });
});

describe('GraphStore query', () => {
  it('answers SELECT, ASK, CONSTRUCT with our prefixes over the union of graphs', async () => {
    const s = await openStore(tempDir('query'));
    await s.commit([...adds(0, 3), { op: 'A', quad: q(7, namedNode('https://w3id.org/semsync/id/graph/nodeB/x')) }]);
    const r = s.query('SELECT ?s ?t WHERE { ?s dcterms:title ?t } ORDER BY ?t');
    expect(r.kind).toBe('bindings');
    if (r.kind !== 'bindings') return;
    expect(r.vars).toEqual(['s', 't']);
    expect(r.rows.map((x) => x.t.value)).toEqual(['Title 0', 'Title 1', 'Title 2', 'Title 7']);
    expect(r.rows[0].s.termType).toBe('NamedNode');
    const g = s.query('SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } FILTER(CONTAINS(STR(?g), "nodeB")) }');
    expect(g.kind === 'bindings' && g.rows[0].n.value).toBe('1');
    expect(s.query('ASK { ?s dcterms:title "Title 1" }')).toMatchObject({ kind: 'boolean', value: true });
    const c = s.query('CONSTRUCT { ?s <http://x/t> ?t } WHERE { ?s dcterms:title ?t }');
    expect(c.kind === 'quads' && c.quads.length).toBe(4);
  });

  it('serialises SELECT as json, xml, csv, tsv and graphs as turtle, ntriples, jsonld', async () => {
    const s = await openStore(tempDir('formats'));
    await s.commit(adds(0, 2));
    const json = s.query('SELECT ?t WHERE { ?s dcterms:title ?t } ORDER BY ?t', { format: 'json' });
    expect(JSON.parse(json.serialized!)).toEqual({ head: { vars: ['t'] }, results: { bindings: [{ t: { type: 'literal', value: 'Title 0' } }, { t: { type: 'literal', value: 'Title 1' } }] } });
    expect(json.kind === 'bindings' && json.rows[1].t.value).toBe('Title 1');
    expect(s.query('SELECT ?t WHERE { ?s dcterms:title ?t } ORDER BY ?t', { format: 'csv' }).serialized).toBe('t\r\nTitle 0\r\nTitle 1\r\n');
    expect(s.query('SELECT ?t WHERE { ?s dcterms:title ?t } ORDER BY ?t', { format: 'tsv' }).serialized).toBe('?t\n"Title 0"\n"Title 1"\n');
    expect(s.query('SELECT ?t WHERE { ?s dcterms:title ?t }', { format: 'xml' }).serialized).toContain('<literal>Title 0</literal>');
    expect(s.query('ASK { ?s ?p ?o }', { format: 'json' }).serialized).toContain('"boolean":true');
    const ttl = s.query('CONSTRUCT WHERE { ?s dcterms:title ?t }', { format: 'turtle' });
    expect(ttl.serialized).toContain('"Title 0"');
    expect(ttl.kind === 'quads' && ttl.quads.length).toBe(2);
    expect(s.query('DESCRIBE <http://ex.org/thing/1>', { format: 'ntriples' }).serialized).toBe('<http://ex.org/thing/1> <http://purl.org/dc/terms/title> "Title 1" .\n');
    expect(JSON.parse(s.query('CONSTRUCT WHERE { ?s dcterms:title ?t }', { format: 'jsonld' }).serialized!)).toHaveLength(2);
    expect(() => s.query('SELECT * WHERE { ?s ?p ?o }', { format: 'turtle' })).toThrow(QueryError);
  });

  it('reports syntax errors with line and column of the user text', () => {
    return openStore(tempDir('qerr')).then((s) => {
      const err = (text: string): QueryError => {
        try {
          s.query(text);
        } catch (e) {
          expect(e).toBeInstanceOf(QueryError);
          return e as QueryError;
        }
        throw new Error('no error');
      };
      const e1 = err('SELECT ?s\nWHERE {\n  ?s dcterms:title ?t\n}}');
      // oxigraph points at or just past the offending token
      expect(e1.line).toBe(4);
      expect([2, 3]).toContain(e1.column);
      expect(e1.message).toMatch(/line 4, column [23]/);
      const e0 = err('SELECT * WHERE { ?s ?p ?o } garbage');
      expect([e0.line, e0.column]).toEqual([1, 29]);
      const e2 = err('SELECT * WHERE { ?s nope:x ?o }');
      expect(e2.line).toBe(1);
      expect(e2.column).toBeGreaterThan(17);
      const e3 = err('PREFIX ex: <http://ex/>\nSELECT * WHERE { ?s ex:p ?o . FILTER(?o = ) }');
      expect(e3.line).toBe(2);
      expect(err('INSERT DATA { <http://a> <http://b> <http://c> }').message).toMatch(/update/);
    });
  });
});

describe('GraphStore commit of many rows about few subjects', () => {
  it('filters no-ops the same way whether the subjects are new or known (the by-subject shortcut)', async () => {
    const dir = tempDir('commit-subjects');
    const s = await openStore(dir);
    const P = (i: number) => namedNode(`http://purl.org/dc/terms/p${i}`);
    const row = (subject: number, i: number, value = `v${i}`) => quad(namedNode(`http://ex.org/s${subject}`), P(i), literal(value), G);
    // s0 and s1 are known (s1 only in another graph), s2 is new: 3 subjects, 120 rows.
    await s.commit([...Array.from({ length: 40 }, (_, i) => ({ op: 'A' as const, quad: row(0, i) })), { op: 'A', quad: quad(namedNode('http://ex.org/s1'), P(0), literal('x'), namedNode('https://w3id.org/semsync/id/graph/nodeA/other')) }]);
    const changes = [
      ...Array.from({ length: 40 }, (_, i) => ({ op: (i % 2 ? 'A' : 'D') as 'A' | 'D', quad: row(0, i, i % 4 === 1 ? 'new' : `v${i}`) })), // D of present, A of present (no-op) or new value
      ...Array.from({ length: 40 }, (_, i) => ({ op: (i % 2 ? 'A' : 'D') as 'A' | 'D', quad: row(1, i) })), // D of absent (no-op), A new
      ...Array.from({ length: 40 }, (_, i) => ({ op: (i % 2 ? 'A' : 'D') as 'A' | 'D', quad: row(2, i) })), // the same on a new subject
    ];
    const patch = await s.commit(changes);
    const expected = changes.filter((c, i) => (i < 40 ? c.op === 'D' || (i % 4 === 1) : c.op === 'A'));
    expect(patch!.changes.map((c) => `${c.op} ${c.quad.subject.value} ${c.quad.predicate.value} ${c.quad.object.value}`).sort()).toEqual(
      expected.map((c) => `${c.op} ${c.quad.subject.value} ${c.quad.predicate.value} ${c.quad.object.value}`).sort(),
    );
    expect(s.size).toBe(41 - 20 + 10 + 20 + 20);
  });
});
