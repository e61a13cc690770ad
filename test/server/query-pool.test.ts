// The query worker pool (issue 20, item 4): queries run at once in several workers, each guard (time, memory, result
// size, client gone) holds in every worker, a stopped worker is replaced without losing the others, and every worker
// answers from a state at least as new as the last commit acknowledged before the query was asked.
import n3 from 'n3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphStore } from '../../src/graph/store.js';
import { QueryAbortedError, QueryMemoryError, QueryQueueFullError, QueryResultTooLargeError, QueryTimeoutError, WorkerRunner, defaultWorkers } from '../../src/server/query-runner.js';
import { tempDir } from '../graph/helpers.js';

const { namedNode, literal, quad } = n3.DataFactory;
const title = (i: number) => quad(namedNode(`http://ex.org/t/${i}`), namedNode('http://purl.org/dc/terms/title'), literal(`title ${i} ${'x'.repeat(40)}`), namedNode(`http://ex.org/g/${i % 10}`));

const SLOW = 'SELECT (COUNT(*) AS ?n) { ?a ?p1 ?b . ?c ?p2 ?d . ?e ?p3 ?f . ?g ?p4 ?h }';
const COUNT = 'SELECT (COUNT(*) AS ?n) { ?s ?p ?o }';
const HUGE = 'SELECT (GROUP_CONCAT(?x) AS ?all) WHERE { ?a ?p ?b . ?c ?q ?d . BIND(CONCAT(STR(?b), STR(?d), STR(?a)) AS ?x) }';

let store: GraphStore;
let size = 0;

beforeAll(async () => {
  store = await GraphStore.open({ dir: tempDir('query-pool'), nodeId: 'nodeA' });
  for (let i = 0; i < 3000; i += 1000) await store.commit(Array.from({ length: 1000 }, (_, k) => ({ op: 'A' as const, quad: title(i + k) })));
  size = 3000;
});
afterAll(async () => {
  await store?.close();
});

