// semsync as a library: `import { createNode } from 'semsync'`. Opens a node home (taking its lock) in this process.
import { SemsyncNode, type OpenNodeOptions } from './node/index.js';

export { SemsyncNode, type OpenNodeOptions } from './node/index.js';
export { NodeDaemon, type DaemonEvents } from './node/index.js';
export { LocalApi, type NodeApi, type QueryAnswer, type NodeStatus } from './node/index.js';
export { GraphStore, type QueryOutput } from './graph/index.js';
export { QueryError } from './graph/index.js';
export type { Change, Patch, ResultFormat, VersionVector } from './graph/types.js';
export * as vocab from './graph/vocab.js';

/**
 * Opens (creating on first use) the node home `options.home` (default: $SEMSYNC_HOME or the XDG data folder).
 * Close it with `node.close()`; run `new NodeDaemon(node).start()` to watch shares and sync with peers.
 */
export function createNode(options: OpenNodeOptions = {}): Promise<SemsyncNode> {
  return SemsyncNode.open(options);
}
