// The query replica (src/server/query-replica.ts): a paged store's replica opens the store's snapshot and catches up
// from the log; when the log no longer reaches back to that snapshot (a peer's full state installed since), the
// replica is loaded whole instead of failing every query.
import n3 from 'n3';
import { afterEach, expect, it } from 'vitest';
import { GraphStore } from '../../src/graph/store.js';
import { WorkerRunner } from '../../src/server/query-runner.js';
import { tempDir } from '../graph/helpers.js';

const { namedNode, literal, quad } = n3.DataFactory;
const own = (i: number) => quad(namedNode(`http://ex.org/a/${i}`), namedNode('http://purl.org/dc/terms/title'), literal(`a ${i}`), namedNode('https://w3id.org/semsync/id/graph/nodeA/share/books'));
const theirs = (i: number) => quad(namedNode(`http://ex.org/b/${i}`), namedNode('http://purl.org/dc/terms/title'), literal(`b ${i}`), namedNode('https://w3id.org/semsync/id/graph/nodeB/share/books'));
const COUNT_B = 'SELECT (COUNT(*) AS ?n) { GRAPH <https://w3id.org/semsync/id/graph/nodeB/share/books> { ?s ?p ?o } }';

let store: GraphStore | undefined;
let runner: WorkerRunner | undefined;
afterEach(async () => {
  await runner?.close();
  await store?.close();
});

it('answers from a paged store after a full state the log cannot replay from the snapshot', async () => {
  store = await GraphStore.open({ dir: tempDir('query-replica'), nodeId: 'nodeA', pagedAbove: 0 });
  await store.commit(Array.from({ length: 50 }, (_, i) => ({ op: 'A' as const, quad: own(i) })));
  await store.snapshot();
  expect(store.pagedSnapshot).not.toBeNull(); // the store is paged, its snapshot knows nothing of nodeB
  await store.replaceAuthor('nodeB', 7, `${Date.now()}.0`, Array.from({ length: 20 }, (_, i) => theirs(i)));
  runner = new WorkerRunner(store, 60_000, { workers: 1 });
  const answer = await runner.run(COUNT_B, 'csv');
  expect(Number(answer.text.trim().split(/\r?\n/)[1])).toBe(20);
  await store.commit([{ op: 'A' as const, quad: own(99) }]);
  const again = await runner.run('SELECT (COUNT(*) AS ?n) { GRAPH <https://w3id.org/semsync/id/graph/nodeA/share/books> { ?s ?p ?o } }', 'csv');
  expect(Number(again.text.trim().split(/\r?\n/)[1])).toBe(51); // and it keeps up with later commits
});
