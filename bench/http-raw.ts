// The HTTP bench's anchor, one thread of it: raw oxigraph (the npm package, the library loaded whole, no HTTP, no
// limits, no replica), running a query back to back for a while and reporting each run's time. bench/http.ts
// starts as many of these threads as the pool has workers, all at once, and turns their times into the latency
// 8 clients would see spread over them.
import { readFileSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import oxigraph from 'oxigraph';

const store = new oxigraph.Store();
store.load(readFileSync((workerData as { file: string }).file), { format: 'application/n-quads', lenient: true, no_transaction: true });
parentPort!.postMessage({ loaded: store.size });

/** Runs `query` until `ms` passed (at least `min` times); each run's time in ms. Only the result's length crosses back. */
parentPort!.on('message', (m: { query: string; ms: number; min: number }) => {
  const times: number[] = [];
  const t0 = performance.now();
  let bytes = 0;
  while (times.length < m.min || performance.now() - t0 < m.ms) {
    const t = performance.now();
    bytes = (store.query(m.query, { results_format: 'application/sparql-results+json', use_default_graph_as_union: true }) as string).length;
    times.push(performance.now() - t);
  }
  parentPort!.postMessage({ times, bytes });
});
