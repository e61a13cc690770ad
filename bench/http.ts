// SPARQL over HTTP with 8 concurrent clients, against raw oxigraph serving the same 8 clients on as many threads:
// what the endpoint adds (HTTP, the queue, the worker hop, the replica, the limits) over the fastest way to answer
// that load with oxigraph on this machine. Rounds alternate anchor and endpoint; each round prints the load average.
// `npx tsx bench/http.ts [--quick] [--files N] [--workers N] [--rounds N] [--in-process]`, or `npm run bench -- --only http`.
import { execFile, fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { Worker } from 'node:worker_threads';
import { GraphStore } from '../src/graph/store.js';
import { defaultWorkers } from '../src/server/query-runner.js';
import { QUERIES, syntheticLibrary } from './synthetic.js';
import { fmt, printTable, record } from './lib.js';

const CLIENTS = 8;
/** The ports this bench's node may take (the first free one). */
const PORTS = [46170, 46171, 46172, 46173, 46174];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : NaN;
}

const load = () => os.loadavg()[0].toFixed(1);

/** A bench helper's file beside this one: the compiled .js, or (under tsx) the .ts with tsx's loader. */
function helper(name: string): { file: string; execArgv: string[] } {
  const js = fileURLToPath(new URL(`./${name}.js`, import.meta.url));
  if (existsSync(js)) return { file: js, execArgv: [] };
  return { file: fileURLToPath(new URL(`./${name}.ts`, import.meta.url)), execArgv: ['--import', 'tsx'] };
}

/**
 * The anchor: `threads` threads of raw oxigraph, each with the library loaded whole, run the query back to back at
 * once; 8 clients spread over them (c per thread, FIFO, no think time) would each wait for the c runs before their
 * answer, so a request's latency is the sum of c consecutive run times of its thread. Also: one thread alone.
 */
class RawAnchor {
  private constructor(private readonly threads: Worker[]) {}

  static async start(file: string, threads: number): Promise<RawAnchor> {
    const { file: module, execArgv } = helper('http-raw');
    const ws = Array.from({ length: threads }, () => new Worker(module, { workerData: { file }, execArgv }));
    await Promise.all(ws.map((w) => once(w, 'message')));
    return new RawAnchor(ws);
  }

  private static run(w: Worker, query: string, ms: number, min = 3): Promise<number[]> {
    const reply = once(w, 'message') as Promise<[{ times: number[] }]>;
    w.postMessage({ query, ms, min });
    return reply.then(([r]) => r.times);
  }

  /** The median latency of 8 clients over every thread, and the median run of one thread alone. */
  async measure(query: string, seconds: number): Promise<{ p50: number; alone: number; perSecond: number }> {
    const alone = median(await RawAnchor.run(this.threads[0], query, Math.min(1000, seconds * 500)));
    // each thread runs at least as many times as it has clients, plus one (a latency is a window of that many runs)
    const all = await Promise.all(this.threads.map((w) => RawAnchor.run(w, query, seconds * 1000, Math.ceil(CLIENTS / this.threads.length) + 1)));
    const latencies: number[] = [];
    all.forEach((times, t) => {
      const c = Math.floor(CLIENTS / all.length) + (t < CLIENTS % all.length ? 1 : 0);
      let window = times.slice(0, c).reduce((a, b) => a + b, 0);
      for (let i = c - 1; i < times.length; i++) {
        if (i >= c) window += times[i] - times[i - c];
        latencies.push(window);
      }
    });
    const perSecond = all.reduce((n, times) => n + times.length / (times.reduce((a, b) => a + b, 0) / 1000), 0);
    return { p50: median(latencies), alone, perSecond };
  }

  async close(): Promise<void> {
    await Promise.all(this.threads.map((w) => w.terminate()));
  }
}

/** `clients` keep-alive clients in their own process (http-clients.ts) for `seconds`: median latency and answers per second. */
async function clients(url: string, n: number, seconds: number): Promise<{ p50: number; perSecond: number; failed: number }> {
  const { file, execArgv } = helper('http-clients');
  const { stdout } = await promisify(execFile)(process.execPath, [...execArgv, file, url, String(n), String(seconds)], { maxBuffer: 256 << 20 });
  const r = JSON.parse(stdout) as { latencies: number[]; non2xx: number; errors: number };
  return { p50: median(r.latencies), perSecond: r.latencies.length / seconds, failed: r.non2xx + r.errors };
}

