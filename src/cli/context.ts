// What every command shares: the global options, opening the node, and turning errors into exit codes.
import type { Command } from 'commander';
import { SemsyncNode } from '../node/node.js';
import { UsageError } from './output.js';

export interface GlobalOptions {
  home?: string;
  json?: boolean;
}

export function globals(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals() as GlobalOptions;
}

/** Opens the node for the duration of `fn`, and always closes it. */
export async function withNode<T>(cmd: Command, fn: (node: SemsyncNode) => Promise<T>): Promise<T> {
  const node = await SemsyncNode.open({ home: globals(cmd).home });
  try {
    return await fn(node);
  } finally {
    await node.close();
  }
}

/** Errors that are the user's input (a bad argument, query, file): exit 2. Anything else: exit 1. */
const INPUT_ERRORS = new Set([
  'UsageError',
  'QueryError',
  'ShareError',
  'ConfigError',
  'PatchError',
  'ImportError',
  'RuleFileError',
  'DeviceProfileError',
  'CommanderError',
]);

export function exitCodeFor(err: unknown): number {
  const name = (err as Error)?.name ?? '';
  return INPUT_ERRORS.has(name) ? 2 : 1;
}

export function fail(message: string): never {
  throw new UsageError(message);
}
