// The retained history (history-log.ts): covered segments kept for history and undo after a snapshot, for a while and
// up to a size, never served to peers; and the channel each patch records (`H via`, channel.ts).
import fs from 'node:fs';
import path from 'node:path';
import n3 from 'n3';
import { afterEach, describe, expect, it } from 'vitest';
import { withChannel, viaOf } from '../../src/graph/channel.js';
import { historyOf, recordSubjects } from '../../src/graph/history.js';
import { decodePatch, encodePatch, patchProblem } from '../../src/graph/patch.js';
import { GraphStore } from '../../src/graph/store.js';
import type { Change } from '../../src/graph/types.js';
import { graphIri } from '../../src/graph/vocab.js';
import { filterPatch } from '../../src/peers/filter.js';
import { tempDir } from './helpers.js';

const { namedNode, literal, quad } = n3.DataFactory;
const DAY = 86_400_000;
const G = graphIri('nodeA', 'test');
const title = (i: number, v: string, g = G) => quad(namedNode(`http://ex.org/thing/${i}`), namedNode('http://purl.org/dc/terms/title'), literal(v), g);
const A = (x: ReturnType<typeof quad>): Change => ({ op: 'A', quad: x });
const D = (x: ReturnType<typeof quad>): Change => ({ op: 'D', quad: x });
const historyFiles = (dir: string) => fs.readdirSync(path.join(dir, 'history')).filter((n) => n.endsWith('.log'));

