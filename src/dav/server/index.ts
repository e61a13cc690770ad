// Owns: the CalDAV/CardDAV server (phones and desktop apps sync with the node): routing, accounts, sync tokens, XML.
// May import: graph, pim (as src/dav does).
export { DavServer, type DavServerOptions } from './server.js';
export { DavAccounts, DavAccountError, DavAuth, policyFromArg, hashPassword, verifyPassword, type ServedAccount } from './accounts.js';
export { DavRequestError, parseXml } from './xml.js';
export { lastSeenOf } from './state.js';
export { certificateFingerprint, ensureCertificate, DavCertificateError, type DavCertificate } from './certificate.js';