interface Served {
  child: ChildProcess;
  port: number;
  ask(): Promise<{ opened: number; peak: number; workers: number; holding: number; size: number; stats?: unknown }>;
  close(): Promise<void>;
}

/** The node (http-serve.ts) in its own process, on the first free port of PORTS. */
async function serve(dir: string, mode: string, workers: number): Promise<Served> {
  const { file, execArgv } = helper('http-serve');
  for (const port of PORTS) {
    const child = fork(file, [dir, String(port), mode, String(workers)], { execArgv, stdio: ['ignore', 'inherit', 'pipe', 'ipc'] });
    const [first] = (await Promise.race([once(child, 'message'), once(child, 'exit').then(() => [undefined])])) as [{ ready?: number } | undefined];
    if (!first?.ready) continue; // the port was taken: the next one
    return {
      child,
      port,
      ask: async () => {
        const reply = once(child, 'message');
        child.send('stats');
        return (await reply)[0] as Awaited<ReturnType<Served['ask']>>;
      },
      close: async () => {
        child.send('close');
        await once(child, 'exit');
      },
    };
  }
  throw new Error(`the bench node could not listen on any of the ports ${PORTS.join(', ')}`);
}

export interface HttpBenchOptions {
  files?: number;
  seconds?: number;
  /** The pool's size (default: the runner's default, min(cores, 4)); the anchor has as many threads. */
  workers?: number;
  /** Rounds of anchor and endpoint, alternating (default 3). */
  rounds?: number;
  /** The in-process runner (no time limit) instead of the pool. */
  inProcess?: boolean;
}

type Figures = { ours: number; raw: number; oursOne: number; rawAlone: number; oursRate: number; rawRate: number; failed: number; load: string; floor: number };

