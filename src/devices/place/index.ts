// Placement: a plan carried out on a device by a placement run (run.ts) through named stages; one module per copy
// strategy (copy-batch, copy-staged, copy-file); the one precondition check (preconditions.ts).
export { executePlan } from './execute.js';
export { assertClaimed, assertOwner, checkPreconditions, type AssertClaimedOptions } from './preconditions.js';
export type { CopyOp, ExecuteError, ExecuteOptions, ExecuteProgress, ExecuteResult } from './types.js';
export type { ScannedSource } from '../copy-protocol.js';
