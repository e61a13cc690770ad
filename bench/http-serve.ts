// The HTTP bench's node, in its own process so its resident memory is a node's (not the importer's, nor the
// anchor's): opens the store the bench imported, serves /sparql with the runner asked for, and answers the bench
// (IPC) with its resident memory, sampled every 100 ms, and the runner's stats.
// `node http-serve.js DIR PORT MODE WORKERS` (MODE: pool | in-process | bare). `bare`: node:http answering every
// request with the same small JSON, no store: the floor any HTTP endpoint pays for a request on this machine now.
import { createServer } from 'node:http';
import { GraphStore } from '../src/graph/store.js';
import { serveHttp } from '../src/server/http.js';
import { InProcessRunner, WorkerRunner, type QueryRunner } from '../src/server/query-runner.js';

const [dir, portArg, mode, workersArg] = process.argv.slice(2);
if (mode === 'bare') {
  const body = Buffer.from('{"head":{"vars":["file"]},"results":{"bindings":[{"file":{"type":"uri","value":"file:///library/book-4242.epub"}}]}}');
  const bare = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/sparql-results+json', 'content-length': body.length }).end(body));
  bare.listen(Number(portArg), '127.0.0.1', () => process.send!({ ready: Number(portArg) }));
  bare.on('error', () => process.exit(1));
  process.on('message', (m: string) => {
    if (m === 'close') {
      bare.closeAllConnections();
      bare.close(() => process.exit(0));
    }
  });
} else await serveStore();

async function serveStore(): Promise<void> {
  const store = await GraphStore.open({ dir, nodeId: 'bench' });
  const runner: QueryRunner = mode === 'in-process' ? new InProcessRunner(store) : new WorkerRunner(store, 30_000, { workers: Number(workersArg) });
  const server = await serveHttp({ host: '127.0.0.1', port: Number(portArg), sparql: { runner } });
  let peak = process.memoryUsage.rss();
  const opened = peak;
  let workers = 0;
  const sample = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
    workers = Math.max(workers, runner.stats?.().workers ?? 0);
  }, 100);
  process.on('message', async (m: string) => {
    if (m === 'stats') process.send!({ opened, peak, rss: process.memoryUsage.rss(), workers, stats: runner.stats?.(), holding: store.holding, size: store.size });
    if (m === 'close') {
      clearInterval(sample);
      await server.close();
      await runner.close();
      await store.close();
      process.exit(0);
    }
  });
  process.send!({ ready: server.port });
}
