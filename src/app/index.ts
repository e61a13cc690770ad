// Owns: the use cases the faces call (placement, device claims, targets, trash, PIM admissions, CalDAV/CardDAV accounts, the NodeApi), each a class built once from its declared components.
// May import: every domain folder (graph, extractors, library, rules, devices, peers, pim, dav), base.
export { defaultConfig, readConfig, writeConfig, ConfigError, type NodeConfig, type ShareConfig } from './config.js';
export type { NodeHome } from './home.js';
