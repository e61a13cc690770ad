// The query worker's thread: a read replica of the graph (oxigraph), loaded from the store's snapshot on disk (or
// N-Quads) and kept current by patches; results past the size limit are refused here, before they cross threads.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { parentPort } from 'node:worker_threads';
import oxigraph from 'oxigraph';
import { readHeader } from '../graph/index.js';
import { federatedQuery, serviceUrls, type QuadSource } from '../graph/index.js';
import { runQuery } from '../graph/index.js';
import { PagedGraph } from '../graph/index.js';
import type { Part } from '../graph/index.js';
import type { QueryContext, ResultFormat } from '../graph/types.js';
import { FailureError } from '../base/index.js';

type Message =
  | { type: 'load'; id: number; nquads: string }
  | { type: 'paged'; id: number; file: string; parts: Part[]; quads: number }
  | { type: 'patch'; text: string }
  | { type: 'disk'; id: number; dir: string }
  | { type: 'memory'; id: number }
  | { type: 'query'; id: number; sparql: string; format: ResultFormat; maxResultBytes: number; context?: QueryContext; federate?: boolean; timeoutMs?: number };

/** A result past the size limit: refused whole (a partial result would look complete). */
class QueryResultTooLargeError extends FailureError {
  override name = 'QueryResultTooLargeError';
}

let store = new oxigraph.Store();
/** A paged store's replica: its own working set over the same snapshot file (paged.ts). */
let paged: PagedGraph | null = null;
function query(sparql: string, format: ResultFormat, context?: QueryContext): string {
  return (paged ? paged.query(sparql, format, context) : runQuery(store, sparql, format, context)).serialized ?? '';
}

/** The net rows of an RDF Patch (the last operation on a quad wins), as the store applies them. */
function applyPatch(text: string): void {
  const last = new Map<string, 'A' | 'D'>();
  for (const line of text.split('\n')) {
    if ((line[0] === 'A' || line[0] === 'D') && line[1] === ' ') last.set(line.slice(2), line[0]);
  }
  const adds: string[] = [];
  const dels: string[] = [];
  for (const [row, op] of last) (op === 'A' ? adds : dels).push(row);
  if (dels.length) for (const q of oxigraph.parse(dels.join('\n') + '\n', { format: 'application/n-quads' })) store.delete(q);
  if (adds.length) store.load(Buffer.from(adds.join('\n') + '\n'), { format: 'application/n-quads', lenient: true, no_transaction: true });
}

/** The store's newest snapshot (read only: the node's own thread writes and cleans that folder); its header's version vector. */
function loadFromDisk(dir: string): { vv: Record<string, number> } {
  const names = readdirSync(dir).filter((n) => /^snapshot-\d{12}\.nq$/.test(n)).sort();
  paged?.close();
  paged = null;
  store = new oxigraph.Store();
  if (!names.length) return { vv: {} };
  const file = path.join(dir, names[names.length - 1]);
  const meta = readHeader(file);
  store.load(readFileSync(file), { format: 'application/n-quads', lenient: true, no_transaction: true });
  if (store.size !== meta.quads) throw new Error(`the snapshot ${file} holds ${store.size} statements, its header says ${meta.quads}`);
  return { vv: meta.vv };
}

/** Whether the replica still answers after a failure inside oxigraph (a panic can leave its wasm instance unusable). */
function healthy(): boolean {
  try {
    query('ASK { }', 'json');
    return true;
  } catch {
    return false;
  }
}

async function answer(m: Extract<Message, { type: 'query' }>): Promise<void> {
  // SERVICE is looked for here, off the node's thread (the parser takes seconds over a long query), and federated
  // here too (comunica over this replica), under the same time and memory limits as any query; a caller that may
  // not federate gets the endpoints back to refuse it.
  const services = serviceUrls(m.sparql);
  if (services.length && !m.federate) return void parentPort!.postMessage({ id: m.id, ok: true, text: '', services, external: process.memoryUsage().external });
  const t0 = performance.now();
  const text = services.length ? await federated(m, services) : query(m.sparql, m.format, m.context);
  const ms = performance.now() - t0;
  const bytes = Buffer.byteLength(text);
  if (bytes > m.maxResultBytes) {
    const mb = (n: number) => `${Math.round(n / (1 << 20))} MiB`;
    throw new QueryResultTooLargeError(`the results (${mb(bytes)}) are larger than the limit of ${mb(m.maxResultBytes)} (--query-results); narrow the query (LIMIT, fewer variables) or use semsync export`);
  }
  parentPort!.postMessage({ id: m.id, ok: true, text, ms, external: process.memoryUsage().external });
}

/** A SERVICE query, in comunica over this replica (the local part) and the remote endpoints. */
async function federated(m: Extract<Message, { type: 'query' }>, services: string[]): Promise<string> {
  const local = (paged ?? store) as unknown as QuadSource;
  const out = await federatedQuery(local, m.sparql, { format: m.format, services, timeoutMs: m.timeoutMs });
  return out.serialized ?? '';
}

parentPort!.on('message', (m: Message) => {
  if (m.type === 'paged') {
    paged?.close();
    try {
      paged = new PagedGraph(m.file, m.parts, m.quads);
      parentPort!.postMessage({ id: m.id, ok: true, text: '' });
    } catch (err) {
      paged = null;
      parentPort!.postMessage({ id: m.id, ok: false, name: 'Error', message: `opening the replica: ${(err as Error).message}` });
    }
  } else if (m.type === 'disk') {
    try {
      parentPort!.postMessage({ id: m.id, ok: true, text: '', ...loadFromDisk(m.dir) });
    } catch (err) {
      parentPort!.postMessage({ id: m.id, ok: false, name: 'Error', message: `loading the replica from ${m.dir}: ${(err as Error).message}` });
    }
  } else if (m.type === 'memory') {
    parentPort!.postMessage({ id: m.id, ok: true, text: '', external: process.memoryUsage().external });
  } else if (m.type === 'load') {
    paged?.close();
    paged = null;
    store = new oxigraph.Store();
    try {
      if (m.nquads) store.load(Buffer.from(m.nquads), { format: 'application/n-quads', lenient: true, no_transaction: true });
      parentPort!.postMessage({ id: m.id, ok: true, text: '' });
    } catch (err) {
      parentPort!.postMessage({ id: m.id, ok: false, name: 'Error', message: `loading the replica: ${(err as Error).message}` });
    }
  } else if (m.type === 'patch') {
    if (paged) paged.apply(m.text);
    else applyPatch(m.text);
  } else {
    answer(m).catch((err) => {
      const e = err as Error & { reason?: string; line?: number; column?: number; services?: string[]; timedOut?: boolean };
      const broken = !['QueryError', 'QueryResultTooLargeError', 'FederationError'].includes(e.name) && !healthy();
      parentPort!.postMessage({ id: m.id, ok: false, name: e.name, message: e.message, reason: e.reason, line: e.line, column: e.column, services: e.services, timedOut: e.timedOut, external: process.memoryUsage().external, broken });
    });
  }
});
