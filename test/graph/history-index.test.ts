// The index of a retained history segment (history-index.ts): the history of one record reads only the records that
// change it; a home without indexes (from before them), or with one that does not fit, reads every segment as before
// and gets the same answer; a compaction indexes what has no index; pruning takes an index with its segment.
import fs from 'node:fs';
import path from 'node:path';
import n3 from 'n3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { buildIndex, readIndex } from '../../src/graph/history-index.js';
import { rowsAbout } from '../../src/graph/history-log.js';
import { encodeRecord } from '../../src/graph/log-format.js';
import { encodePatch } from '../../src/graph/patch.js';
import { GraphStore } from '../../src/graph/store.js';
import type { Change } from '../../src/graph/types.js';
import { graphIri, ID } from '../../src/graph/vocab.js';
import { recordHistory, type HistoryHome } from '../../src/app/index.js';
import { tempDir } from './helpers.js';

const { namedNode, literal, quad, blankNode } = n3.DataFactory;
const G = graphIri('nodeA', 'pim/contacts');
const P = namedNode('http://ex.org/p');
const contact = (uid: string) => `${ID.iri}contact/${uid}`;
const row = (s: string, v: string): Change => ({ op: 'A', quad: quad(namedNode(s), P, literal(v), G) });
const retainedLogs = (dir: string) => fs.readdirSync(path.join(dir, 'history')).filter((n) => n.endsWith('.log'));
const indexes = (dir: string) => fs.readdirSync(path.join(dir, 'history')).filter((n) => n.endsWith('.idx'));

describe('a segment index', () => {
  const segment = Buffer.concat([
    encodePatch({ author: 'nodeA', seq: 1, hlc: '1000.0', changes: [row(contact('u1'), 'a'), row(`${contact('u1')}/tel/1`, 'b')] }),
    encodePatch({ author: 'nodeA', seq: 2, hlc: '1001.0', changes: [row(contact('u10'), 'c'), { op: 'A', quad: quad(blankNode('b1'), P, literal('x'), G) }] }),
    encodePatch({ author: 'nodeB', seq: 7, hlc: '1002.0', changes: [row('file:///music/a%20b.mp3', 'd'), row('http://ex.org/caf\u00e9', 'e')] }),
  ].map((t) => encodeRecord(Buffer.from(t))));

  it('finds the records that change a subject equal to or below an IRI, and no other', () => {
    const file = path.join(tempDir('idx'), '000000000001-1002.log');
    fs.writeFileSync(file, segment);
    fs.writeFileSync(`${file}.idx`, buildIndex(segment));
    const idx = readIndex(file, segment.length)!;
    expect(idx.first).toEqual([['nodeA', 1], ['nodeB', 7]]);
    expect(idx.lookup([contact('u1')])).toEqual([0]); // its part below it too, and not u10
    expect(idx.lookup([contact('u10'), 'file:///music/a%20b.mp3'])).toEqual([1, 2]);
    expect(idx.lookup(['http://ex.org/caf\u00e9'])).toEqual([2]);
    expect(idx.lookup([contact('u2')])).toEqual([]);
    expect(idx.records().map((r) => [r.author, r.seq])).toEqual([['nodeA', 1], ['nodeA', 2], ['nodeB', 7]]);
    const third = idx.records()[2];
    expect(segment.toString('utf8', third.payloadAt, third.payloadAt + third.length)).toMatch(/^H id <urn:semsync:patch:nodeB:7>/);
  });

  it('is not used when it does not fit its segment: another size, other bytes, cut short', () => {
    const file = path.join(tempDir('idx-bad'), '000000000001-1002.log');
    const data = buildIndex(segment);
    fs.writeFileSync(`${file}.idx`, data);
    expect(readIndex(file, segment.length + 1)).toBeNull();
    fs.writeFileSync(`${file}.idx`, data.subarray(0, data.length - 200));
    expect(readIndex(file, segment.length)?.records).toBeUndefined();
    fs.writeFileSync(`${file}.idx`, Buffer.from('not an index at all'));
    expect(readIndex(file, segment.length)).toBeNull();
  });

  it('rowsAbout keeps the headers and the rows about the IRIs only', () => {
    const text = encodePatch({ author: 'nodeA', seq: 1, hlc: '1000.0', changes: [row(contact('u1'), 'a'), row(contact('u10'), 'b'), row(`${contact('u1')}/tel/1`, 'c')] });
    const kept = rowsAbout(text, [contact('u1')]);
    expect(kept).toContain('H seq "1" .');
    expect(kept.match(/^A /gm)).toHaveLength(2);
    expect(kept).not.toContain('u10');
  });
});

