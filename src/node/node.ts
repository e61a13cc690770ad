// Opens one node home: lock, identity, config, store, and the library's indexer; the composition root's core.
import { EventEmitter } from 'node:events';
import path from 'node:path';
import { appendFile, mkdir, realpath, stat } from 'node:fs/promises';
import { GraphStore } from '../graph/index.js';
import type { Reach } from '../graph/index.js';
import { DescribePool } from '../library/index.js';
import { Indexer, type ScanProgress, type ScanSummary } from '../library/index.js';
import type { Share } from '../library/index.js';
import type { PendingWork } from '../library/index.js';
import { lockHome, defaultHome } from './home.js';
import { readConfig, writeConfig, defaultConfig, ShareError, type NodeConfig, type ShareConfig } from '../app/index.js';
import type { NodeServices } from './services.js';

export interface OpenNodeOptions {
  /** The node home (default: $SEMSYNC_HOME, else the XDG data folder). */
  home?: string;
  /** Worker threads for describing files (default: one per core; 0: in this thread). */
  workers?: number;
  /** Load only the statements one query reaches (a read-only store for that query; see graph/reach.ts). */
  reach?: Reach;
  /** Open the store to read only: nothing in it is written or truncated (`semsync query`, `export`). */
  readOnly?: boolean;
}

export { ShareError };

export interface HomePaths {
  home: string;
  config: string;
  identity: string;
  store: string;
  logs: string;
  trust: string;
  claims: string;
  rules: string;
  run: string;
  /** Damaged store bytes found on open, copied aside before the damage is reported. */
  damaged: string;
}

export function homePaths(home: string): HomePaths {
  return {
    home,
    config: path.join(home, 'config.json'),
    identity: path.join(home, 'identity.key'),
    store: path.join(home, 'store'),
    logs: path.join(home, 'logs'),
    trust: path.join(home, 'trust.json'),
    claims: path.join(home, 'devices.json'),
    rules: path.join(home, 'rules'),
    run: path.join(home, 'run'),
    damaged: path.join(home, 'damaged'),
  };
}

/** Creates the home on first use: folders, an Ed25519 identity, a default config. Returns the config. */
export async function initHome(paths: HomePaths): Promise<NodeConfig> {
  await mkdir(paths.home, { recursive: true });
  const existing = await readConfig(paths.config);
  if (existing) return existing;
  const { loadOrCreateIdentity } = await import('../peers/identity.js');
  const identity = await loadOrCreateIdentity(paths.identity);
  const config = defaultConfig(identity.peerId);
  await writeConfig(paths.config, config);
  return config;
}

/** Emits 'share-added' (ShareConfig) and 'share-removed' (name) so a running node can follow. */
export class SemsyncNode extends EventEmitter {
  private pool: DescribePool | undefined;
  private indexerInstance: Indexer | undefined;
  /** Work waiting for a retry after a full disk (set by a running daemon; `semsync status` shows it). */
  pendingWork: () => PendingWork[] = () => [];
  /**
   * The app services of this node, each built once from its components when first asked for (src/node/pim.ts,
   * devices.ts, services.ts): a query loads none of them.
   */
  readonly services: NodeServices = {};

  private constructor(
    readonly paths: HomePaths,
    public config: NodeConfig,
    readonly store: GraphStore,
    private readonly release: () => Promise<void>,
    private readonly workers: number | undefined,
  ) {
    super();
  }

  static async open(options: OpenNodeOptions = {}): Promise<SemsyncNode> {
    const home = path.resolve(options.home ?? defaultHome());
    const paths = homePaths(home);
    await mkdir(home, { recursive: true });
    const lock = await lockHome(home);
    const release = async () => lock.release();
    try {
      const config = await initHome(paths);
      const store = await GraphStore.open({ dir: paths.store, nodeId: config.nodeId, reach: options.reach, readOnly: options.readOnly, damagedDir: paths.damaged, historyDays: config.historyDays });
      const torn = store.recoveredTornTail;
      if (torn) {
        const line = `${new Date().toISOString()} the change log ${torn.file} ended in an append that never finished (${torn.bytes} bytes at byte ${torn.offset}: ${torn.reason}); it was never acknowledged and was ${torn.truncated ? 'dropped' : 'ignored'}.\n`;
        process.stderr.write(`semsync: ${line.slice(line.indexOf(' ') + 1)}`);
        await appendFile(path.join(paths.logs, 'store.log'), line).catch(() => undefined);
      }
      return new SemsyncNode(paths, config, store, release, options.workers);
    } catch (err) {
      await release();
      throw err;
    }
  }

