// Owns: the use cases the faces call (placement, device claims, targets, trash, PIM admissions, CalDAV/CardDAV accounts, peers, history and undo, the NodeApi), each a class built once from its declared components.
// May import: every domain folder (graph, extractors, library, rules, devices, peers, pim, dav), base.
// Nothing here imports src/node/: a service names what it needs of the node (NodeHome and the like) and the node
// (src/node/, the composition root) builds each one once and holds it. Loading this barrel loads every service; the
// node imports the module of each service it builds, when it is first asked for.
export { defaultConfig, readConfig, writeConfig, ConfigError, ShareError, type NodeConfig, type ShareConfig } from './config.js';
export type { NodeHome } from './home.js';
export { Devices, UnknownDeviceError, type DevicesComponents, type ClaimRequest, type ContentFetcher, type DeviceRow, type ExplainAnswer, type PlaceOptions, type PlaceSummary } from './devices.js';
export { DeviceListing } from './device-rows.js';
export { DeviceClaims, ClaimRequestError, claimOptions } from './device-claims.js';
export { PlanInputs } from './plan-inputs.js';
export { Placement } from './placement.js';
export { Targets } from './targets.js';
export { ShareCopies, ShareCopyError, type ShareCopyConfig, type CopyReport } from './share-copy.js';
export { Explain } from './explain.js';
export { DeviceTrash, type TrashRow } from './device-trash.js';
export { DeviceGraphs, CatalogGraphError } from './device-graph.js';
export { makeTargetFolder, TargetFolderError } from './target-folder.js';
export { Pim, PimError, type PimComponents, type PimImportReport, type PolicyEntry } from './pim.js';
export { PimAdmissions, type AdmissionPeers } from './pim-admissions.js';
export { DavAccounts, type DavAccount, type DavAccountStatus, type DavAddOptions } from './pim-dav.js';
export { NodePeers, PeerCommandError, type PeersHome, type PeersOptions, type PeerEntry, type IdInfo, type FetchResult } from './peers.js';
export { recordHistory, HistoryError, type HistoryAnswer, type HistoryHome } from './history.js';
export { undoChange, undoPeer, type UndoReport } from './undo.js';
export { AppApi, NotDescribedError, type ApiComponents, type ApiHome, type NodeApi, type NodeStatus, type QueryAnswer, type QueryService } from './api.js';
export { callContext } from './call-context.js';
export { ConflictError, PimConflicts, type ConflictEntry, type ConflictSide, type ConflictResolution } from './conflicts.js';
export { FileConflicts, FileEditError, FILE_FIELDS, EDITS_SOURCE, type FileEditResult, type FileField } from './file-conflicts.js';
export { summary } from './pim.js';
export { CATALOG_GRAPH_MAX_BYTES, type SeenRow, type DeviceGraphsComponents } from './device-graph.js';
export { describeQuads, serializeQuads, termText, writeQuads } from './api.js';
