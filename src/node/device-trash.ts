// The node's trash service (src/app/device-trash.ts), built once over its devices service and held by the node.
import { DeviceTrash } from '../app/index.js';
import { devicesOf } from './devices.js';
import type { SemsyncNode } from './node.js';

export { DeviceTrash, type TrashRow } from '../app/index.js';

/** The trash side of the open node's devices. */
export function trashOf(node: SemsyncNode): DeviceTrash {
  const devices = devicesOf(node);
  return (node.services.trash ??= new DeviceTrash({ listing: devices.listing, loadGraph: (d, p) => devices.loadGraph(d, p) }));
}
