// SPARQL over HTTP (8 concurrent clients, autocannon) against the same four queries run directly on the store, one
// at a time: the endpoint's overhead, in-process, with one query worker (the time limit's old way) and with the pool.
// `npx tsx bench/http.ts [--quick] [--files N] [--workers N]`, or `npm run bench -- --only http`.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { GraphStore } from '../src/graph/store.js';
import { serveHttp } from '../src/server/http.js';
import { InProcessRunner, WorkerRunner, defaultWorkers, type QueryRunner } from '../src/server/query-runner.js';
import { QUERIES, syntheticLibrary } from './synthetic.js';
import { fmt, printTable, record } from './lib.js';

type Cannon = { latency: { p50: number; average: number }; requests: { average: number }; non2xx: number; errors: number };

const CLIENTS = 8;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** The median of the query run directly on the store, one at a time (at least 3 runs, up to 30 or ~3 s). */
function direct(store: GraphStore, q: string): number {
  const times: number[] = [];
  const t0 = performance.now();
  while (times.length < 3 || (times.length < 30 && performance.now() - t0 < 3000)) {
    const t = performance.now();
    store.query(q, { format: 'json' });
    times.push(performance.now() - t);
  }
  return median(times);
}

/** autocannon in its own process (as real clients are: the endpoint's thread does not also generate the load). */
async function cannon(url: string, seconds: number): Promise<Cannon> {
  const bin = path.join(path.dirname(createRequire(import.meta.url).resolve('autocannon/package.json')), 'autocannon.js');
  const args = [bin, '--json', '-c', String(CLIENTS), '-d', String(seconds), '-H', 'accept=application/sparql-results+json', url];
  const { stdout } = await promisify(execFile)(process.execPath, args, { maxBuffer: 64 << 20 });
  return JSON.parse(stdout) as Cannon;
}

export interface HttpBenchOptions {
  files?: number;
  seconds?: number;
  /** The pool's size (default: the runner's default, min(cores, 4)). */
  workers?: number;
}

export async function benchHttp(opts: HttpBenchOptions = {}): Promise<void> {
  const { files = 100_000, seconds = 4 } = opts;
  const workers = opts.workers ?? defaultWorkers();
  const lib = await syntheticLibrary(files);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'semsync-bench-http-'));
  const store = await GraphStore.open({ dir, nodeId: 'bench' });
  try {
    await store.importFile(lib.file, { format: 'nquads' });
    const cores = os.availableParallelism();
    console.log(`http: ${store.size} statements (${store.holding} held), ${cores} cores, load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
    const local = Object.fromEntries(Object.entries(QUERIES).map(([name, q]) => [name, direct(store, q)]));
    const modes: Array<[string, QueryRunner]> = [
      ['in-process runner', new InProcessRunner(store)],
      ['1 query worker (time limit)', new WorkerRunner(store, 30_000, { workers: 1 })],
      [`pool of ${workers} query workers (time limit)`, new WorkerRunner(store, 30_000, { workers })],
    ];
    for (const [mode, runner] of modes) {
      const server = await serveHttp({ host: '127.0.0.1', port: 0, sparql: { runner } });
      // resident memory while serving: the most seen, and the most workers alive then
      const seen = { rss: 0, workers: 0 };
      const sample = setInterval(() => {
        seen.rss = Math.max(seen.rss, process.memoryUsage.rss());
        seen.workers = Math.max(seen.workers, runner.stats?.().workers ?? 0);
      }, 100);
      try {
        for (const [name, q] of Object.entries(QUERIES)) {
          const url = `http://127.0.0.1:${server.port}/sparql?query=${encodeURIComponent(q)}`;
          // warm: every worker of the pool loads its replica and the query's working set
          await Promise.all(Array.from({ length: workers }, () => fetch(url).then((r) => r.text())));
          const r = await cannon(url, seconds);
          const base = local[name];
          // The goal's measure: the median latency of 8 clients at once minus the query's own median run alone.
          // With k threads answering (k = min(workers, cores)), a client also waits for ~8/k - 1 other queries:
          // that floor is printed beside it.
          const overhead = r.latency.p50 - base;
          const threads = Math.min(runner instanceof WorkerRunner ? runner.size : 1, cores);
          const floor = (CLIENTS / threads - 1) * base;
          // The cost per query: the time per answered request (1 / throughput) minus the query's own time.
          const service = 1000 / r.requests.average - base;
          const sign = (ms: number) => `${ms >= 0 ? '+' : '-'}${fmt.ms(Math.abs(ms))}`;
          record({
            what: `SPARQL over HTTP, ${mode}: ${name} (${CLIENTS} clients)`,
            ours: r.requests.average > 0 ? `p50 ${fmt.ms(r.latency.p50)}, ${r.requests.average.toFixed(1)} req/s${r.non2xx || r.errors ? ` (${r.non2xx} non-2xx, ${r.errors} errors)` : ''}` : `none answered in ${seconds} s`,
            anchorName: 'same query on the store, one at a time (median)',
            anchor: `${fmt.ms(base)} (${(1000 / base).toFixed(0)} q/s)`,
            ratio: `${sign(overhead)} at the median (queueing floor ${sign(floor)}), x${(r.latency.p50 / base).toFixed(1)}; ${sign(service)} per answered query`,
            goal: `overhead < 2 ms at the median with ${CLIENTS} clients`,
            met: r.requests.average > 0 && overhead < 2, // none answered within the run: not met
          });
        }
        if (runner instanceof WorkerRunner) memoryRow(mode, seen, store.holding);
      } finally {
        clearInterval(sample);
        await server.close();
        await runner.close();
      }
    }
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** The process's most resident memory while serving (the store, its working set, each worker's replica). */
function memoryRow(mode: string, seen: { rss: number; workers: number }, holding: number): void {
  const rss = seen.rss;
  record({
    what: `resident memory of the process serving the four queries, ${mode}: up to ${seen.workers} workers alive, store holding ${holding} statements`,
    ours: fmt.mb(rss),
    anchorName: 'goal (a running node at 1M files)',
    anchor: '512 MB',
    ratio: fmt.x(rss / (512 << 20)),
    goal: '≤ 512 MB',
    met: rss <= 512 << 20,
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  const arg = (name: string) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : undefined);
  const quick = args.includes('--quick');
  await benchHttp({ files: arg('--files') ?? (quick ? 20_000 : 100_000), seconds: quick ? 2 : 4, workers: arg('--workers') });
  printTable();
  process.exit(0);
}
