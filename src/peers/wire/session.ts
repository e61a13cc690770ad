// One sync session with one peer, transport-free: hello, catch-up, live push, full-state transfer, acks.
import type { Quad } from '@rdfjs/types';
import n3 from 'n3';
import type { Patch } from '../../graph/types.js';
import { authoredBy, filterPatch, quadFilter, type FilterContext } from '../filter.js';
import type { Logger, SyncProgress, SyncStore } from '../types.js';
import { MIN_WIRE_VERSION, WIRE_VERSION, type RefuseReason, type SyncMsg } from './messages.js';
import { MAX_INFLATED } from './compress.js';
import { ProtocolError } from './errors.js';
import { IncomingState, type StateSpillOptions } from './state-in.js';

export { ProtocolError } from './errors.js';

export interface PatchCodec {
  encode(p: Patch): string;
  /** Decode RDF Patch text (UTF-8); throws on anything malformed or over the limits. */
  decode(bytes: Uint8Array): Patch;
}

const utf8 = new TextEncoder();

/** The part of the trust store a session reads and writes. */
export interface SessionTrust {
  isPaired(id: string): boolean;
  grantsFor(id: string): string[];
  delivered(id: string): string[];
  setDelivered(id: string, shares: string[]): Promise<void>;
  setRemote(id: string, remote: 'accepted' | 'refused'): Promise<void>;
  policy: (peerId: string, quad: Quad) => boolean;
  /** The epoch of a full state the peer needs (privacy policy or item admission changed); 0 or absent: none. */
  resyncWanted?(id: string): number;
  resyncDone?(id: string, epoch: number): void;
}

export interface SessionOptions {
  self: string;
  peer: string;
  store: SyncStore;
  trust: SessionTrust;
  codec: PatchCodec;
  /** Replace everything `author` said (all of its graphs here) by `quads`, and hold its patches up to `seq`. */
  applyState(author: string, seq: number, hlc: string, quads: Quad[]): Promise<void>;
  /** Send one message (framing and back-pressure are the transport's). */
  send(msg: SyncMsg): Promise<void>;
  /** Close the transport; called at most once. */
  close(reason: string): void;
  pairedSources: readonly string[];
  log: Logger;
  onProgress?(p: SyncProgress): void;
  onRemote?(state: 'accepted' | 'refused'): void;
  /** Commit a local-only change so our seq moves past what the peer holds (a full state must be ahead of it). */
  bump?(): Promise<void>;
  /** Most quads a full-state transfer may carry (default 5,000,000). */
  maxStateQuads?: number;
  /** Most bytes of N-Quads text a full-state transfer may carry (default 1 GiB). */
  maxStateBytes?: number;
  /** Where a full state past `spillAboveBytes` waits for its end (a temp file there; default: kept in memory). */
  spill?: StateSpillOptions;
  /** Bytes of N-Quads per state chunk (default 512 KiB; must stay under the frame limit). */
  stateChunkBytes?: number;
  /** Largest piece of a patch per frame (default 1 MiB; must stay under the frame limit). */
  patchPieceBytes?: number;
  /** Largest patch accepted, in bytes (default 64 MiB). */
  maxPatchBytes?: number;
}

type Phase = 'new' | 'open' | 'closed';

export class SyncSession {
  private phase: Phase = 'new';
  private helloSeen = false;
  private outQ: Promise<void> = Promise.resolve();
  /** Our own seq the peer holds or will hold once what we queued arrives. */
  private sentUpTo = -1;
  private theirLatest = 0;
  /** The highest of our seqs the peer holds (its hello, then its acks). */
  private peerHas = 0;
  /** The wire version of the peer's hello (2 and up take compressed patches). */
  private peerVersion = 0;
  private pendingAck = -1;
  private patchParts: Uint8Array[] = [];
  private patchPartBytes = 0;
  private incoming: IncomingState | undefined;
  private fullInFlight: { seq: number; shares: string[]; epoch?: number } | undefined;
  readonly remoteGrants: string[] = [];

  constructor(private readonly o: SessionOptions) {}

  get closed(): boolean {
    return this.phase === 'closed';
  }

  /** True once both hellos went through: the peer paired us and we paired it. */
  get established(): boolean {
    return this.helloSeen && this.phase === 'open';
  }

