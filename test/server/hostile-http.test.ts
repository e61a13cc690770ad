// Hostile HTTP (issue 14, items 8-10, 14): cross-site requests refused before anything is parsed, SERVICE found by
// the parser (no backtracking regex), a bounded query queue that drops queries whose client left, time limits from
// arrival, memory and result limits in the worker, replicas reloaded off the node's thread, the token on loopback.
import n3 from 'n3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { GraphStore } from '../../src/graph/store.js';
import { serviceUrls } from '../../src/graph/federation.js';
import type { ResultFormat } from '../../src/graph/types.js';
import { serveHttp, type HttpServer } from '../../src/server/http.js';
import { InProcessRunner, QueryMemoryError, QueryResultTooLargeError, QueryTimeoutError, WorkerRunner, type QueryResult, type QueryRunner } from '../../src/server/query-runner.js';
import { tempDir } from '../graph/helpers.js';

let store: GraphStore;

const { namedNode, literal, quad } = n3.DataFactory;
const title = (i: number, text = `title ${i} ${'x'.repeat(40)}`) =>
  quad(namedNode(`http://ex.org/t/${i}`), namedNode('http://purl.org/dc/terms/title'), literal(text), namedNode(`http://ex.org/g/${i % 10}`));

/** `n` titled things in 10 graphs, with titles long enough that a cartesian CONCAT is big. */
async function fill(s: GraphStore, n: number): Promise<void> {
  for (let i = 0; i < n; i += 1000) await s.commit(Array.from({ length: Math.min(1000, n - i) }, (_, k) => ({ op: 'A' as const, quad: title(i + k) })));
}

beforeAll(async () => {
  store = await GraphStore.open({ dir: tempDir('hostile-http'), nodeId: 'nodeA' });
  await fill(store, 3500);
});
afterAll(async () => {
  await store?.close();
});

/** A runner that holds every query until `open()`, then runs it in-process; records what reached it. */
class GatedRunner implements QueryRunner {
  readonly hardLimit = false;
  readonly calls: string[] = [];
  private release!: () => void;
  private readonly gate = new Promise<void>((r) => (this.release = r));
  private entered!: () => void;
  readonly reached = new Promise<void>((r) => (this.entered = r));
  /** Whether queries are held (from the moment it is armed). */
  armed = false;
  constructor(private readonly inner: QueryRunner) {}
  async run(sparql: string, format: ResultFormat): Promise<QueryResult> {
    this.calls.push(sparql);
    if (this.armed) {
      this.entered();
      await this.gate;
    }
    return this.inner.run(sparql, format);
  }
  open(): void {
    this.release();
  }
  async close(): Promise<void> {}
}

describe('SERVICE is found by the SPARQL parser', () => {
  it('federates SERVICE<iri> without a space, a prefixed SERVICE name and SILENT; not strings, comments or other IRIs', () => {
    expect(serviceUrls('SELECT * WHERE { SERVICE<http://a.example/sparql> { ?s ?p ?o } }')).toEqual(['http://a.example/sparql']);
    expect(serviceUrls('PREFIX e: <http://b.example/> SELECT * WHERE { SERVICE e:sparql { ?s ?p ?o } }')).toEqual(['http://b.example/sparql']);
    expect(serviceUrls('SELECT * WHERE { SERVICE SILENT <http://c.example/q> { ?s ?p ?o } OPTIONAL { SERVICE <http://d.example/q> { ?s ?p ?x } } }')).toEqual([
      'http://c.example/q',
      'http://d.example/q',
    ]);
    expect(serviceUrls('SELECT * WHERE { ?s ?p "SERVICE <http://no.example/>" } # SERVICE <http://nor.example/>')).toEqual([]);
    expect(serviceUrls('SELECT * WHERE { <http://service.example/x> ?p ?o }')).toEqual([]);
    expect(serviceUrls('SELECT * WHERE { SERVICE ?where { ?s ?p ?o } }')).toEqual([]); // a variable: no endpoint to call
  });

  it('a query that does not parse is not federated (the store reports its error); a run of 160,000 "<" ends at once', () => {
    expect(serviceUrls('SELECT * WHERE { SERVICE <http://a.example/sparql> { ?s ?p }')).toEqual([]);
    // the old regex backtracked quadratically over this: 26.8 s on the event loop
    expect(serviceUrls(`SELECT * WHERE { SERVICE ${'<'.repeat(160_000)} }`)).toEqual([]);
    expect(serviceUrls(`SELECT * WHERE { ?s ?p "${'service '.repeat(100_000)}" }`)).toEqual([]);
  });
});