  get nodeId(): string {
    return this.config.nodeId;
  }

  get indexer(): Indexer {
    if (!this.indexerInstance) {
      this.pool = new DescribePool(this.workers);
      this.indexerInstance = new Indexer(this.store, this.pool);
    }
    return this.indexerInstance;
  }

  /** Replaces the settings and writes HOME/config.json atomically. */
  async saveConfig(next: NodeConfig): Promise<void> {
    this.config = next;
    await writeConfig(this.paths.config, next);
  }

  shares(): Share[] {
    return this.config.shares.map((s) => ({ name: s.name, root: s.path }));
  }

  share(name: string): Share {
    const s = this.config.shares.find((x) => x.name === name);
    if (!s) throw new ShareError(`no share named "${name}"; see \`semsync share list\``);
    return { name: s.name, root: s.path };
  }

  async addShare(folder: string, name?: string): Promise<ShareConfig> {
    const abs = path.resolve(folder);
    const st = await stat(abs).catch(() => undefined);
    if (!st) throw new ShareError(`${abs}: no such folder`);
    if (!st.isDirectory()) throw new ShareError(`${abs}: not a folder`);
    const real = await realpath(abs);
    const shareName = name ?? path.basename(real) ?? 'root';
    if (!/^[\p{L}\p{N}._ -]{1,64}$/u.test(shareName)) {
      throw new ShareError(`"${shareName}" is not a usable share name (letters, digits, ". _ -" and spaces, at most 64)`);
    }
    if (this.config.shares.some((s) => s.name === shareName)) throw new ShareError(`a share named "${shareName}" exists already`);
    if (this.config.shares.some((s) => s.path === real)) throw new ShareError(`${real} is shared already`);
    const home = await realpath(this.paths.home).catch(() => this.paths.home);
    if (real === home || real.startsWith(home + path.sep)) {
      throw new ShareError(`${real} is this node's home (or inside it): its store changes at every commit, so it cannot be shared`);
    }
    const share = { name: shareName, path: real };
    await this.saveConfig({ ...this.config, shares: [...this.config.shares, share] });
    this.emit('share-added', share);
    return share;
  }

  /** Stops sharing a folder and removes what it said from the graph. Returns the number of statements removed. */
  async removeShare(name: string): Promise<number> {
    const share = this.share(name);
    await this.saveConfig({ ...this.config, shares: this.config.shares.filter((s) => s.name !== name) });
    this.emit('share-removed', name);
    return await this.indexer.forget(share);
  }

  async scan(names: string[] | undefined, onProgress?: (p: ScanProgress) => void, signal?: AbortSignal): Promise<ScanSummary[]> {
    const shares = names && names.length > 0 ? names.map((n) => this.share(n)) : this.shares();
    const out: ScanSummary[] = [];
    for (const share of shares) {
      const st = await stat(share.root).catch(() => undefined);
      if (!st?.isDirectory()) {
        out.push({ share: share.name, files: 0, added: 0, changed: 0, removed: 0, unchanged: 0, errors: [{ path: share.root, message: 'shared folder is missing; nothing was changed (remove the share or restore the folder)' }] });
        continue;
      }
      if (signal?.aborted) break;
      out.push(await this.indexer.scan(share, onProgress, signal));
    }
    return out;
  }

  async close(): Promise<void> {
    this.services.davServer?.close();
    await this.pool?.close();
    await this.store.close();
    await this.release();
  }
}