  /** Open: say hello (or refuse when the peer is not paired here; no graph data is ever sent then). */
  async start(): Promise<void> {
    if (this.phase !== 'new') return;
    this.phase = 'open';
    if (!this.o.trust.isPaired(this.o.peer)) return this.refuse('not-paired');
    const vv = this.o.store.versionVector();
    await this.enqueue(() =>
      this.o.send({
        t: 'hello',
        v: WIRE_VERSION,
        node: this.o.self,
        seq: vv[this.o.self] ?? 0,
        have: vv[this.o.peer] ?? 0,
        grants: this.o.trust.grantsFor(this.o.peer),
      }),
    );
  }

  close(reason: string): void {
    if (this.phase === 'closed') return;
    this.phase = 'closed';
    void this.incoming?.discard(); // a state cut off midway: its spilled text goes
    this.incoming = undefined;
    this.o.close(reason);
  }

  private async refuse(reason: RefuseReason): Promise<void> {
    try {
      await this.o.send({ t: 'refuse', reason });
    } catch {
      // closing anyway
    }
    this.close(`refused: ${reason}`);
  }

  private enqueue(fn: () => Promise<void>): Promise<void> {
    const next = this.outQ.then(async () => {
      if (this.phase === 'closed') return;
      await fn();
    });
    this.outQ = next.catch((err: unknown) => {
      this.o.log.warn({ peer: this.o.peer, err: String(err) }, 'sync send failed');
      this.close('send failed');
    });
    return this.outQ;
  }

  /** Handle one decoded message. Throws ProtocolError on a violation (the caller logs and closes). */
  async handle(msg: SyncMsg): Promise<void> {
    if (this.phase === 'closed') return;
    if (msg.t === 'ping') return;
    if (msg.t === 'refuse') {
      this.o.log.info({ peer: this.o.peer, reason: msg.reason }, 'peer refused sync');
      if (msg.reason === 'not-paired') {
        await this.o.trust.setRemote(this.o.peer, 'refused');
        this.o.onRemote?.('refused');
      }
      this.close(`peer refused: ${msg.reason}`);
      return;
    }
    if (msg.t === 'hello') return this.onHello(msg);
    if (!this.helloSeen) throw new ProtocolError(`${msg.t} before hello`);
    if (this.patchParts.length > 0 && msg.t !== 'patch' && msg.t !== 'patch-part') throw new ProtocolError(`${msg.t} inside a split patch`);
    switch (msg.t) {
      case 'ack':
        if (msg.seq > Math.max(this.sentUpTo, 0)) throw new ProtocolError(`ack of ${msg.seq}, beyond what was sent (${this.sentUpTo})`);
        return this.onAck(msg.seq);
      case 'patch-part':
      case 'patch': {
        if (this.incoming) throw new ProtocolError('patch inside a state transfer');
        this.patchPartBytes += msg.bytes.length;
        if (this.patchPartBytes > (this.o.maxPatchBytes ?? 64 << 20)) throw new ProtocolError('patch over the size limit');
        this.patchParts.push(msg.bytes);
        if (msg.t === 'patch-part') return;
        const bytes = this.patchParts.length === 1 ? msg.bytes : Buffer.concat(this.patchParts);
        this.patchParts = [];
        this.patchPartBytes = 0;
        return this.onPatch(bytes);
      }
      case 'state-begin':
        if (this.incoming) throw new ProtocolError('state-begin inside a state transfer');
        if (msg.quads > (this.o.maxStateQuads ?? 5_000_000)) throw new ProtocolError(`state of ${msg.quads} quads is over the limit`);
        this.incoming = new IncomingState(msg.seq, msg.hlc, msg.quads, this.o.maxStateBytes ?? 1 << 30, this.o.spill);
        return;
      case 'state-chunk':
        return this.onStateChunk(msg.text);
      case 'state-end':
        return this.onStateEnd();
    }
  }

  private async onHello(msg: Extract<SyncMsg, { t: 'hello' }>): Promise<void> {
    if (msg.v < MIN_WIRE_VERSION || msg.v > WIRE_VERSION) {
      this.o.log.warn({ peer: this.o.peer, version: msg.v }, 'peer speaks another protocol version');
      return this.refuse('version');
    }
    if (this.helloSeen) throw new ProtocolError('second hello');
    if (msg.node !== this.o.peer) throw new ProtocolError(`hello names ${msg.node}, but the connection is authenticated as ${this.o.peer}`);
    if (!this.o.trust.isPaired(this.o.peer)) return this.refuse('not-paired');
    // A peer cannot hold more of our patches than we wrote: believing it would cost a commit and a full state at every
    // connect (and our next patches would look like ones it holds). Nothing is committed or sent; the session closes.
    const ours = this.o.store.versionVector()[this.o.self] ?? 0;
    if (msg.have > ours) throw new ProtocolError(`hello claims ${msg.have} of our patches; we wrote ${ours} (a lying peer, or this home restored from an older copy)`);
    this.helloSeen = true;
    this.peerVersion = msg.v;
    this.theirLatest = msg.seq;
    this.peerHas = msg.have;
    this.remoteGrants.splice(0, this.remoteGrants.length, ...msg.grants);
    await this.o.trust.setRemote(this.o.peer, 'accepted');
    this.o.onRemote?.('accepted');
    this.sentUpTo = msg.have;
    await this.push();
  }

