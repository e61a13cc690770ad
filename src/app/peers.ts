// The peer side of a node (the peers use cases): identity + trust + the libp2p PeerNode over the node's store; trust edits and fetches with or without a running node.
import path from 'node:path';
import { stat } from 'node:fs/promises';
import n3 from 'n3';
import { multiaddr } from '@multiformats/multiaddr';
import { NIE } from '../graph/vocab.js';
import {
  assertPeerId,
  createPeerNode,
  loadOrCreateIdentity,
  parseContentHash,
  TrustStore,
  type Identity,
  type Logger,
  type PeerNode,
} from '../peers/index.js';
import type { GraphStore } from '../graph/index.js';
import { InputError } from '../base/index.js';
import { ShareError, type NodeConfig } from './config.js';

/** What the peer side needs of the node: its id, store, home files, settings, and its shares by name. */
export interface PeersHome {
  readonly nodeId: string;
  readonly store: GraphStore;
  readonly paths: { readonly home: string; readonly identity: string; readonly trust: string; readonly config: string };
  readonly config: NodeConfig;
  /** The share named so; throws a ShareError for an unknown one. */
  share(name: string): unknown;
}

export interface PeersOptions {
  /** libp2p listen addresses (default: the config's `listen`). */
  listen?: string[];
  /** mDNS discovery on the LAN (default true). */
  mdns?: boolean;
  logger?: Logger;
  /** How often paired peers without a session are dialled (ms). */
  redialMs?: number;
}

/** One peer as `semsync peers` shows it. */
export interface PeerEntry {
  peerId: string;
  name?: string;
  /** `paired`: both sides paired; `waiting`: paired here, not (yet) confirmed by the other side; `nearby`: discovered, not paired. */
  state: 'paired' | 'waiting' | 'nearby';
  connected: boolean;
  /** Shares of ours granted to this peer. */
  grants: string[];
  addrs: string[];
  /** A nearby peer that dialled in to sync (it paired with this node on its side): when it last did. */
  asked?: string;
}

export interface IdInfo {
  peerId: string;
  /** The addresses the running node listens on (with /p2p/ID), or the configured ones when it does not run. */
  addrs: string[];
  running: boolean;
}

export interface FetchResult {
  hash: string;
  out: string;
  bytes: number;
  peerId: string;
}

export class PeerCommandError extends InputError {
}

/** The peer side of one open node. `start()` makes it live; without it, trust edits go straight to the trust file. */
export class NodePeers {
  private peer: PeerNode | undefined;

  private constructor(
    readonly node: PeersHome,
    readonly identity: Identity,
    readonly trust: TrustStore,
    private readonly options: PeersOptions,
  ) {}

  static async open(node: PeersHome, options: PeersOptions = {}): Promise<NodePeers> {
    const identity = await loadOrCreateIdentity(node.paths.identity);
    if (identity.peerId !== node.nodeId) {
      throw new Error(`${node.paths.identity} holds peer id ${identity.peerId}, but ${node.paths.config} says ${node.nodeId}; restore the matching key or config`);
    }
    const trust = await TrustStore.open(node.paths.trust);
    return new NodePeers(node, identity, trust, options);
  }

  get running(): boolean {
    return this.peer !== undefined;
  }

  get peerNode(): PeerNode | undefined {
    return this.peer;
  }

  async start(): Promise<PeerNode> {
    if (this.peer) return this.peer;
    const peer = createPeerNode({
      identity: this.identity,
      store: this.node.store,
      trust: this.trust,
      listen: this.options.listen ?? this.node.config.listen,
      mdns: this.options.mdns ?? true,
      logger: this.options.logger,
      redialMs: this.options.redialMs,
      stateSpillDir: await stateSpillDir(this.node.paths.home),
      // Device and target catalogs (`device/<id>`) go to every paired peer, as PIM does: they are the person's own
      // copies, and "where is each copy" must answer on every node (docs/decisions.md "Every copy in the graph").
      // The person's edits of file descriptions (`edits`, app/file-conflicts.ts) likewise: every node settles them.
      pairedSources: ['pim/', 'device/', 'edits'], // the peers layer's default is ['pim/']
    });
    await peer.start();
    this.peer = peer;
    return peer;
  }

