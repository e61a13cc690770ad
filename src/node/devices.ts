// The node's devices service (src/app/devices.ts), built once per open node from its components and held by the node.
import { Devices } from '../app/index.js';
import type { SemsyncNode } from './node.js';

export { Devices, UnknownDeviceError, type ClaimRequest, type ContentFetcher, type DeviceRow, type ExplainAnswer, type PlaceOptions, type PlaceSummary } from '../app/index.js';

/** The open node's one devices service (the CLI's API and the running node's watcher share it). */
export function devicesOf(node: SemsyncNode): Devices {
  return (node.services.devices ??= new Devices({ home: node }));
}

/** The old name of {@link Devices}. */
export type NodeDevices = Devices;