describe('history through the indexes', () => {
  let store: GraphStore | undefined;
  afterEach(async () => {
    vi.restoreAllMocks();
    await store?.close();
    store = undefined;
  });

  /** A store whose early patches live in retained segments: u0 changed by patches 1 and 25, every other patch about another contact. */
  async function retainedStore(dir: string): Promise<GraphStore> {
    const s = await GraphStore.open({ dir, nodeId: 'nodeA', segmentBytes: 300, keepSegments: 0 });
    await s.commit([row(contact('u0'), 'first')]);
    for (let i = 1; i < 24; i++) await s.commit([row(contact(`u${i}`), `v${i}`)]);
    await s.commit([row(`${contact('u0')}/tel/1`, 'a phone')]);
    for (let i = 25; i < 40; i++) await s.commit([row(contact(`u${i}`), `v${i}`)]);
    await s.snapshot();
    return s;
  }

  /** The retained segment files read whole while `fn` runs. */
  function wholeReads<T>(fn: () => T): { value: T; read: string[] } {
    const spy = vi.spyOn(fs, 'readFileSync');
    try {
      const value = fn();
      const read = spy.mock.calls.map((c) => String(c[0])).filter((f) => f.includes(`${path.sep}history${path.sep}`) && f.endsWith('.log'));
      return { value, read };
    } finally {
      spy.mockRestore();
    }
  }

  it('reads no retained segment whole when every one has an index, and answers as a home without indexes does', async () => {
    const dir = tempDir('hist-idx');
    store = await retainedStore(dir);
    const logs = retainedLogs(dir);
    expect(logs.length).toBeGreaterThan(10);
    expect(indexes(dir).sort()).toEqual(logs.map((n) => `${n}.idx`).sort());
    const s = store;
    const indexed = wholeReads(() => s.logPatches([contact('u0')]));
    expect(indexed.read).toEqual([]);
    expect(indexed.value.complete).toBe(true);
    expect(indexed.value.patches.map((p) => p.seq)).toEqual([1, 25]);

    // an old home: no index (and one that does not fit its segment) → every segment read, the same answer
    for (const f of indexes(dir)) fs.rmSync(path.join(dir, 'history', f));
    fs.writeFileSync(path.join(dir, 'history', `${logs[0]}.idx`), buildIndex(Buffer.alloc(0)));
    const scanned = wholeReads(() => s.logPatches([contact('u0')]));
    expect(scanned.read.length).toBe(logs.length);
    expect(scanned.value).toEqual(indexed.value);

    const h = await recordHistory({ nodeId: 'nodeA', store: s, paths: { trust: path.join(dir, 'none.json') } } satisfies HistoryHome, 'u0', dir);
    expect(h.entries.map((e) => e.change)).toEqual(['nodeA:1', 'nodeA:25']);
    // the next compaction indexes the segments that have none
    await s.commit([row(contact('u99'), 'later')]);
    await s.snapshot();
    expect(indexes(dir).sort()).toEqual(retainedLogs(dir).map((n) => `${n}.idx`).sort());
    expect(wholeReads(() => s.logPatches([contact('u0')])).read).toEqual([]);
  });

  it('resolves a UID and shows its history without reading any retained segment whole', async () => {
    const dir = tempDir('hist-idx-uid');
    store = await retainedStore(dir);
    const s = store;
    const spy = vi.spyOn(fs, 'readFileSync');
    const h = await recordHistory({ nodeId: 'nodeA', store: s, paths: { trust: path.join(dir, 'none.json') } }, 'u0', dir);
    const read = spy.mock.calls.map((c) => String(c[0])).filter((f) => f.includes(`${path.sep}history${path.sep}`) && f.endsWith('.log'));
    expect(read).toEqual([]);
    expect(h.complete).toBe(true);
    expect(h.entries.map((e) => [e.change, e.fields.map((f) => f.to)])).toEqual([['nodeA:1', [['"first"']]], ['nodeA:25', [['"a phone"']]]]);
  });

  it('pruning takes a segment\u2019s index with it, and leaves no index without its segment', async () => {
    const dir = tempDir('hist-idx-prune');
    let now = Date.now();
    store = await GraphStore.open({ dir, nodeId: 'nodeA', segmentBytes: 300, keepSegments: 0, historyDays: 30, now: () => now });
    for (let i = 0; i < 20; i++) await store.commit([row(contact(`u${i}`), 'x')]);
    await store.snapshot();
    expect(indexes(dir).length).toBeGreaterThan(3);
    fs.writeFileSync(path.join(dir, 'history', '000000000999-1.log.idx'), 'left over');
    now += 31 * 86_400_000;
    await store.commit([row(contact('u99'), 'y')]);
    await store.snapshot();
    expect(fs.readdirSync(path.join(dir, 'history'))).toEqual([]);
  });
});
