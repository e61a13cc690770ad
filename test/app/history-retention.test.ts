// History and undo of an early change after a snapshot compacted the change log: read from the retained history.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import n3 from 'n3';
import { afterEach, describe, expect, it } from 'vitest';
import { recordHistory, undoChange, type HistoryHome } from '../../src/app/index.js';
import { readConfig } from '../../src/app/config.js';
import { GraphStore } from '../../src/graph/store.js';
import { graphIri } from '../../src/graph/vocab.js';
import { tempDir } from '../graph/helpers.js';

const { namedNode, literal, quad } = n3.DataFactory;
const G = graphIri('nodeA', 'notes');
const title = (i: number, v: string) => quad(namedNode(`https://example.org/note/${i}`), namedNode('http://purl.org/dc/terms/title'), literal(v), G);

describe('history and undo after compaction', () => {
  let store: GraphStore | undefined;
  afterEach(async () => {
    await store?.close();
    store = undefined;
  });

  it('still shows and undoes the first change of a record once a snapshot has compacted the log', async () => {
    const dir = tempDir('hist-retain');
    store = await GraphStore.open({ dir, nodeId: 'nodeA', segmentBytes: 300, keepSegments: 0 });
    const home: HistoryHome = { nodeId: 'nodeA', store, paths: { trust: path.join(dir, 'no-trust.json') } };
    await store.commit([{ op: 'A', quad: title(0, 'early') }]); // nodeA:1, about note 0
    for (let i = 1; i < 40; i++) await store.commit([{ op: 'A', quad: title(i, `note ${i}`) }]);
    await store.snapshot();
    expect(store.patchesSince({})).toBeNull(); // the live log no longer reaches back to nodeA:1

    const h = await recordHistory(home, 'https://example.org/note/0', dir);
    expect(h.complete).toBe(true);
    expect(h.entries.map((e) => [e.change, e.channel, e.by])).toEqual([['nodeA:1', 'local', 'this node']]);

    const r = await undoChange(home, 'nodeA:1', false);
    expect(r.commit).toBe('nodeA:41');
    expect(store.match(title(0, 'early').subject, null, null, null)).toEqual([]);
    const after = await recordHistory(home, 'https://example.org/note/0', dir);
    expect(after.entries.map((e) => [e.change, e.channel])).toEqual([['nodeA:1', 'local'], ['nodeA:41', 'undo']]);
  });
});

describe('the historyDays config key', () => {
  it('is read from config.json, and a value that is not a number of days is refused naming the file', async () => {
    const dir = tempDir('hist-config');
    const file = path.join(dir, 'config.json');
    await writeFile(file, JSON.stringify({ nodeId: 'nodeA', historyDays: 30 }));
    expect((await readConfig(file))?.historyDays).toBe(30);
    await writeFile(file, JSON.stringify({ nodeId: 'nodeA' }));
    expect((await readConfig(file))?.historyDays).toBeUndefined(); // the store's default, 90
    await writeFile(file, JSON.stringify({ nodeId: 'nodeA', historyDays: '90' }));
    await expect(readConfig(file)).rejects.toThrow(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: historyDays must be a number of days`));
    await writeFile(file, JSON.stringify({ nodeId: 'nodeA', historyDays: -1 }));
    await expect(readConfig(file)).rejects.toThrow(/historyDays/);
  });
});