describe('retained history after compaction', () => {
  let store: GraphStore | undefined;
  afterEach(async () => {
    await store?.close();
    store = undefined;
  });

  async function manyCommits(s: GraphStore, n: number): Promise<void> {
    await s.commit([A(title(0, 'first'))]);
    for (let i = 1; i < n; i++) await s.commit([A(title(i, `thing ${i}`))]);
  }

  it('keeps the covered segments for history: an early change is still read after a snapshot compacts the log', async () => {
    const dir = tempDir('retain');
    store = await GraphStore.open({ dir, nodeId: 'nodeA', segmentBytes: 300, keepSegments: 0 });
    await manyCommits(store, 30);
    await store.snapshot();
    expect(fs.readdirSync(path.join(dir, 'log')).length).toBeLessThan(3); // the live log was compacted
    expect(historyFiles(dir).length).toBeGreaterThan(5);
    const read = store.logPatches();
    expect(read.complete).toBe(true);
    expect(read.patches.map((p) => p.seq)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    const h = historyOf(store.logPatches([title(0, 'first').subject.value]).patches, recordSubjects(['http://ex.org/thing/0']), 'nodeA');
    expect(h.map((e) => e.change)).toEqual(['nodeA:1']);
    // peers are served from the live log only: a peer that has nothing is told the log cannot answer (full state)
    expect(store.patchesSince({})).toBeNull();
    expect(store.patchesSince({ nodeA: 29 })!.map((p) => p.seq)).toEqual([30]);
    // and a reopened store (snapshot + live log) still reads the history
    await store.close();
    store = await GraphStore.open({ dir, nodeId: 'nodeA', segmentBytes: 300, keepSegments: 0 });
    expect(store.size).toBe(30);
    expect(store.logPatches().patches[0].seq).toBe(1);
  });

  it('drops retained segments once they are older than historyDays (by the records\u2019 clock), and covered ones already older at once', async () => {
    const dir = tempDir('retain-old');
    let now = Date.now();
    store = await GraphStore.open({ dir, nodeId: 'nodeA', segmentBytes: 300, keepSegments: 0, historyDays: 90, now: () => now });
    await manyCommits(store, 20);
    await store.snapshot();
    const kept = historyFiles(dir).length;
    expect(kept).toBeGreaterThan(3);
    now += 89 * DAY;
    for (let i = 20; i < 40; i++) await store.commit([A(title(i, `later ${i}`))]);
    await store.snapshot();
    expect(historyFiles(dir).length).toBeGreaterThan(kept); // 89 days: all still there
    now += 2 * DAY; // the first twenty commits are 91 days old now; the later ones too (their clock is real time)
    await store.commit([A(title(99, 'x'))]);
    await store.snapshot();
    expect(historyFiles(dir)).toEqual([]);
    const read = store.logPatches();
    expect(read.complete).toBe(false);
    expect(read.patches.map((p) => p.seq)).not.toContain(1);
  });

  it('keeps nothing with historyDays 0, and keeps the newest segments under historyBytes', async () => {
    const none = tempDir('retain-none');
    store = await GraphStore.open({ dir: none, nodeId: 'nodeA', segmentBytes: 300, keepSegments: 0, historyDays: 0 });
    await manyCommits(store, 10);
    await store.snapshot();
    expect(fs.existsSync(path.join(none, 'history')) ? historyFiles(none) : []).toEqual([]);
    await store.close();
    const capped = tempDir('retain-cap');
    store = await GraphStore.open({ dir: capped, nodeId: 'nodeA', segmentBytes: 300, keepSegments: 0, historyBytes: 1500 });
    await manyCommits(store, 40);
    await store.snapshot();
    const files = historyFiles(capped);
    const bytes = files.reduce((n, f) => n + fs.statSync(path.join(capped, 'history', f)).size, 0);
    expect(bytes).toBeLessThanOrEqual(1500);
    expect(files.length).toBeGreaterThan(0);
    const seqs = store.logPatches().patches.map((p) => p.seq);
    expect(seqs).not.toContain(1); // the oldest went first
    expect(seqs).toContain(40);
  });
});

describe('the channel of a change (H via)', () => {
  let store: GraphStore | undefined;
  afterEach(async () => {
    await store?.close();
    store = undefined;
  });

  it('round-trips in the patch text, and refuses a via a header cannot hold', () => {
    const p = { author: 'nodeA', seq: 1, hlc: '1000.0', changes: [A(title(1, 'a'))], via: 'dav:work/contacts' };
    const text = encodePatch(p);
    expect(text).toContain('H via "dav:work/contacts" .');
    expect(decodePatch(text).via).toBe('dav:work/contacts');
    expect(decodePatch(encodePatch({ ...p, via: undefined })).via).toBeUndefined();
    expect(patchProblem({ ...p, via: 'a"b' })).toMatch(/bad via/);
    expect(() => decodePatch(text.replace('dav:work/contacts', 'x\\u0001y'))).toThrow(/bad via/);
    expect(viaOf('dav', 'my "work"\n/contacts')).toBe('dav:my _work__/contacts');
    // a peer is sent the kind only: not the account, collection or file name
    expect(filterPatch(p, () => true).via).toBe('dav');
    expect(filterPatch({ ...p, via: undefined }, () => true)).not.toHaveProperty('via');
  });

  it('records a local edit, an undo, a DAV sync and an import as such; a peer patch as the peer, with what it came through there', async () => {
    const dir = tempDir('via');
    store = await GraphStore.open({ dir, nodeId: 'nodeA' });
    const s = store;
    await s.commit([A(title(1, 'one'))]);
    await withChannel('undo', () => s.commit([D(title(1, 'one'))]));
    await withChannel(viaOf('dav', 'work/contacts'), async () => {
      await Promise.resolve();
      await s.commit([A(title(1, 'from the server'))]);
    });
    const nq = path.join(dir, 'in.nq');
    fs.writeFileSync(nq, `<http://ex.org/thing/1> <http://purl.org/dc/terms/title> "imported" <${G.value}> .\n`);
    await s.importFile(nq);
    const gB = graphIri('nodeB', 'test');
    expect(await s.applyRemote({ author: 'nodeB', seq: 1, hlc: `${Date.now() + 1000}.0`, changes: [A(title(1, 'by B', gB))], via: 'dav:home/card' })).toBe('applied');
    const h = historyOf(s.logPatches().patches, recordSubjects(['http://ex.org/thing/1']), 'nodeA');
    expect(h.map((e) => [e.change, e.channel, e.via])).toEqual([
      ['nodeA:1', 'local', 'local'],
      ['nodeA:2', 'undo', 'undo'],
      ['nodeA:3', 'dav', 'dav:work/contacts'],
      ['nodeA:4', 'import', 'import'],
      ['nodeB:1', 'peer', 'dav:home/card'],
    ]);
  });
});
