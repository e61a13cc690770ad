// The node's copy targets (src/app/share-copy.ts), built once and held by the node; a running node gives it its fetch.
import { ShareCopies } from '../app/index.js';
import type { SemsyncNode } from './node.js';

/** The copy targets of the open node; `fetch` (the running peer node's) is taken when given. */
export function copiesOf(node: SemsyncNode, fetch?: (hash: string, out: string, peer: string) => Promise<void>, fetchBatch?: (peer: string, items: Array<{ hash: string; out: string; error?: string }>) => Promise<void>): ShareCopies {
  const copies = (node.services.copies ??= new ShareCopies({ home: node }));
  if (fetch) copies.useFetch(fetch, fetchBatch);
  return copies;
}
