// The node's settings in HOME/config.json: its id, its shares, media roots, HTTP and listen addresses.
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../base/index.js';
import { InputError } from '../base/index.js';

export interface ShareConfig {
  name: string;
  path: string;
}

export interface NodeConfig {
  /** This node's peer id (cached from the identity key so that opening a home needs no crypto). */
  nodeId: string;
  shares: ShareConfig[];
  /** Folders treated as attached devices (besides real mounts). */
  mediaRoots: string[];
  /** libp2p listen addresses. */
  listen: string[];
  /** HTTP (SPARQL endpoint, dashboard) on 127.0.0.1. */
  http: { host: string; port: number };
  /** Folders on this machine that are placement targets (like a device), e.g. ~/Documents. */
  hostTargets: Array<{ name: string; path: string }>;
  /** Folders kept as copies of a paired peer's share, in its layout (`semsync target add DIR --peer ID --share NAME`). */
  shareCopies?: Array<{ name: string; path: string; peer: string; share: string }>;
  /** Days the change log's compacted segments are kept for `semsync history` and `undo` (default 90; 0 keeps none). */
  historyDays?: number;
}

/** A share that does not exist, or a folder that cannot be shared: exit 2. */
export class ShareError extends InputError {
  override name = 'ShareError';
}

export class ConfigError extends InputError {
  override name = 'ConfigError';
}

export function defaultConfig(nodeId: string): NodeConfig {
  return {
    nodeId,
    shares: [],
    mediaRoots: [],
    listen: ['/ip4/0.0.0.0/tcp/0'],
    http: { host: '127.0.0.1', port: 7878 },
    hostTargets: [],
  };
}

export async function readConfig(file: string): Promise<NodeConfig | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const parsed = JSON.parse(text) as Partial<NodeConfig>;
    if (typeof parsed.nodeId !== 'string') throw new Error('nodeId is missing');
    const days = parsed.historyDays;
    if (days !== undefined && !(typeof days === 'number' && Number.isFinite(days) && days >= 0)) throw new Error(`historyDays must be a number of days (0 or more), not ${JSON.stringify(days)}`);
    return { ...defaultConfig(parsed.nodeId), ...parsed } as NodeConfig;
  } catch (err) {
    throw new ConfigError(`${file}: ${(err as Error).message}; fix the file or move it away`);
  }
}

export async function writeConfig(file: string, config: NodeConfig): Promise<void> {
  await writeFileAtomic(file, JSON.stringify(config, null, 2) + '\n', { mode: 0o644 });
}