export async function benchHttp(opts: HttpBenchOptions = {}): Promise<void> {
  const { files = 100_000, seconds = 4, rounds = 3 } = opts;
  const workers = opts.workers ?? defaultWorkers();
  const mode = opts.inProcess ? 'in-process' : 'pool';
  const lib = await syntheticLibrary(files);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'semsync-bench-http-'));
  try {
    const store = await GraphStore.open({ dir, nodeId: 'bench' });
    await store.importFile(lib.file, { format: 'nquads' });
    await store.snapshot();
    console.log(`http: ${store.size} statements, ${os.availableParallelism()} cores, ${mode === 'pool' ? `a pool of ${workers} query workers` : 'the in-process runner'} vs raw oxigraph on ${workers} threads, load ${load()}`);
    await store.close();
    const node = await serve(dir, mode, workers);
    const bare = await serve(dir, 'bare', workers);
    const floors: number[] = [];
    const figures = new Map<string, Figures[]>(Object.keys(QUERIES).map((n) => [n, []]));
    try {
      for (let round = 0; round < rounds; round++) {
        const anchorFirst = round % 2 === 0;
        const raw = new Map<string, Awaited<ReturnType<RawAnchor['measure']>> & { load: string }>();
        const ours = new Map<string, { eight: Awaited<ReturnType<typeof clients>>; one: Awaited<ReturnType<typeof clients>>; load: string }>();
        const runAnchor = async () => {
          const anchor = await RawAnchor.start(lib.file, workers);
          try {
            for (const [name, q] of Object.entries(QUERIES)) raw.set(name, { ...(await anchor.measure(q, seconds)), load: load() });
          } finally {
            await anchor.close();
          }
        };
        const runOurs = async () => {
          // the HTTP floor now: a bare node:http server answering a constant, the same clients
          floors.push((await clients(`http://127.0.0.1:${bare.port}/sparql`, CLIENTS, seconds)).p50);
          for (const [name, q] of Object.entries(QUERIES)) {
            const url = `http://127.0.0.1:${node.port}/sparql?query=${encodeURIComponent(q)}`;
            // warm: every worker of the pool loads its replica and the query's working set
            for (let i = 0; i < 2; i++) await Promise.all(Array.from({ length: workers * 2 }, () => fetch(url).then((r) => r.text())));
            const one = await clients(url, 1, Math.max(1, seconds / 2));
            ours.set(name, { eight: await clients(url, CLIENTS, seconds), one, load: load() });
          }
        };
        if (anchorFirst) await runAnchor().then(runOurs);
        else await runOurs().then(runAnchor);
        for (const name of Object.keys(QUERIES)) {
          const r = raw.get(name)!;
          const o = ours.get(name)!;
          const f = { ours: o.eight.p50, raw: r.p50, oursOne: o.one.p50, rawAlone: r.alone, oursRate: o.eight.perSecond, rawRate: r.perSecond, failed: o.eight.failed + o.one.failed, load: `${r.load}/${o.load}`, floor: floors[round] };
          figures.get(name)!.push(f);
          console.log(`  round ${round + 1} (${anchorFirst ? 'anchor first' : 'endpoint first'}), ${name}: 8 clients p50 ${fmt.ms(f.ours)} vs raw ${fmt.ms(f.raw)}; 1 client ${fmt.ms(f.oursOne)} vs alone ${fmt.ms(f.rawAlone)}; ${f.oursRate.toFixed(0)} vs ${f.rawRate.toFixed(0)} q/s; bare HTTP ${fmt.ms(f.floor)}; load ${f.load}`);
        }
      }
      for (const [name, fs] of figures) rowsFor(name, fs, mode, workers);
      record({
        what: `HTTP on this machine now: a bare node:http server answering a constant, ${CLIENTS} clients (no query; the floor under every row above)`,
        ours: `p50 ${fmt.ms(median(floors))} (rounds: ${floors.map(fmt.ms).join(', ')})`,
        anchorName: 'goal for the overhead',
        anchor: '2 ms',
        ratio: fmt.x(median(floors) / 2),
        goal: 'shown',
      });
      memoryRow(mode, workers, await node.ask());
    } finally {
      await node.close();
      await bare.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const sign = (ms: number) => `${ms >= 0 ? '+' : '-'}${fmt.ms(Math.abs(ms))}`;

/** The goal's row (8 clients, the median over rounds of each round's difference) and the one-client row. */
function rowsFor(name: string, fs: Figures[], mode: string, workers: number): void {
  const over = median(fs.map((f) => f.ours - f.raw));
  const failed = fs.reduce((n, f) => n + f.failed, 0);
  const each = fs.map((f) => `${sign(f.ours - f.raw)} at load ${f.load}`).join(', ');
  record({
    what: `SPARQL over HTTP, ${mode === 'pool' ? `pool of ${workers} query workers (time limit)` : 'in-process runner (no time limit)'}: ${name}, ${CLIENTS} clients`,
    ours: `p50 ${fmt.ms(median(fs.map((f) => f.ours)))}, ${median(fs.map((f) => f.oursRate)).toFixed(0)} q/s${failed ? ` (${failed} failed)` : ''}`,
    anchorName: `raw oxigraph, ${CLIENTS} clients over ${workers} threads`,
    anchor: `p50 ${fmt.ms(median(fs.map((f) => f.raw)))}, ${median(fs.map((f) => f.rawRate)).toFixed(0)} q/s`,
    ratio: `${sign(over)} at the median (rounds: ${each})`,
    goal: `overhead < 2 ms at the median with ${CLIENTS} clients`,
    met: failed === 0 && over < 2,
  });
  record({
    what: `SPARQL over HTTP, ${mode}: ${name}, 1 client`,
    ours: `p50 ${fmt.ms(median(fs.map((f) => f.oursOne)))}`,
    anchorName: 'raw oxigraph, the query alone (median)',
    anchor: fmt.ms(median(fs.map((f) => f.rawAlone))),
    ratio: `${sign(median(fs.map((f) => f.oursOne - f.rawAlone)))} per request`,
    goal: 'shown (the cost of one request with nothing else waiting)',
  });
}

/** The node's most resident memory while serving (its store, the workers' replicas), in its own process. */
function memoryRow(mode: string, workers: number, s: Awaited<ReturnType<Served['ask']>>): void {
  record({
    what: `resident memory of the node serving the four queries (${mode}${mode === 'pool' ? ` of ${workers}` : ''}; up to ${s.workers} workers alive; ${s.size} statements, ${s.holding} held; ${fmt.mb(s.opened)} once open)`,
    ours: fmt.mb(s.peak),
    anchorName: 'goal (a running node at 1M files)',
    anchor: '512 MB',
    ratio: fmt.x(s.peak / (512 << 20)),
    goal: '≤ 512 MB',
    met: s.peak <= 512 << 20,
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  const arg = (name: string) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : undefined);
  const quick = args.includes('--quick');
  await benchHttp({ files: arg('--files') ?? (quick ? 20_000 : 100_000), seconds: arg('--seconds') ?? (quick ? 2 : 4), workers: arg('--workers'), rounds: arg('--rounds') ?? (quick ? 2 : 3), inProcess: args.includes('--in-process') });
  printTable();
  process.exit(0);
}
