// Owns: vocabulary constants, the store, SPARQL, patches (diff/apply), the change log, version vectors.
// May import: base.
export * from './vocab.js';
export * from './types.js';
export { GraphStore, type StoreEvents, type OpenOptions, type ImportOptions, type QueryOutput } from './store.js';
export { StoreError, StoreLockedError, CorruptLogError, CorruptSnapshotError, MissingSnapshotError, PatchError, QueryError, QueryEvaluationError, ImportError } from './errors.js';
export { encodePatch, decodePatch, patchProblem, patchId, AUTHOR_RE, DEFAULT_LIMITS, type DecodeLimits } from './patch.js';
export * as vv from './vv.js';
export * as hlc from './hlc.js';
export { quadToNQuads, termToString, quadProblem } from './terms.js';
export { NewGraphRows, rowQuads, rowOf } from './new-graph.js';
export { skolemIri, rdfFormat, type RdfFormat } from './io.js';
export { federatedQuery, serviceUrls, FederationError, type FederateOptions } from './federation.js';
