// Owns: CalDAV/CardDAV: the HTTP client (on tsdav's request helpers) and two-way sync of the merged PIM view with a server.
// May import: graph, pim (and tsdav).
export { DavClient, DavError, type DavCollection, type DavObject } from './client.js';
export { conflictCopy, syncAccount, syncCollection, textTime, type DavSyncOptions, type DavSyncReport, type DavSyncState, type SyncedItem } from './sync.js';
