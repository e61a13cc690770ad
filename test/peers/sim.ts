// In-process peers for property and fuzz tests: real GraphStores and SyncSessions joined by frame queues.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import n3 from 'n3';
import type { Quad } from '@rdfjs/types';
import { generateKeyPair } from '@libp2p/crypto/keys';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { GraphStore } from '../../src/graph/store.js';
import { bumpOwnSeq, patchCodec, stateApplier } from '../../src/peers/store-adapter.js';
import { decodeSync, encodeSync } from '../../src/peers/wire/messages.js';
import { SyncSession, type SessionTrust } from '../../src/peers/wire/session.js';
import { silentLogger } from '../../src/peers/types.js';

export async function peerIds(n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString());
  return out;
}

/** In-memory trust: everyone paired, the same grants for everyone. */
export class SimTrust implements SessionTrust {
  private readonly deliveredTo = new Map<string, string[]>();
  constructor(public shares: string[], public paired: Set<string>) {}
  isPaired(id: string): boolean {
    return this.paired.has(id);
  }
  grantsFor(): string[] {
    return [...this.shares].sort();
  }
  delivered(id: string): string[] {
    return this.deliveredTo.get(id) ?? [];
  }
  async setDelivered(id: string, shares: string[]): Promise<void> {
    this.deliveredTo.set(id, [...shares].sort());
  }
  async setRemote(): Promise<void> {}
  policy = (): boolean => true;
}

export interface SimNode {
  id: string;
  store: GraphStore;
  trust: SimTrust;
}

export class SimLab {
  readonly dirs: string[] = [];
  readonly nodes: SimNode[] = [];
  async node(id: string, shares: string[], paired: string[]): Promise<SimNode> {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'semsync-sim-'));
    this.dirs.push(dir);
    const n = { id, store: await GraphStore.open({ dir, nodeId: id }), trust: new SimTrust(shares, new Set(paired)) };
    this.nodes.push(n);
    return n;
  }
  async close(): Promise<void> {
    for (const n of this.nodes) await n.store.close();
    for (const d of this.dirs) await rm(d, { recursive: true, force: true });
  }
}

/** One connection between two nodes: a session at each end, a frame queue each way, delivered on demand. */
export class SimLink {
  readonly queue: [Uint8Array[], Uint8Array[]] = [[], []];
  readonly delivered: [Uint8Array[], Uint8Array[]] = [[], []];
  readonly sessions: [SyncSession, SyncSession];
  closed = false;
  errors: string[] = [];

  constructor(readonly a: SimNode, readonly b: SimNode) {
    const make = (self: SimNode, peer: SimNode, dir: 0 | 1) =>
      new SyncSession({
        self: self.id,
        peer: peer.id,
        store: self.store,
        trust: self.trust,
        codec: patchCodec,
        applyState: stateApplier(self.store),
        bump: () => bumpOwnSeq(self.store, self.id),
        send: async (m) => {
          if (!this.closed) this.queue[dir].push(encodeSync(m));
        },
        close: () => {
          this.closed = true;
        },
        pairedSources: ['pim/'],
        log: silentLogger,
        stateChunkBytes: 300,
      });
    this.sessions = [make(a, b, 0), make(b, a, 1)];
  }

  async start(): Promise<void> {
    await this.sessions[0].start();
    await this.sessions[1].start();
  }

  /** Deliver frame `index` (default the next) of direction `dir` (0: a→b); a violation closes the link. */
  async deliver(dir: 0 | 1, index = 0): Promise<void> {
    const q = this.queue[dir];
    if (this.closed || q.length === 0) return;
    const [frame] = q.splice(Math.min(index, q.length - 1), 1);
    this.delivered[dir].push(frame);
    await this.feed(dir, frame);
  }

  /** Deliver again a frame already delivered (duplication). */
  async duplicate(dir: 0 | 1, index: number): Promise<void> {
    const d = this.delivered[dir];
    if (this.closed || d.length === 0) return;
    await this.feed(dir, d[index % d.length]);
  }

  async feed(dir: 0 | 1, frame: Uint8Array): Promise<void> {
    const receiver = this.sessions[dir === 0 ? 1 : 0];
    try {
      await receiver.handle(decodeSync(frame));
      await receiver.flushAcks();
    } catch (err) {
      this.errors.push((err as Error).message);
      this.closed = true;
      receiver.close('violation');
    }
  }

  /** Deliver everything in order both ways until quiet. */
  async drain(): Promise<void> {
    for (let guard = 0; guard < 1_000_000 && !this.closed && (this.queue[0].length || this.queue[1].length); guard++) {
      await this.deliver(this.queue[0].length ? 0 : 1);
    }
  }

  push(from: SimNode): Promise<void> {
    return this.sessions[from === this.a ? 0 : 1].push();
  }
}

const writer = new n3.Writer({ format: 'N-Quads' });
export function canonical(quads: Quad[]): string[] {
  return quads.map((q) => writer.quadToString(q.subject, q.predicate, q.object, q.graph).trim()).sort();
}
