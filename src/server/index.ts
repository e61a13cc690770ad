// Owns: HTTP on 127.0.0.1: the SPARQL endpoint, the dashboard, events.
// May import: node and below; nothing imports it.
export { serveHttp, isLoopback, tokenFromFile, HttpBindError, CsrfGuard, type HttpServer, type HttpOptions } from './http.js';
export { serveNodeHttp, type NodeHttp, type NodeHttpOptions } from './node-http.js';
export { sparqlHandler, negotiate, type SparqlOptions } from './sparql.js';
export { InProcessRunner, WorkerRunner, QueryTimeoutError, QueryQueueFullError, QueryAbortedError, QueryMemoryError, QueryResultTooLargeError, type QueryRunner, type RunnerStats, type WorkerRunnerOptions } from './query-runner.js';
export { createLogger, readableLine, type Logger } from './log.js';
export { serveControl, controlSocketPath } from './control.js';
export { writeRunInfo, readRunInfo, removeRunInfo, type RunInfo } from './run-info.js';
