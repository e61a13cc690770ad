// Trust and grants: paired peers, per-share grants and the per-peer privacy policy, kept in a JSON file.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import lockfile from 'proper-lockfile';
import { peerIdFromString } from '@libp2p/peer-id';
import type { Quad } from '@rdfjs/types';
import { writeFileAtomic } from '../base/index.js';
import { FailureError, Emitter } from '../base/index.js';

/** What the other side said about our pairing the last time we spoke to it. */
export type RemoteState = 'unknown' | 'accepted' | 'refused';

export interface PairedPeer {
  id: string;
  name?: string;
  addrs: string[];
  pairedAt: string;
  remote: RemoteState;
  /** When the other side last accepted or refused our hello. */
  remoteAt?: string;
}

/** `paired`: both sides paired (the other side accepted our hello); `waiting`: only this side so far. */
export type PairState = 'paired' | 'waiting';

/** Decides, per peer and per quad, whether a quad may leave for that peer. Default: allow. */
export type PolicyHook = (peerId: string, quad: Quad) => boolean;

interface TrustFile {
  version: 1;
  peers: Record<string, PairedPeer>;
  /** share name → peer ids it is granted to */
  grants: Record<string, string[]>;
  /** peer id → the shares whose full contents that peer last received (sender-side bookkeeping) */
  delivered: Record<string, string[]>;
}

/** What the trust store announces: `resync-done` when a peer acknowledged a full state sent for `epoch`. */
export interface TrustEvents extends Record<string, unknown> {
  'resync-done': { peer: string; epoch: number };
}

/** What the PIM layer installs on the trust store of a running node. */
export interface PimHooks {
  policy: PolicyHook;
  /** The epoch of a full state `peerId` needs (0: none). */
  resyncWanted: (peerId: string) => number;
}

export class TrustError extends FailureError {
  override name = 'TrustError';
}

const SHARE_RE = /^[^\u0000-\u001f\u007f/]{1,200}$/u;

export function assertPeerId(id: string): void {
  try {
    peerIdFromString(id);
  } catch {
    throw new TrustError(`not a peer id: ${JSON.stringify(id)} (expected e.g. 12D3KooW...; see \`semsync id\` on the other node)`);
  }
}

export function assertShareName(name: string): void {
  if (!SHARE_RE.test(name)) throw new TrustError(`bad share name ${JSON.stringify(name)}: 1-200 characters, no '/' or control characters`);
}

function empty(): TrustFile {
  return { version: 1, peers: {}, grants: {}, delivered: {} };
}

function parse(file: string, text: string): TrustFile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new TrustError(`${file}: not JSON (${(err as Error).message})`);
  }
  const t = raw as Partial<TrustFile>;
  if (!t || typeof t !== 'object' || t.version !== 1) throw new TrustError(`${file}: unknown trust file version`);
  const out = empty();
  for (const [id, p] of Object.entries(t.peers ?? {})) {
    if (!p || typeof p !== 'object') continue;
    out.peers[id] = {
      id,
      name: typeof p.name === 'string' ? p.name : undefined,
      addrs: Array.isArray(p.addrs) ? p.addrs.filter((a): a is string => typeof a === 'string') : [],
      pairedAt: typeof p.pairedAt === 'string' ? p.pairedAt : new Date(0).toISOString(),
      remote: p.remote === 'accepted' || p.remote === 'refused' ? p.remote : 'unknown',
      remoteAt: typeof p.remoteAt === 'string' ? p.remoteAt : undefined,
    };
  }
  for (const [s, ids] of Object.entries(t.grants ?? {})) {
    if (Array.isArray(ids)) out.grants[s] = ids.filter((x): x is string => typeof x === 'string');
  }
  for (const [id, shares] of Object.entries(t.delivered ?? {})) {
    if (Array.isArray(shares)) out.delivered[id] = shares.filter((x): x is string => typeof x === 'string');
  }
  return out;
}

/**
 * The trust file of one node home. Every mutation re-reads the file under a lock, changes it and writes it
 * atomically, so the CLI and a running node may both change it. A running node calls {@link reload} when
 * the file changes on disk.
 */
export class TrustStore {
  private data: TrustFile = empty();
  /** The privacy policy hook; set by the PIM layer. Not persisted. */
  policy: PolicyHook = () => true;
  /** The PIM layer: the epoch of a full state `peerId` needs (0: none), e.g. after its privacy policy or an item's admission changed. Not persisted here. */
  resyncWanted: (peerId: string) => number = () => 0;
  /** Called when the peer acknowledged a full state sent for `epoch`: announced as `resync-done`. */
  resyncDone: (peerId: string, epoch: number) => void = (peer, epoch) => this.events.emit('resync-done', { peer, epoch });
  readonly events = new Emitter<TrustEvents>();

  /** Installs the PIM layer's policy hook and resync epochs; returns the function that takes them off again. */
  setPimHooks(hooks: PimHooks): () => void {
    this.policy = hooks.policy;
    this.resyncWanted = hooks.resyncWanted;
    return () => {
      if (this.policy !== hooks.policy) return;
      this.policy = () => true;
      this.resyncWanted = () => 0;
    };
  }

  private constructor(readonly file: string) {}

  static async open(file: string): Promise<TrustStore> {
    const t = new TrustStore(file);
    await t.reload();
    return t;
  }

