// GraphStore.replaceAuthor: a full state installed as one durable record; replay, snapshots, and later patches.
import { afterEach, describe, expect, it } from 'vitest';
import n3 from 'n3';
import { GraphStore } from '../../src/graph/store.js';
import { PatchError, StoreError } from '../../src/graph/errors.js';
import { graphIri } from '../../src/graph/vocab.js';
import { q, tempDir } from './helpers.js';

const { namedNode, literal, quad } = n3.DataFactory;
const open: GraphStore[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close().catch(() => {});
});

async function store(dir: string, nodeId = 'me'): Promise<GraphStore> {
  const s = await GraphStore.open({ dir, nodeId });
  open.push(s);
  return s;
}

const gA = graphIri('peerA', 'share/Books');
const gA2 = graphIri('peerA', 'share/Music');
const gB = graphIri('peerB', 'share/Books');
const titles = (s: GraphStore, g = gA) => s.match(null, null, null, g).map((x) => x.object.value).sort();

async function close(s: GraphStore): Promise<void> {
  await s.close();
  open.splice(open.indexOf(s), 1);
}

describe('GraphStore.replaceAuthor', () => {
  it('replaces every graph of the author, leaves other authors alone, and survives a reopen', async () => {
    const dir = tempDir('replace');
    const s = await store(dir);
    await s.applyRemote({ author: 'peerA', seq: 1, hlc: '1000.0', changes: [1, 2, 3].map((i) => ({ op: 'A' as const, quad: q(i, gA) })).concat([{ op: 'A', quad: q(9, gA2) }]) });
    await s.applyRemote({ author: 'peerB', seq: 1, hlc: '1000.0', changes: [{ op: 'A', quad: q(5, gB) }] });
    await s.replaceAuthor('peerA', 7, '2000.0', [q(2, gA), q(4, gA)]);
    expect(titles(s)).toEqual(['Title 2', 'Title 4']);
    expect(titles(s, gA2)).toEqual([]);
    expect(titles(s, gB)).toEqual(['Title 5']);
    expect(s.versionVector()).toEqual({ peerA: 7, peerB: 1 });
    // Patches continue from the state's seq; older ones are gone from what we can replay to others.
    expect(await s.applyRemote({ author: 'peerA', seq: 8, hlc: '2001.0', changes: [{ op: 'A', quad: q(6, gA) }] })).toBe('applied');
    expect(s.patchesSince({ peerA: 3, peerB: 1 })).toBeNull();
    expect(s.patchesSince({ peerA: 7, peerB: 1 })!.map((p) => p.seq)).toEqual([8]);
    await close(s);

    const again = await store(dir);
    expect(titles(again)).toEqual(['Title 2', 'Title 4', 'Title 6']);
    expect(titles(again, gA2)).toEqual([]);
    expect(again.versionVector()).toEqual({ peerA: 8, peerB: 1 });
    expect(again.patchesSince({ peerA: 7 })!.filter((p) => p.author === 'peerA').map((p) => p.seq)).toEqual([8]);
    // After a snapshot too.
    await again.replaceAuthor('peerA', 20, '3000.0', [q(1, gA)]);
    await again.snapshot();
    await close(again);
    const third = await store(dir);
    expect(titles(third)).toEqual(['Title 1']);
    expect(third.versionVector().peerA).toBe(20);
  });

  it('writes one log record, also for an unchanged state (the version still moves)', async () => {
    const dir = tempDir('replace-one');
    const s = await store(dir);
    await s.replaceAuthor('peerA', 3, '1.0', [q(1, gA)]);
    await s.replaceAuthor('peerA', 5, '2.0', [q(1, gA)]);
    expect(s.versionVector().peerA).toBe(5);
    await close(s);
    const again = await store(dir);
    expect(again.versionVector().peerA).toBe(5);
    expect(titles(again)).toEqual(['Title 1']);
  });

  it('rejects a state that is not ahead, our own author, quads outside the author, blank nodes', async () => {
    const s = await store(tempDir('replace-bad'));
    await s.replaceAuthor('peerA', 4, '1.0', [q(1, gA)]);
    await expect(s.replaceAuthor('peerA', 4, '1.0', [])).rejects.toBeInstanceOf(StoreError);
    await expect(s.replaceAuthor('me', 9, '1.0', [])).rejects.toBeInstanceOf(StoreError);
    await expect(s.replaceAuthor('peerA', 9, '1.0', [q(1, gB)])).rejects.toBeInstanceOf(PatchError);
    const blank = quad(n3.DataFactory.blankNode('x'), namedNode('http://ex.org/p'), literal('v'), gA);
    await expect(s.replaceAuthor('peerA', 9, '1.0', [blank])).rejects.toBeInstanceOf(PatchError);
    await expect(s.replaceAuthor('peerA', 9, 'nope', [])).rejects.toBeInstanceOf(PatchError);
    expect(titles(s)).toEqual(['Title 1']);
    expect(s.versionVector().peerA).toBe(4);
  });
});

describe('GraphStore.replaceAuthor in parts', () => {
  it('writes a big state as several records in one append, replays it whole, and drops a group cut short', async () => {
    const dir = tempDir('replace-parts');
    const s = await GraphStore.open({ dir, nodeId: 'me', statePartBytes: 2000 });
    open.push(s);
    await s.applyRemote({ author: 'peerA', seq: 1, hlc: '1.0', changes: [{ op: 'A', quad: q(0, gA) }] });
    const many = Array.from({ length: 200 }, (_, i) => q(i + 1, gA));
    await s.replaceAuthor('peerA', 5, '2.0', many);
    expect(s.match(null, null, null, gA).length).toBe(200);
    await close(s);
    const again = await store(dir);
    expect(again.match(null, null, null, gA).length).toBe(200);
    expect(again.versionVector().peerA).toBe(5);
    await close(again);

    // A crash while writing the next state: its last record is torn off. The old state stays, at its version.
    const small = await GraphStore.open({ dir, nodeId: 'me', statePartBytes: 2000 });
    await small.replaceAuthor('peerA', 9, '3.0', Array.from({ length: 150 }, (_, i) => q(i + 1000, gA)));
    await small.close();
    const { readdir, stat, truncate } = await import('node:fs/promises');
    const logDir = `${dir}/log`;
    const last = (await readdir(logDir)).filter((f) => f.endsWith('.log')).sort().pop()!;
    await truncate(`${logDir}/${last}`, (await stat(`${logDir}/${last}`)).size - 500);
    const after = await store(dir);
    expect(after.match(null, null, null, gA).length).toBe(200);
    expect(after.versionVector().peerA).toBe(5);
    // Sync resumes from 5; the abandoned parts do not get in the way of later patches or of a reopen.
    expect(await after.applyRemote({ author: 'peerA', seq: 6, hlc: '4.0', changes: [{ op: 'A', quad: q(7777, gA) }] })).toBe('applied');
    expect(after.patchesSince({ peerA: 5 })!.map((p) => p.seq)).toEqual([6]);
    await close(after);
    const last2 = await store(dir);
    expect(last2.match(null, null, null, gA).length).toBe(201);
    expect(last2.versionVector().peerA).toBe(6);
  });
});
