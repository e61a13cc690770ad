// The app services a node holds, each built once from its components when first asked for, by the module that
// wires it (node/pim.ts, node/devices.ts, node/device-trash.ts, server/dav-mount.ts): a query loads none of them.
import type { Devices } from '../app/index.js';
import type { DeviceTrash } from '../app/index.js';
import type { Pim } from '../app/index.js';
import type { ShareCopies } from '../app/index.js';
import type { DavServer } from '../dav/index.js';

export interface NodeServices {
  pim?: Pim;
  devices?: Devices;
  trash?: DeviceTrash;
  /** Folders kept as copies of a peer's share (node/copies.ts builds it). */
  copies?: ShareCopies;
  /** The CalDAV/CardDAV server phones and apps sync with (src/server/dav-mount.ts builds it). */
  davServer?: DavServer;
  /** The HTTPS DAV listener, while it runs (for the dashboard). */
  davTls?: { url: string; fingerprint: string };
}
