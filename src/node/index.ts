// Owns: the composition root: opens the home (lock, identity, config, store), builds the app/ services once and holds them, runs one start/stop lifecycle (daemon.ts).
// May import: all of src/ but cli and server.
export { SemsyncNode, type OpenNodeOptions } from './node.js';
export { NodeDaemon, type DaemonEvents } from './daemon.js';
export { LocalApi, type NodeApi, type QueryAnswer, type NodeStatus } from './api.js';
export { type NodeServices } from './services.js';
export { type DeviceEvent } from './device-watch.js';
export { type DeviceRow, type PlaceSummary } from './devices.js';
export { type DavAccountStatus } from './pim.js';
