// The NodeApi (src/app/api.ts) over one open node: its home and the services the node holds, each loaded when first
// asked for (a query needs none of them; libp2p alone costs half a second of module loading).
import { AppApi } from '../app/index.js';
import type { NodePeers } from '../app/index.js';
import type { SemsyncNode } from './node.js';

export { AppApi, NotDescribedError, describeQuads, serializeQuads, termText, writeQuads, type ApiComponents, type ApiHome, type NodeApi, type NodeStatus, type QueryAnswer, type QueryService } from '../app/index.js';

/** The API served straight from an open node (in this process). */
export class LocalApi extends AppApi {
  constructor(
    readonly node: SemsyncNode,
    running = false,
    /** The running node's peer side, once started (a getter: the daemon starts it after the API is served). */
    livePeers: () => NodePeers | undefined = () => undefined,
  ) {
    super({
      home: node,
      running,
      livePeers,
      devices: async () => (await import('./devices.js')).devicesOf(node),
      pim: async () => (await import('./pim.js')).pimOf(node),
      trash: async () => (await import('./device-trash.js')).trashOf(node),
      copies: async () => (await import('./copies.js')).copiesOf(node),
    });
  }
}