describe('cross-site requests and hostile queries over HTTP', () => {
  let server: HttpServer;
  let gated: GatedRunner;
  let base: string;
  beforeAll(async () => {
    gated = new GatedRunner(new InProcessRunner(store));
    server = await serveHttp({
      host: '127.0.0.1',
      port: 0,
      sparql: { runner: gated, federate: async () => ({ text: 'federated', ms: 0 }) },
      routes: (app) => app.get('/api/state', (c) => c.json({ ok: true })),
    });
    base = `http://127.0.0.1:${server.port}`;
  });
  afterAll(async () => {
    gated.open();
    await server?.close();
  });

  it('refuses a cross-site POST and a foreign Origin with 403 before reading the query', async () => {
    const form = new URLSearchParams({ query: `SELECT * WHERE { SERVICE <http://x.example/> { ?s ?p ?o } } # ${'<'.repeat(1000)}` });
    const cross = await fetch(`${base}/sparql`, { method: 'POST', body: form, headers: { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors' } });
    expect(cross.status).toBe(403);
    expect(await cross.text()).toMatch(/another site/);
    const sameSite = await fetch(`${base}/sparql?query=ASK%7B%7D`, { headers: { 'sec-fetch-site': 'same-site' } });
    expect(sameSite.status).toBe(403); // another port on this host is another origin
    const origin = await fetch(`${base}/sparql`, { method: 'POST', body: form, headers: { origin: 'http://evil.example' } });
    expect(origin.status).toBe(403);
    const nullOrigin = await fetch(`${base}/sparql`, { method: 'POST', body: form, headers: { origin: 'null' } });
    expect(nullOrigin.status).toBe(403);
    expect(gated.calls).toEqual([]);
    // the node's own page may (same origin), and so may a client that says nothing (curl, roqet)
    const own = await fetch(`${base}/sparql`, { method: 'POST', body: new URLSearchParams({ query: 'SELECT * WHERE { SERVICE <http://x.example/> { ?s ?p ?o } }' }), headers: { origin: base, 'sec-fetch-site': 'same-origin' } });
    expect(own.status).toBe(200);
    expect(await own.text()).toBe('federated');
  });

  it('a query of 160,000 "<" with "service" gets its error, and /api/state answers while it is in flight', async () => {
    const query = `SELECT * WHERE { ?s ?p ?o } # service\n${'<'.repeat(160_000)}`;
    gated.armed = true;
    let settled = false;
    const bad = fetch(`${base}/sparql`, { method: 'POST', body: new URLSearchParams({ query }) }).then((r) => {
      settled = true;
      return r;
    });
    await gated.reached; // read and handed to the runner (which looks for SERVICE off the event loop), held there
    const state = await fetch(`${base}/api/state`);
    expect(state.status).toBe(200);
    expect(settled).toBe(false);
    gated.open();
    const res = await bad;
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/line \d+, column \d+/);
  }, 20_000);

  it('honours a token on a loopback address too', async () => {
    const s = await serveHttp({ host: '127.0.0.1', port: 0, token: 'loop-token', sparql: { runner: new InProcessRunner(store) } });
    try {
      expect(s.tokenRequired).toBe(true);
      const url = `http://127.0.0.1:${s.port}/sparql?query=${encodeURIComponent('ASK {}')}`;
      expect((await fetch(url)).status).toBe(401);
      expect((await fetch(url, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
      expect((await fetch(url, { headers: { authorization: 'Bearer loop-token' } })).status).toBe(200);
    } finally {
      await s.close();
    }
  });
});

const SLOW = 'SELECT (COUNT(*) AS ?n) { ?a ?p1 ?b . ?c ?p2 ?d . ?e ?p3 ?f . ?g ?p4 ?h }';
const COUNT = 'SELECT (COUNT(*) AS ?n) { ?s ?p ?o }';
/** Polls until `fn` holds (what the runner says about itself; no clock is asserted). */
async function until(fn: () => boolean, what: string, state?: () => unknown): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (fn()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}${state ? `: ${JSON.stringify(state())}` : ''}`);
}

describe('the query queue', () => {
  it('is bounded (503 with Retry-After), drops queries whose clients left, and stops the running one when its client leaves', async () => {
    const runner = new WorkerRunner(store, 60_000, { maxQueue: 2, workers: 1 }); // one worker: the others wait (the pool: query-pool.test.ts)
    const s = await serveHttp({ host: '127.0.0.1', port: 0, sparql: { runner } });
    const url = (q: string) => `http://127.0.0.1:${s.port}/sparql?query=${encodeURIComponent(q)}`;
    const clients = [0, 1, 2].map(() => new AbortController());
    try {
      expect((await fetch(url(COUNT))).status).toBe(200); // the replica loaded: what follows happens while queries run
      const send = (c: AbortController) => fetch(url(SLOW), { signal: c.signal }).catch((e: Error) => e);
      const sent = [send(clients[0])];
      await until(() => runner.stats().running === 1, 'the first query running');
      sent.push(send(clients[1]), send(clients[2]));
      await until(() => runner.stats().queued === 2, 'two waiting');
      const full = await fetch(url(COUNT));
      expect(full.status).toBe(503);
      expect(Number(full.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(await full.text()).toMatch(/2 queries are already waiting/);
      expect(runner.stats().refused).toBe(1);
      clients[1].abort();
      clients[2].abort(); // the two waiting clients go away: dropped, never run
      await until(() => runner.stats().queued === 0 && runner.stats().dropped === 2, 'the waiting queries dropped');
      clients[0].abort(); // the running one's client goes away: its worker is stopped
      await until(() => runner.stats().replaced.aborted === 1 && runner.stats().running === 0, 'the running query stopped', () => runner.stats());
      for (const r of await Promise.all(sent)) expect(r).toBeInstanceOf(Error);
      const after = await fetch(url(COUNT));
      expect(after.status).toBe(200);
      expect(await after.text()).toContain('"3500"');
      expect(runner.stats().workersStarted).toBe(2);
      expect(runner.stats().replaced.aborted).toBe(1);
    } finally {
      await s.close();
      await runner.close();
    }
  }, 60_000);

  it('counts the time limit from arrival, and reloads a stopped replica in its worker, not from the node\'s thread', async () => {
    const runner = new WorkerRunner(store, 60_000, { workers: 1 });
    const exported = vi.spyOn(store, 'export');
    try {
      expect(await runner.run(COUNT, 'csv')).toBeDefined(); // loaded (from disk: the log, here)
      const stop = new AbortController();
      const slow = runner.run(SLOW, 'json', { timeoutMs: 60_000, signal: stop.signal }).catch((e: Error) => e);
      await until(() => runner.stats().running === 1, 'the slow query running');
      const waiting = await runner.run(COUNT, 'json', { timeoutMs: 300 }).catch((e: Error) => e);
      expect(waiting).toBeInstanceOf(QueryTimeoutError);
      expect((waiting as QueryTimeoutError).queued).toBe(true); // dropped unrun: its limit ran out while it waited
      expect((waiting as Error).message).toMatch(/waited for the 300 ms/);
      const timedOut = await runner.run(SLOW, 'json', { timeoutMs: 200 }).catch((e: Error) => e); // queued behind, then its own
      expect(timedOut).toBeInstanceOf(QueryTimeoutError);
      stop.abort();
      await slow;
      await store.snapshot(); // the new replica reads this file in its worker, then the patch after it
      await store.commit([{ op: 'A', quad: title(9999, 'late') }]);
      const text = (await runner.run(COUNT, 'csv')).text;
      expect(text.trim().split(/\r?\n/)[1]).toBe('3501'); // a new replica, current
      expect(runner.stats().workersStarted).toBeGreaterThanOrEqual(2);
      expect(exported).not.toHaveBeenCalled();
    } finally {
      exported.mockRestore();
      await runner.close();
    }
  }, 60_000);
});

describe('query memory and result size', () => {
  it('stops a cartesian CONCAT at the memory limit, replaces the worker, and answers the next query', async () => {
    const runner = new WorkerRunner(store, 120_000, { memoryMb: 96 });
    try {
      const huge = 'SELECT (GROUP_CONCAT(?x) AS ?all) WHERE { ?a ?p ?b . ?c ?q ?d . BIND(CONCAT(STR(?b), STR(?d), STR(?a)) AS ?x) }';
      const err = await runner.run(huge, 'json').catch((e: Error) => e);
      expect(err).toBeInstanceOf(QueryMemoryError);
      expect((err as Error).message).toMatch(/memory limit of 96 MB/);
      expect(runner.stats().replaced.memory).toBe(1);
      expect((await runner.run(COUNT, 'csv')).text).toMatch(/\n3501/);
    } finally {
      await runner.close();
    }
  }, 120_000);

  it('refuses results past the size limit with an error naming it, and keeps its worker', async () => {
    const runner = new WorkerRunner(store, 30_000, { maxResultBytes: 10_000 });
    try {
      const err = await runner.run('SELECT * WHERE { ?s ?p ?o }', 'json').catch((e: Error) => e);
      expect(err).toBeInstanceOf(QueryResultTooLargeError);
      expect((err as Error).message).toMatch(/larger than the limit of .*--query-results/);
      expect((await runner.run('SELECT ?s WHERE { ?s ?p ?o } LIMIT 2', 'csv')).text.trim().split(/\r?\n/)).toHaveLength(3);
      expect(runner.stats().workersStarted).toBe(1);
    } finally {
      await runner.close();
    }
  }, 60_000);
});

describe('SERVICE found off the node thread', () => {
  it('the worker hands a SERVICE query back to be federated; past 64 KiB one is not federated and the store refuses its SERVICE', async () => {
    const runner = new WorkerRunner(store, 30_000);
    try {
      const out = await runner.run('PREFIX e: <http://b.example/> SELECT * WHERE { SERVICE e:sparql { ?s ?p ?o } }', 'json');
      expect(out.services).toEqual(['http://b.example/sparql']);
      expect(out.text).toBe('');
      const long = `SELECT * WHERE { SERVICE <http://b.example/sparql> { ?s ?p ?o } } # ${'x'.repeat(70_000)}`;
      const err = await runner.run(long, 'json').catch((e: Error) => e);
      expect(err).toBeInstanceOf(Error);
      expect(runner.stats().workersStarted).toBe(1);
    } finally {
      await runner.close();
    }
  }, 60_000);
});

/** A SPARQL endpoint on 127.0.0.1 that answers every SELECT with `n` bindings of ?r ?rp ?ro (COUNT and ASK as comunica asks them). */
async function fixedEndpoint(n: number): Promise<{ url: string; close(): Promise<void>; requests: () => number }> {
  const http = await import('node:http');
  let requests = 0;
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      requests++;
      const q = `${new URL(req.url!, 'http://x').searchParams.get('query') ?? ''}${new URLSearchParams(body).get('query') ?? body}`;
      if (!q.trim()) return res.writeHead(400).end('no query'); // what a probe without a query gets from a real endpoint
      res.setHeader('content-type', 'application/sparql-results+json');
      if (/\bASK\b/i.test(q)) return res.end(JSON.stringify({ head: {}, boolean: true }));
      const count = /COUNT\s*\(/i.test(q);
      const bindings = count
        ? [{ [/AS\s+\?(\w+)/i.exec(q)?.[1] ?? 'count']: { type: 'literal', value: String(n), datatype: 'http://www.w3.org/2001/XMLSchema#integer' } }]
        : Array.from({ length: n }, (_, i) => ({ r: { type: 'uri', value: `http://remote.example/r/${i}` }, rp: { type: 'uri', value: 'http://remote.example/p' }, ro: { type: 'literal', value: `remote value ${i} ${'y'.repeat(40)}` } }));
      res.end(JSON.stringify({ head: { vars: count ? [Object.keys(bindings[0])[0]] : ['r', 'rp', 'ro'] }, results: { bindings } }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}/sparql`, requests: () => requests, close: () => new Promise((r) => server.close(() => r())) };
}

describe('SERVICE queries in the query worker', () => {
  it('federates in the worker when asked (remote answers come back, no endpoints handed out), else hands the endpoints back', async () => {
    const remote = await fixedEndpoint(3);
    const runner = new WorkerRunner(store, 60_000);
    try {
      const q = `SELECT ?ro WHERE { SERVICE <${remote.url}> { ?r ?rp ?ro } } ORDER BY ?ro`;
      const handed = await runner.run(q, 'csv');
      expect(handed.services).toEqual([remote.url]);
      expect(remote.requests()).toBe(0);
      const done = await runner.run(q, 'csv', { federate: true });
      expect(done.services).toBeUndefined();
      expect(done.text.trim().split(/\r?\n/).slice(1)).toEqual([0, 1, 2].map((i) => `remote value ${i} ${'y'.repeat(40)}`));
      expect(remote.requests()).toBeGreaterThan(0);
    } finally {
      await runner.close();
      await remote.close();
    }
  }, 60_000);

  it('a federated cartesian join is stopped in the worker (memory), not on the node\'s thread, and the next query is answered', async () => {
    const remote = await fixedEndpoint(3000);
    const runner = new WorkerRunner(store, 120_000, { memoryMb: 96 });
    const heapBefore = process.memoryUsage().heapUsed;
    try {
      const huge = `SELECT (GROUP_CONCAT(?x) AS ?all) WHERE { SERVICE <${remote.url}> { ?r ?rp ?ro } ?a ?p ?b . BIND(CONCAT(STR(?ro), STR(?b)) AS ?x) }`;
      const err = await runner.run(huge, 'json', { federate: true }).catch((e: Error) => e);
      expect(err).toBeInstanceOf(Error);
      const { replaced } = runner.stats();
      expect(replaced.memory + replaced.crashed).toBe(1); // the worker that held it is gone
      expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(200 << 20);
      expect((await runner.run(COUNT, 'csv')).text).toMatch(/\n3501/);
    } finally {
      await runner.close();
      await remote.close();
    }
  }, 120_000);
});