/** Polls until `fn` holds (what the runner says about itself; no clock is asserted). */
async function until(fn: () => boolean, what: string, state?: () => unknown): Promise<void> {
  for (let i = 0; i < 1200; i++) {
    if (fn()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}${state ? `: ${JSON.stringify(state())}` : ''}`);
}

const count = async (runner: WorkerRunner) => Number((await runner.run(COUNT, 'csv')).text.trim().split(/\r?\n/)[1]);

describe('the query worker pool', () => {
  it('sizes itself from the cores (at most 4) unless told, and refuses a pool of no workers', () => {
    expect(defaultWorkers()).toBeGreaterThanOrEqual(1);
    expect(defaultWorkers()).toBeLessThanOrEqual(4);
    expect(new WorkerRunner(store, 1000, { workers: 3 }).size).toBe(3);
    expect(() => new WorkerRunner(store, 1000, { workers: 0 })).toThrow(/at least one worker/);
  });

  it('runs two slow queries at once in two workers; a third waits; one worker serves queries one after another', async () => {
    const runner = new WorkerRunner(store, 120_000, { workers: 2 });
    const clients = [0, 1, 2].map(() => new AbortController());
    try {
      expect(await count(runner)).toBe(size);
      expect(await count(runner)).toBe(size);
      expect(runner.stats().workersStarted).toBe(1); // no second worker while the first is free
      const sent = clients.map((c) => runner.run(SLOW, 'json', { signal: c.signal }).catch((e: Error) => e));
      await until(() => runner.stats().querying === 2 && runner.stats().queued === 1, 'two in their workers, one waiting', () => runner.stats());
      expect(runner.stats().workers).toBe(2);
      expect(runner.stats().peakRunning).toBe(2);
      clients[2].abort(); // the waiting one: dropped unrun
      await until(() => runner.stats().dropped === 1, 'the waiting query dropped');
      clients[0].abort();
      clients[1].abort(); // both running ones: each worker stopped
      for (const r of await Promise.all(sent)) expect(r).toBeInstanceOf(QueryAbortedError);
      await until(() => runner.stats().replaced.aborted === 2 && runner.stats().running === 0, 'both workers stopped', () => runner.stats());
      expect(await count(runner)).toBe(size); // the pool answers again (a new replica)
    } finally {
      await runner.close();
    }
  }, 120_000);

  it('stops each of two running queries at its own time limit, and refuses past the queue while both workers are busy', async () => {
    const runner = new WorkerRunner(store, 120_000, { workers: 2, maxQueue: 1 });
    try {
      const stop = new AbortController();
      const slow = [runner.run(SLOW, 'json', { timeoutMs: 1500 }).catch((e: Error) => e), runner.run(SLOW, 'json', { signal: stop.signal }).catch((e: Error) => e)];
      await until(() => runner.stats().querying === 2, 'two in their workers', () => runner.stats());
      const waiting = runner.run(COUNT, 'json').catch((e: Error) => e);
      await expect(runner.run(COUNT, 'json')).rejects.toBeInstanceOf(QueryQueueFullError);
      const first = await slow[0];
      expect(first).toBeInstanceOf(QueryTimeoutError);
      expect((first as QueryTimeoutError).queued).toBe(false);
      expect(await waiting).not.toBeInstanceOf(Error); // ran in the freed worker while the other slow query went on
      expect(runner.stats().running).toBe(1);
      stop.abort();
      expect(await slow[1]).toBeInstanceOf(QueryAbortedError);
      expect(runner.stats().replaced).toMatchObject({ timeout: 1, aborted: 1 });
      expect(runner.stats().refused).toBe(1);
    } finally {
      await runner.close();
    }
  }, 120_000);

  it('stops a query at the memory limit in one worker and replaces only that worker; results past the size limit are refused in each', async () => {
    const runner = new WorkerRunner(store, 120_000, { workers: 2, memoryMb: 96, maxResultBytes: 10_000 });
    try {
      const big = await Promise.all([0, 1].map(() => runner.run('SELECT * WHERE { ?s ?p ?o }', 'json').catch((e: Error) => e)));
      for (const e of big) expect(e).toBeInstanceOf(QueryResultTooLargeError);
      expect(runner.stats()).toMatchObject({ workers: 2, workersStarted: 2 }); // both kept their workers
      const err = await runner.run(HUGE, 'json').catch((e: Error) => e);
      expect(err).toBeInstanceOf(QueryMemoryError);
      expect(runner.stats().replaced.memory).toBe(1);
      expect(runner.stats().workers).toBe(1); // the other worker (and its replica) stays
      const after = await Promise.all([count(runner), count(runner)]);
      expect(after).toEqual([size, size]);
      expect(runner.stats()).toMatchObject({ workers: 2, workersStarted: 3 }); // the pool is whole again
    } finally {
      await runner.close();
    }
  }, 180_000);

  it('stops a worker left idle while another is alive, and keeps the last one', async () => {
    const runner = new WorkerRunner(store, 60_000, { workers: 2, idleMs: 300 });
    try {
      expect(await Promise.all([count(runner), count(runner)])).toEqual([size, size]);
      expect(runner.stats().workersStarted).toBe(2);
      await until(() => runner.stats().idleStopped === 1, 'one idle worker stopped', () => runner.stats());
      expect(runner.stats().workers).toBe(1);
      expect(await count(runner)).toBe(size); // answered by the one left, no new worker
      expect(runner.stats()).toMatchObject({ workersStarted: 2, idleStopped: 1, replaced: { timeout: 0, memory: 0, aborted: 0, crashed: 0, recycled: 0 } });
    } finally {
      await runner.close();
    }
  }, 60_000);

  it('reads its writes in every worker: a query sees every commit acknowledged before it was asked', async () => {
    const runner = new WorkerRunner(store, 60_000, { workers: 2 });
    try {
      expect(await Promise.all([count(runner), count(runner)])).toEqual([size, size]); // both workers loaded
      expect(runner.stats().workers).toBe(2);
      for (let round = 0; round < 4; round++) {
        await store.commit([{ op: 'A', quad: title(10_000 + round) }]);
        size++;
        // two at once: one in each worker, each brought up to date before its query
        expect(await Promise.all([count(runner), count(runner)])).toEqual([size, size]);
        expect(await count(runner)).toBe(size);
      }
      await store.commit([{ op: 'D', quad: title(10_000) }]);
      size--;
      expect(await Promise.all([count(runner), count(runner), count(runner)])).toEqual([size, size, size]);
      expect(runner.stats().workersStarted).toBe(2);
    } finally {
      await runner.close();
    }
  }, 120_000);
});
