// Owns: CalDAV/CardDAV: the HTTP client (on tsdav's request helpers) and two-way sync of the merged PIM view with a server; the server (server/).
// May import: graph, pim (and tsdav).
export { DavClient, DavError, type DavCollection, type DavObject } from './client.js';
export { conflictCopy, syncAccount, syncCollection, textTime, type DavSyncOptions, type DavSyncReport, type DavSyncState, type SyncedItem } from './sync.js';
export { DavServer, DavAccounts, DavAccountError, DavAuth, DavRequestError, policyFromArg, certificateFingerprint, ensureCertificate, DavCertificateError, type DavServerOptions, type ServedAccount } from './server/index.js';
