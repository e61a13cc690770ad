// What every command shares: the global options, reaching the node (in this process, or the running one), exit codes.
import { exitCodeOf } from '../base/index.js';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import type { Reach } from '../graph/index.js';
import type { NodeApi } from '../node/index.js';
import type { SemsyncNode } from '../node/index.js';
import { defaultHome } from '../node/home.js';
import { controlSocketPath } from '../server/control.js';
import { UsageError } from './output.js';
import { reachable, remoteApi } from './remote.js';

export interface GlobalOptions {
  home?: string;
  json?: boolean;
}

export function globals(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals() as GlobalOptions;
}

export function homeOf(cmd: Command): string {
  return path.resolve(globals(cmd).home ?? defaultHome());
}

/**
 * Opens the node in this process for the duration of `fn` (taking the home's lock), and always closes it. With
 * `reach`, its store holds only what one query reaches (read-only; graph/reach.ts).
 */
export async function withNode<T>(cmd: Command, fn: (node: SemsyncNode) => Promise<T>, reach?: Reach, readOnly = false): Promise<T> {
  // Loaded here, not at the top: `semsync --help` and calls to a running node need none of it.
  const { SemsyncNode } = await import('../node/node.js');
  // A big store takes seconds to load; on a terminal, say so after a second, and how to avoid it.
  const slow = process.stderr.isTTY
    ? setTimeout(() => process.stderr.write(`semsync: no node is running for ${homeOf(cmd)}; loading its store... (\`semsync start\` keeps it loaded and answers at once)\n`), 1000)
    : undefined;
  let node: SemsyncNode;
  try {
    node = await SemsyncNode.open({ home: homeOf(cmd), reach, readOnly });
  } finally {
    clearTimeout(slow);
  }
  try {
    return await fn(node);
  } finally {
    await node.close();
  }
}

/**
 * Runs `fn` against the node: the running one (`semsync start`) through its control socket when there is one,
 * else the home opened in this process. `local` tells the command which, e.g. to show progress. `forQuery`: the
 * only thing `fn` does is ask this one query, so a home opened here loads only what the query reaches. `readOnly`
 * (the default with `forQuery`): a home opened here writes and truncates nothing in its store.
 */
export async function withApi<T>(cmd: Command, fn: (api: NodeApi, local: SemsyncNode | undefined) => Promise<T>, forQuery?: string, readOnly = forQuery !== undefined): Promise<T> {
  const socket = controlSocketPath(homeOf(cmd));
  if (existsSync(socket) && (await reachable(socket))) return fn(remoteApi(socket), undefined);
  const { LocalApi } = await import('../node/api.js');
  const reach = forQuery === undefined ? undefined : ((await import('../graph/reach.js')).queryReach(forQuery) ?? undefined);
  return withNode(cmd, (node) => fn(new LocalApi(node), node), reach, readOnly);
}

/** Commander's own errors are bad usage; anything else says its kind (base/errors.ts): input exits 2, failure 1. */
export function exitCodeFor(err: unknown): number {
  return (err as Error)?.name === 'CommanderError' ? 2 : exitCodeOf(err);
}

export function fail(message: string): never {
  throw new UsageError(message);
}