  /** Close every session (peers are told) and stop listening. */
  async stop(): Promise<void> {
    const p = this.peer;
    this.peer = undefined;
    await p?.stop();
  }

  /** Push local commits to connected peers now. */
  notifyCommit(): void {
    this.peer?.notifyCommit();
  }

  id(): IdInfo {
    if (this.peer) return { peerId: this.identity.peerId, addrs: this.peer.addresses(), running: true };
    return { peerId: this.identity.peerId, addrs: this.options.listen ?? this.node.config.listen, running: false };
  }

  async list(): Promise<PeerEntry[]> {
    if (!this.peer) await this.trust.reload();
    const paired: PeerEntry[] = (this.peer?.peers() ?? this.trust.peers().map((p) => ({
      peerId: p.id,
      name: p.name,
      addrs: p.addrs,
      state: this.trust.state(p.id) ?? 'waiting',
      connected: false,
      grants: this.trust.grantsFor(p.id),
    }))).map((p) => ({ peerId: p.peerId, name: p.name, state: p.state, connected: p.connected, grants: p.grants, addrs: p.addrs }));
    const nearby: PeerEntry[] = (this.peer?.nearby() ?? []).map((n) => ({ peerId: n.peerId, state: 'nearby', connected: false, grants: [], addrs: n.addrs, ...(n.asked ? { asked: n.asked } : {}) }));
    return [...paired, ...nearby];
  }

  async pair(peerId: string, opts: { addr?: string[]; name?: string } = {}): Promise<PeerEntry> {
    assertPeerId(peerId);
    if (peerId === this.identity.peerId) throw new PeerCommandError(`${peerId} is this node itself; pair the other node's id (run \`semsync id\` there)`);
    const addrs = (opts.addr ?? []).map((a) => withPeerSuffix(a, peerId));
    if (this.peer) await this.peer.pair(peerId, { name: opts.name, addrs });
    else await this.trust.pair(peerId, { name: opts.name, addrs });
    return (await this.list()).find((p) => p.peerId === peerId)!;
  }

  async unpair(peerId: string): Promise<boolean> {
    assertPeerId(peerId);
    if (!this.peer) await this.trust.reload();
    const was = this.trust.isPaired(peerId);
    if (this.peer) await this.peer.unpair(peerId);
    else await this.trust.unpair(peerId);
    return was;
  }

  async grant(share: string, peerId: string): Promise<string[]> {
    assertPeerId(peerId);
    this.node.share(share); // ShareError for an unknown share
    if (this.peer) await this.peer.grant(share, peerId);
    else await this.trust.grant(share, peerId);
    return this.trust.grantsFor(peerId);
  }

  async revoke(share: string, peerId: string): Promise<string[]> {
    assertPeerId(peerId);
    if (!this.node.config.shares.some((s) => s.name === share) && !(this.trust.grants()[share] ?? []).length) {
      throw new ShareError(`no share named "${share}"; see \`semsync share list\``);
    }
    if (this.peer) await this.peer.revoke(share, peerId);
    else await this.trust.revoke(share, peerId);
    return this.trust.grantsFor(peerId);
  }