  /** Re-read the file; returns true when anything changed. */
  async reload(): Promise<boolean> {
    let next: TrustFile;
    try {
      next = parse(this.file, await fs.readFile(this.file, 'utf8'));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      next = empty();
    }
    const changed = JSON.stringify(next) !== JSON.stringify(this.data);
    this.data = next;
    return changed;
  }

  private async mutate(fn: (t: TrustFile) => void): Promise<void> {
    await fs.mkdir(path.dirname(this.file), { recursive: true });
    const release = await lockfile.lock(this.file, {
      realpath: false,
      retries: { retries: 50, minTimeout: 10, maxTimeout: 100 },
      stale: 10_000,
      // A process stalled past the stale time (a loaded machine, a slow fsync) finds its lock "compromised". The
      // library's default throws from a timer, which would take a running node down; the write itself is atomic
      // (temp + rename), so the worst case is another writer's concurrent change lost, seen on the next reload.
      onCompromised: () => {},
    });
    try {
      await this.reload();
      const next = structuredClone(this.data);
      fn(next);
      await writeFileAtomic(this.file, JSON.stringify(next, null, 2) + '\n', { mode: 0o600 });
      this.data = next;
    } finally {
      await release().catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ERELEASED') throw err; // released already: it was found compromised (above)
      });
    }
  }

  peers(): PairedPeer[] {
    return Object.values(this.data.peers).map((p) => ({ ...p, addrs: [...p.addrs] }));
  }

  peer(id: string): PairedPeer | undefined {
    const p = this.data.peers[id];
    return p ? { ...p, addrs: [...p.addrs] } : undefined;
  }

  isPaired(id: string): boolean {
    return Object.hasOwn(this.data.peers, id);
  }

  /** `paired` once the other side accepted our hello, `waiting` before; undefined when not paired here. */
  state(id: string): PairState | undefined {
    const p = this.data.peers[id];
    if (!p) return undefined;
    return p.remote === 'accepted' ? 'paired' : 'waiting';
  }

  /** Shares granted to `peerId`, sorted. */
  grantsFor(peerId: string): string[] {
    return Object.entries(this.data.grants)
      .filter(([, ids]) => ids.includes(peerId))
      .map(([s]) => s)
      .sort();
  }

  /** Every share name with its grantees. */
  grants(): Record<string, string[]> {
    return structuredClone(this.data.grants);
  }

  /** The shares whose full contents `peerId` last received from us (see the sync protocol). */
  delivered(peerId: string): string[] {
    return [...(this.data.delivered[peerId] ?? [])].sort();
  }

  async pair(id: string, opts: { name?: string; addrs?: string[] } = {}): Promise<void> {
    assertPeerId(id);
    await this.mutate((t) => {
      const old = t.peers[id];
      const addrs = [...new Set([...(old?.addrs ?? []), ...(opts.addrs ?? [])])];
      t.peers[id] = {
        id,
        name: opts.name ?? old?.name,
        addrs,
        pairedAt: old?.pairedAt ?? new Date().toISOString(),
        remote: old?.remote ?? 'unknown',
        remoteAt: old?.remoteAt,
      };
    });
  }

  /** Forget a peer: its pairing, its grants and our bookkeeping about it. */
  async unpair(id: string): Promise<void> {
    await this.mutate((t) => {
      delete t.peers[id];
      delete t.delivered[id];
      for (const s of Object.keys(t.grants)) {
        t.grants[s] = t.grants[s].filter((x) => x !== id);
        if (t.grants[s].length === 0) delete t.grants[s];
      }
    });
  }

  async grant(share: string, peerId: string): Promise<void> {
    assertShareName(share);
    assertPeerId(peerId);
    await this.mutate((t) => {
      const ids = new Set(t.grants[share] ?? []);
      ids.add(peerId);
      t.grants[share] = [...ids].sort();
    });
  }

  async revoke(share: string, peerId: string): Promise<void> {
    await this.mutate((t) => {
      if (!t.grants[share]) return;
      t.grants[share] = t.grants[share].filter((x) => x !== peerId);
      if (t.grants[share].length === 0) delete t.grants[share];
    });
  }

  /** Record what the other side said about our pairing (by the node, on every hello). */
  async setRemote(id: string, remote: RemoteState): Promise<void> {
    if (this.data.peers[id]?.remote === remote) return;
    await this.mutate((t) => {
      const p = t.peers[id];
      if (!p) return;
      p.remote = remote;
      p.remoteAt = new Date().toISOString();
    });
  }

  /** Remember a newly learned address of a paired peer. */
  async addAddrs(id: string, addrs: string[]): Promise<void> {
    const p = this.data.peers[id];
    if (!p || addrs.every((a) => p.addrs.includes(a))) return;
    await this.mutate((t) => {
      const q = t.peers[id];
      if (q) q.addrs = [...new Set([...q.addrs, ...addrs])].slice(-8);
    });
  }

  async setDelivered(id: string, shares: string[]): Promise<void> {
    const cur = this.delivered(id);
    const next = [...shares].sort();
    if (JSON.stringify(cur) === JSON.stringify(next)) return;
    await this.mutate((t) => {
      if (t.peers[id]) t.delivered[id] = next;
    });
  }
}

