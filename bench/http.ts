// SPARQL over HTTP (8 concurrent clients, autocannon) against the same four queries in-process: the HTTP overhead.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { GraphStore } from '../src/graph/store.js';
import { serveHttp } from '../src/server/http.js';
import { InProcessRunner, WorkerRunner, type QueryRunner } from '../src/server/query-runner.js';
import { QUERIES, syntheticLibrary } from './synthetic.js';
import { fmt, record } from './lib.js';

type Cannon = (opts: Record<string, unknown>) => Promise<{ latency: { p50: number; average: number }; requests: { average: number }; non2xx: number; errors: number }>;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

export async function benchHttp(files = 100_000, seconds = 4): Promise<void> {
  const autocannon = (await import('autocannon' as string)).default as Cannon;
  const lib = await syntheticLibrary(files);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'semsync-bench-http-'));
  const store = await GraphStore.open({ dir, nodeId: 'bench' });
  try {
    await store.importFile(lib.file, { format: 'nquads' });
    console.log(`http: ${store.size} statements`);
    for (const [mode, runner] of [['in-process runner', new InProcessRunner(store)], ['worker replica (time limit)', new WorkerRunner(store, 30_000)]] as Array<[string, QueryRunner]>) {
      const server = await serveHttp({ host: '127.0.0.1', port: 0, sparql: { runner } });
      try {
        for (const [name, q] of Object.entries(QUERIES)) {
          const inProc: number[] = [];
          for (let i = 0; i < 30; i++) {
            const t0 = performance.now();
            store.query(q, { format: 'json' });
            inProc.push(performance.now() - t0);
          }
          const local = median(inProc);
          const url = `http://127.0.0.1:${server.port}/sparql?query=${encodeURIComponent(q)}`;
          await fetch(url).then((r) => r.text()); // warm (and, for the worker, build the replica)
          const r = await autocannon({ url, connections: 8, duration: seconds, headers: { accept: 'application/sparql-results+json' } });
          // oxigraph answers one query at a time, so with 8 clients a request also waits for the 7 others: the p50
          // latency is ~8 service times. The overhead per query is the HTTP service time (1 / throughput) minus the in-process one.
          const overhead = 1000 / r.requests.average - local;
          record({
            what: `SPARQL over HTTP, ${mode}: ${name} (8 clients)`,
            ours: `p50 ${fmt.ms(r.latency.p50)}, ${r.requests.average.toFixed(0)} req/s${r.non2xx || r.errors ? ` (${r.non2xx} non-2xx, ${r.errors} errors)` : ''}`,
            anchorName: 'same query in-process (median)',
            anchor: `${fmt.ms(local)} (${(1000 / local).toFixed(0)} q/s)`,
            ratio: `${overhead >= 0 ? '+' : ''}${fmt.ms(overhead)} per query`,
            goal: 'overhead < 2 ms at the median',
            met: overhead < 2,
          });
        }
      } finally {
        await server.close();
        await runner.close();
      }
    }
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}
