// The query runner's refusals: each names the limit it hit; the endpoint answers all of them with 503.
import { FailureError } from '../base/index.js';

/** A query that took longer than its limit (counted from its arrival, waiting included) and was stopped or dropped. */
export class QueryTimeoutError extends FailureError {
  override name = 'QueryTimeoutError';
  constructor(
    readonly limitMs: number,
    readonly queued = false,
  ) {
    super(
      queued
        ? `the query waited for the ${limitMs} ms of its time limit behind other queries and was dropped; try again later`
        : `the query ran longer than the limit of ${limitMs} ms and was stopped; narrow it (LIMIT, more specific patterns)`,
    );
  }
}

/** Too many queries are waiting: try again after `retryAfterS`. */
export class QueryQueueFullError extends FailureError {
  override name = 'QueryQueueFullError';
  constructor(
    readonly limit: number,
    readonly retryAfterS: number,
  ) {
    super(`${limit} queries are already waiting (the queue's limit); try again in ${retryAfterS} s`);
  }
}

/** The query's client went away: it was dropped (or stopped). */
export class QueryAbortedError extends FailureError {
  override name = 'QueryAbortedError';
  constructor() {
    super('the client went away: the query was dropped');
  }
}

/** The process grew past the memory limit while the query ran: it was stopped and its worker replaced. */
export class QueryMemoryError extends FailureError {
  override name = 'QueryMemoryError';
  constructor(readonly limitMb: number) {
    super(`the query needed more than the memory limit of ${limitMb} MB (--query-memory) and was stopped; narrow it (LIMIT, fewer joins, no huge strings)`);
  }
}

/** The results were larger than the limit: refused whole. */
export class QueryResultTooLargeError extends FailureError {
  override name = 'QueryResultTooLargeError';
}

/** The errors that mean "this query asked too much of the node" (the endpoint answers 503). */
export const REFUSED = ['QueryTimeoutError', 'QueryQueueFullError', 'QueryMemoryError', 'QueryResultTooLargeError', 'QueryAbortedError'];