  /** Send what the peer lacks of our own patches (after hello, and on every local commit). */
  push(forceFull = false): Promise<void> {
    if (!this.established) return Promise.resolve();
    return this.enqueue(async () => {
      const grants = this.o.trust.grantsFor(this.o.peer);
      const delivered = this.o.trust.delivered(this.o.peer);
      // What the peer holds (or will, once the state in flight lands) was filtered with these grants.
      const basis = this.fullInFlight?.shares ?? delivered;
      const grantsChanged = JSON.stringify(grants) !== JSON.stringify(basis);
      // A resync the PIM layer asked for: always a full state (a replay would be judged on today's items).
      const epoch = this.o.trust.resyncWanted?.(this.o.peer) ?? 0;
      const stale = epoch > 0 && epoch > (this.fullInFlight?.epoch ?? 0);
      const mine = this.o.store.versionVector()[this.o.self] ?? 0;
      // A peer holding nothing of ours gets the whole log filtered with today's grants: same as a full state.
      const fromScratch = this.sentUpTo === 0 && !this.fullInFlight;
      if (!forceFull && !stale && (!grantsChanged || fromScratch) && this.sentUpTo >= 0) {
        if (mine <= this.sentUpTo) {
          if (grantsChanged && mine === 0) await this.o.trust.setDelivered(this.o.peer, grants);
          return;
        }
        const patches = this.o.store.patchesSince({ ...this.o.store.versionVector(), [this.o.self]: this.sentUpTo });
        if (patches) {
          if (grantsChanged) this.fullInFlight = { seq: mine, shares: grants };
          const keep = quadFilter(this.ctx(grants));
          for (const p of patches) {
            if (p.author !== this.o.self || p.seq <= this.sentUpTo) continue;
            if (p.seq !== this.sentUpTo + 1) throw new Error(`own log has a gap at ${this.sentUpTo + 1}`);
            const bytes = utf8.encode(this.o.codec.encode(filterPatch(p, keep)));
            this.sentUpTo = p.seq;
            if (this.peerVersion >= 2 && bytes.length <= MAX_INFLATED) {
              await this.o.send({ t: 'zpatch', bytes });
              continue;
            }
            const piece = this.o.patchPieceBytes ?? 1 << 20;
            let off = 0;
            for (; bytes.length - off > piece; off += piece) await this.o.send({ t: 'patch-part', bytes: bytes.subarray(off, off + piece) });
            await this.o.send({ t: 'patch', bytes: bytes.subarray(off) });
          }
          return;
        }
      }
      await this.sendFullState(grants, stale ? epoch : undefined);
    });
  }

  private ctx(grants: string[]): FilterContext {
    return { self: this.o.self, peer: this.o.peer, grants, pairedSources: this.o.pairedSources, policy: this.o.trust.policy };
  }

  private async sendFullState(grants: string[], epoch?: number): Promise<void> {
    const keep = quadFilter(this.ctx(grants));
    // A full state must be ahead of everything the peer holds or will hold: what it acknowledged, and what was sent
    // and not yet acknowledged (a grant's state still in flight when the grant is revoked).
    const peerWillHave = Math.max(this.peerHas, this.sentUpTo, this.fullInFlight?.seq ?? 0);
    if ((this.o.store.versionVector()[this.o.self] ?? 0) <= peerWillHave && this.o.bump) await this.o.bump();
    const vv = this.o.store.versionVector();
    const seq = vv[this.o.self] ?? 0;
    const last = seq > 0 ? this.o.store.patchesSince({ ...vv, [this.o.self]: seq - 1 }) : null;
    const hlc = last?.find((p) => p.author === this.o.self)?.hlc ?? '0.0';
    const quads = this.o.store.match(null, null, null, null).filter(keep);
    this.o.log.info({ peer: this.o.peer, seq, quads: quads.length, grants }, 'sending full state');
    await this.o.send({ t: 'state-begin', seq, hlc, quads: quads.length });
    const limit = this.o.stateChunkBytes ?? 512 * 1024;
    const w = new n3.Writer({ format: 'N-Quads' });
    let buf = '';
    for (const q of quads) {
      const line = w.quadToString(q.subject, q.predicate, q.object, q.graph);
      if (buf.length > 0 && buf.length + line.length > limit) {
        await this.o.send({ t: 'state-chunk', text: buf });
        buf = '';
      }
      buf += line;
    }
    if (buf.length > 0) await this.o.send({ t: 'state-chunk', text: buf });
    this.sentUpTo = seq;
    this.fullInFlight = { seq, shares: grants, epoch };
    await this.o.send({ t: 'state-end' });
  }

