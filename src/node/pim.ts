// The node's PIM service (src/app/pim.ts), built once per open node from its components and held by the node.
import path from 'node:path';
import { Pim } from '../app/index.js';
import type { SemsyncNode } from './node.js';

export { Pim, PimError, summary, type PimImportReport, type PolicyEntry, type DavAccount, type DavAccountStatus, type DavAddOptions } from '../app/index.js';

/** The open node's one PIM service (the CLI's calls and the running node's hooks share it). */
export function pimOf(node: SemsyncNode): Pim {
  return (node.services.pim ??= new Pim({ store: node.store, nodeId: node.nodeId, dir: path.join(node.paths.home, 'pim') }));
}

/** The old name: `NodePim.for(node)` is {@link pimOf}. */
export type NodePim = Pim;
export const NodePim = { for: pimOf };