  /**
   * Fetch content by hash from a paired peer into `out` (a file, or a folder to put it in; default: the current
   * folder, under the name a graph gives the file, else its hash). Without a running peer node, one is started
   * for the fetch (no listening, no mDNS) and stopped after.
   */
  async fetch(hash: string, out?: string, cwd = process.cwd()): Promise<FetchResult> {
    const hex = parseContentHash(hash);
    let target = path.resolve(cwd, out ?? '.');
    const st = await stat(target).catch(() => undefined);
    if (st?.isDirectory()) target = path.join(target, this.suggestName(hex));
    const temporary = !this.peer;
    const peer =
      this.peer ??
      createPeerNode({ identity: this.identity, store: this.node.store, trust: this.trust, listen: [], mdns: false, logger: this.options.logger, redialMs: 60_000 });
    try {
      if (temporary) await peer.start();
      const candidates = this.holders(hex);
      const r = await peer.fetchContent(hex, target, candidates.length ? { peers: candidates } : {});
      return { hash: `urn:sha256:${hex}`, out: target, bytes: r.bytes, peerId: r.peerId };
    } finally {
      if (temporary) await peer.stop();
    }
  }

  /** Fetch content from one peer through the running peer node (copy targets: `share-copy.ts`). */
  async fetchFrom(hash: string, out: string, peerId: string): Promise<void> {
    if (!this.peer) throw new PeerCommandError('the peer node is not running');
    await this.peer.fetchContent(hash, out, { peers: [peerId] });
  }

  /** Many small files from one peer on one stream (copy targets); each item's `error` says what failed. */
  async fetchBatch(peerId: string, items: Array<{ hash: string; out: string; error?: string }>): Promise<void> {
    if (!this.peer) throw new PeerCommandError('the peer node is not running');
    await this.peer.fetchBatch(peerId, items);
  }

  /** Paired peers whose graphs describe a file with this content first, then the other paired peers. */
  private holders(hex: string): string[] {
    const paired = this.trust.peers().map((p) => p.id);
    const said = new Set<string>();
    for (const q of this.node.store.match(null, NIE('interpretedAs'), n3.DataFactory.namedNode(`urn:sha256:${hex}`), null)) {
      const m = /\/graph\/([^/]+)\//.exec(q.graph.value);
      if (m) said.add(m[1]);
    }
    const connected = new Set((this.peer?.peers() ?? []).filter((p) => p.connected).map((p) => p.peerId));
    const rank = (id: string) => (said.has(id) ? 0 : 2) + (connected.has(id) ? 0 : 1);
    return paired.sort((a, b) => rank(a) - rank(b));
  }

  private suggestName(hex: string): string {
    for (const q of this.node.store.match(null, NIE('interpretedAs'), n3.DataFactory.namedNode(`urn:sha256:${hex}`), null)) {
      if (!q.subject.value.startsWith('file://')) continue;
      const base = decodeURIComponent(q.subject.value.slice(q.subject.value.lastIndexOf('/') + 1));
      if (base && base !== '.' && base !== '..' && !/[\u0000-\u001f]/.test(base)) return base;
    }
    return `sha256-${hex}`;
  }
}

/** `/ip4/1.2.3.4/tcp/5` → `/ip4/1.2.3.4/tcp/5/p2p/<peerId>`; an address naming another peer is refused. */
export function withPeerSuffix(addr: string, peerId: string): string {
  try {
    multiaddr(addr);
  } catch {
    throw new PeerCommandError(`not a multiaddr: ${JSON.stringify(addr)} (expected e.g. /ip4/192.168.1.20/tcp/4001)`);
  }
  const m = /\/p2p\/([^/]+)$/.exec(addr);
  if (m && m[1] !== peerId) throw new PeerCommandError(`the address ${addr} names peer ${m[1]}, not ${peerId}`);
  return m ? addr : `${addr.replace(/\/$/, '')}/p2p/${peerId}`;
}

/** HOME/tmp, where full states from peers wait while they arrive; what a crash left there is removed first. */
async function stateSpillDir(home: string): Promise<string> {
  const dir = path.join(home, 'tmp');
  const { readdir, rm } = await import('node:fs/promises');
  for (const f of await readdir(dir).catch(() => [] as string[])) if (/^state-.*\.nq$/.test(f)) await rm(path.join(dir, f), { force: true });
  return dir;
}
