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
export { skolemIri, rdfFormat, type RdfFormat } from './io.js';
export { federatedQuery, serviceUrls, FederationError, type FederateOptions } from './federation.js';