  private async onAck(seq: number): Promise<void> {
    this.peerHas = Math.max(this.peerHas, seq);
    const f = this.fullInFlight;
    if (f && seq >= f.seq) {
      this.fullInFlight = undefined;
      await this.o.trust.setDelivered(this.o.peer, f.shares);
      if (f.epoch) this.o.trust.resyncDone?.(this.o.peer, f.epoch);
    }
    const mine = this.o.store.versionVector()[this.o.self] ?? 0;
    this.o.onProgress?.({ peerId: this.o.peer, direction: 'out', seq, of: mine, full: f !== undefined && seq >= f.seq });
  }

  private async onPatch(bytes: Uint8Array): Promise<void> {
    let patch: Patch;
    try {
      patch = this.o.codec.decode(bytes);
    } catch (err) {
      throw new ProtocolError(`unparsable patch: ${(err as Error).message}`);
    }
    if (patch.author !== this.o.peer) throw new ProtocolError(`patch by ${patch.author}; only the peer's own patches are accepted`);
    if (!authoredBy(this.o.peer, patch.changes.map((c) => c.quad))) throw new ProtocolError(`patch ${patch.seq} writes outside the peer's own graphs`);
    const r = await this.o.store.applyRemote(patch);
    if (r === 'gap') throw new ProtocolError(`out-of-order patch ${patch.seq} (we hold ${this.o.store.versionVector()[this.o.peer] ?? 0})`);
    this.pendingAck = Math.max(this.pendingAck, this.o.store.versionVector()[this.o.peer] ?? 0);
    this.theirLatest = Math.max(this.theirLatest, patch.seq);
  }

  private async onStateChunk(text: string): Promise<void> {
    const inc = this.incoming;
    if (!inc) throw new ProtocolError('state-chunk outside a state transfer');
    let quads: Quad[];
    try {
      quads = new n3.Parser({ format: 'N-Quads' }).parse(text);
    } catch (err) {
      throw new ProtocolError(`unparsable state chunk: ${(err as Error).message.slice(0, 200)}`);
    }
    for (const q of quads) {
      if (q.subject.termType === 'BlankNode' || q.object.termType === 'BlankNode') throw new ProtocolError('blank node in state');
    }
    if (!authoredBy(this.o.peer, quads)) throw new ProtocolError("state quad outside the peer's own graphs");
    await inc.add(text, quads.length);
  }

  private async onStateEnd(): Promise<void> {
    const inc = this.incoming;
    if (!inc) throw new ProtocolError('state-end outside a state transfer');
    this.incoming = undefined;
    let quads: Quad[];
    try {
      quads = await inc.finish();
    } finally {
      await inc.discard();
    }
    await this.o.applyState(this.o.peer, inc.seq, inc.hlc, quads);
    this.pendingAck = Math.max(this.pendingAck, inc.seq);
    this.theirLatest = Math.max(this.theirLatest, inc.seq);
    this.o.onProgress?.({ peerId: this.o.peer, direction: 'in', seq: inc.seq, of: this.theirLatest, full: true });
  }

  /** Acknowledge what was applied since the last flush (call after a batch of incoming messages). */
  flushAcks(): Promise<void> {
    if (this.pendingAck < 0 || this.phase === 'closed') return Promise.resolve();
    const seq = this.pendingAck;
    this.pendingAck = -1;
    this.o.onProgress?.({ peerId: this.o.peer, direction: 'in', seq, of: Math.max(this.theirLatest, seq) });
    return this.enqueue(() => this.o.send({ t: 'ack', seq }));
  }

  /** Keep-alive. */
  ping(): Promise<void> {
    if (this.phase !== 'open') return Promise.resolve();
    return this.enqueue(() => this.o.send({ t: 'ping' }));
  }
}
