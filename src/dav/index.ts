// Owns: CalDAV/CardDAV: the HTTP client (on tsdav's request helpers, same-origin only), discovery, and two-way sync of the merged PIM view with a server; the server phones and apps sync with (server/).
// May import: graph, pim, base (and tsdav).
export { DavClient, DavError, type DavClientOptions, type DavCollection, type DavObject, type Listing } from './client.js';
export { createDefaults, discover, type Discovery } from './discover.js';
export { hrefKey, isInside, isLoopback, objectName, sameHref } from './href.js';
export { syncAccount, syncCollection, type DavSyncOptions } from './sync.js';
export { MASS_DELETE, massDeleteCheck, type DavSyncCounts, type DavSyncReport, type DavSyncResult, type DavSyncState, type FailureRecord, type ItemFailure, type SyncedItem } from './state.js';
export { DavServer, DavAccounts, DavAccountError, DavAuth, DavRequestError, policyFromArg, certificateFingerprint, ensureCertificate, DavCertificateError, lastSeenOf, type DavServerOptions, type ServedAccount } from './server/index.js';
