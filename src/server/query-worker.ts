// The query worker's thread: a read replica of the graph (oxigraph), loaded from N-Quads and kept current by patches.
import { parentPort } from 'node:worker_threads';
import oxigraph from 'oxigraph';
import { runQuery } from '../graph/query.js';
import { PagedGraph } from '../graph/paged.js';
import type { Part } from '../graph/snapshot.js';
import type { QueryContext, ResultFormat } from '../graph/types.js';

type Message =
  | { type: 'load'; id: number; nquads: string }
  | { type: 'paged'; id: number; file: string; parts: Part[]; quads: number }
  | { type: 'patch'; text: string }
  | { type: 'query'; id: number; sparql: string; format: ResultFormat; context?: QueryContext };

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
    try {
      parentPort!.postMessage({ id: m.id, ok: true, text: query(m.sparql, m.format, m.context) });
    } catch (err) {
      const e = err as Error & { reason?: string; line?: number; column?: number };
      parentPort!.postMessage({ id: m.id, ok: false, name: e.name, message: e.message, reason: e.reason, line: e.line, column: e.column });
    }
  }
});
