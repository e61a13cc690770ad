// Owns: vocabulary constants, terms, the store (one StoreBackend interface: whole, paged, reach-only; emits commit events), SPARQL, patches (diff/apply), the change log, snapshots, clocks (HLC, version vectors: one comparator each).
// May import: base.
export * from './vocab.js';
export * from './types.js';
export { GraphStore, type StoreEvents, type OpenOptions, type ImportOptions, type QueryOutput } from './store.js';
export { StoreError, StoreLockedError, CorruptLogError, CorruptSnapshotError, MissingSnapshotError, PatchError, QueryError, QueryEvaluationError, ImportError } from './errors.js';
export { encodePatch, decodePatch, patchProblem, patchId, AUTHOR_RE, DEFAULT_LIMITS, type DecodeLimits } from './patch.js';
export * as vv from './vv.js';
export * as hlc from './hlc.js';
export { quadToNQuads, termToNQuads, termLabel, quadProblem } from './terms.js';
export { NewGraphRows, rowQuads, rowOf } from './new-graph.js';
export { skolemIri, rdfFormat, type RdfFormat } from './io.js';
export { federatedQuery, serviceUrls, FederationError, type FederateOptions } from './federation.js';
export { repairStore, type RepairReport, describeRepair } from './repair.js';
export { type Reach } from './reach.js';
export { readHeader, type Part } from './snapshot.js';
export { type QuadSource } from './federation.js';
export { runQuery, queryKind } from './query.js';
export { PagedGraph } from './paged.js';
export { termProblem } from './terms.js';
export { channelKind, currentChannel, viaOf, withChannel } from './channel.js';
export { historyOf, recordSubjects, type HistoryEntry, changeId, graphSource, inverseRows, parseChangeId, type Skipped } from './history.js';
export { parseHlc } from './hlc.js';
export { equals } from './vv.js';
