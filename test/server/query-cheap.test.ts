// Queries answered in the node's thread (issue 20, item 4): only a text a replica has just answered cheaply on the
// same data; a commit sends it back through a worker (which sees the commit); a heavy text never runs there.
import n3 from 'n3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphStore } from '../../src/graph/store.js';
import { WorkerRunner } from '../../src/server/query-runner.js';
import { tempDir } from '../graph/helpers.js';

const { namedNode, literal, quad } = n3.DataFactory;
const title = (i: number) => quad(namedNode(`http://ex.org/t/${i}`), namedNode('http://purl.org/dc/terms/title'), literal(`title ${i}`), namedNode('http://ex.org/g'));
const LOOKUP = 'SELECT ?t WHERE { ?t <http://purl.org/dc/terms/title> "title 42" }';
const HEAVY = 'SELECT (COUNT(*) AS ?n) { ?a ?p ?b . ?c ?q ?d }';

let store: GraphStore;
beforeAll(async () => {
  store = await GraphStore.open({ dir: tempDir('query-cheap'), nodeId: 'nodeA' });
  await store.commit(Array.from({ length: 2000 }, (_, i) => ({ op: 'A' as const, quad: title(i) })));
});
afterAll(async () => {
  await store?.close();
});

/** Asks until the runner answers a text in its own thread (a loaded machine may slow a replica's run past the bound). */
async function untilInThread(runner: WorkerRunner, sparql: string): Promise<string> {
  for (let i = 0; i < 50; i++) {
    const before = runner.stats().inThread;
    const { text } = await runner.run(sparql, 'json');
    if (runner.stats().inThread > before) return text;
  }
  throw new Error(`never answered in the node's thread: ${JSON.stringify(runner.stats())}`);
}

describe("queries answered in the node's thread", () => {
  it('answers a cheap text there once a replica answered it on the same data, identically; a commit sends it back through a worker', async () => {
    const runner = new WorkerRunner(store, 60_000, { workers: 1 });
    try {
      const fromWorker = (await runner.run(LOOKUP, 'json')).text;
      expect(runner.stats().inThread).toBe(0); // the first answer always comes from a worker
      expect(JSON.parse(fromWorker).results.bindings).toHaveLength(1);
      const inThread = await untilInThread(runner, LOOKUP);
      expect(inThread).toBe(fromWorker);
      expect(inThread).toBe(store.query(LOOKUP, { format: 'json' }).serialized);
      // a second statement with that title: the next answer comes from the worker, caught up, and has both
      await store.commit([{ op: 'A', quad: quad(namedNode('http://ex.org/t/other'), namedNode('http://purl.org/dc/terms/title'), literal('title 42'), namedNode('http://ex.org/g')) }]);
      const ran = runner.stats().inThread;
      const after = await runner.run(LOOKUP, 'json');
      expect(runner.stats().inThread).toBe(ran);
      expect(JSON.parse(after.text).results.bindings).toHaveLength(2);
      expect(await untilInThread(runner, LOOKUP)).toBe(after.text);
    } finally {
      await runner.close();
    }
  });

  it('never answers a heavy text there, nor anything with cheapMs 0', async () => {
    const runner = new WorkerRunner(store, 120_000, { workers: 1 });
    const off = new WorkerRunner(store, 60_000, { workers: 1, cheapMs: 0 });
    try {
      for (let i = 0; i < 3; i++) expect((await runner.run(HEAVY, 'csv')).text).toContain(String(store.size ** 2));
      expect(runner.stats().inThread).toBe(0);
      for (let i = 0; i < 5; i++) await off.run(LOOKUP, 'json');
      expect(off.stats().inThread).toBe(0);
    } finally {
      await runner.close();
      await off.close();
    }
  });
});
