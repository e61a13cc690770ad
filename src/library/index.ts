// Owns: shared folders: walk, watch (chokidar), hash, incremental index into the graph.
// May import: extractors, graph, base.
export { walkShare, relativePath, isIgnoredName, type WalkEntry, type WalkProblem } from './walk.js';
export { hashFile, type HashResult } from './hash.js';
export { DescribePool, defaultPoolSize } from './pool.js';
export type { DescribeResult } from './describe.js';
export { Indexer, type ScanSummary, type ScanProgress, type IndexerOptions } from './indexer.js';
export { ShareWatcher, type WatchOptions } from './watch.js';
export { fileIri, shareGraph, shareIri, fileQuads, shareQuads, type Share, type FileFacts } from './quads.js';
export { backoffMs, isTransient, type PendingWork } from './retry.js';
