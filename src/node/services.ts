// The app services a node holds, each built once from its components when first asked for, by the module that
// wires it (node/pim.ts, node/devices.ts, node/device-trash.ts): a query loads none of them.
import type { Devices } from '../app/devices.js';
import type { DeviceTrash } from '../app/device-trash.js';
import type { Pim } from '../app/pim.js';

export interface NodeServices {
  pim?: Pim;
  devices?: Devices;
  trash?: DeviceTrash;
}
