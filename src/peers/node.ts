// The libp2p node: transports, discovery (nearby peers), sync sessions with paired peers, file serving/fetching.
import './polyfill.js';
import { unwatchFile, watchFile } from 'node:fs';
import { EventEmitter } from 'node:events';
import { createLibp2p, type Libp2p } from 'libp2p';
import { tcp } from '@libp2p/tcp';
import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import { identify } from '@libp2p/identify';
import { ping } from '@libp2p/ping';
import { mdns } from '@libp2p/mdns';
import { peerIdFromString } from '@libp2p/peer-id';
import { multiaddr } from '@multiformats/multiaddr';
import type { Connection, Stream } from '@libp2p/interface';
import { silentLogger, type Logger } from './types.js';
import { DEFAULT_PAIRED_SOURCES } from './filter.js';
import { BULK_MIN_BYTES, bulkRangeSender, FetchError, fetchOverStream, parseContentHash, serveFile, type FetchProgress } from './files.js';
import { BulkServer } from './bulk.js';
import { WireError, DEFAULT_MAX_FRAME } from './wire/frame.js';
import { decodeSync, encodeSync, FILE_PROTOCOL, FILE_PROTOCOL_BULK, FILES_PROTOCOL, SYNC_PROTOCOL } from './wire/messages.js';
import { fetchBatchOverStream, serveBatch, type BatchItem } from './batch.js';
import { ProtocolError, SyncSession } from './wire/session.js';
import { closeStream, readFrames, sendFrame } from './wire/stream.js';
import { bumpOwnSeq, patchCodec, stateApplier } from './store-adapter.js';
import type { PeerNodeInit, NearbyPeer, PeerStatus, PeerNodeEvents } from './node-types.js';

export type { PeerNodeInit, NearbyPeer, PeerStatus, PeerNodeEvents } from './node-types.js';

interface Live {
  session: SyncSession;
  stream: Stream;
  initiator: string;
}

export class PeerNode extends EventEmitter<PeerNodeEvents> {
  readonly peerId: string;
  private libp2p: Libp2p | undefined;
  private readonly sessions = new Map<string, Live>();
  private readonly dialing = new Set<string>();
  private readonly nearbyPeers = new Map<string, NearbyPeer>();
  private timers: NodeJS.Timeout[] = [];
  private lastSeq = 0;
  /** Stops listening to the store's commits (set while started). */
  private offCommit: (() => void) | undefined;
  private readonly log: Logger;
  private bulkServer: BulkServer | undefined;
  private readonly onTrustFile = () => void this.trustChanged();

  constructor(private readonly init: PeerNodeInit) {
    super();
    this.peerId = init.identity.peerId;
    this.log = init.logger ?? silentLogger;
    if (init.store.nodeId !== this.peerId) throw new Error(`store nodeId ${init.store.nodeId} is not this node's peer id ${this.peerId}`);
  }

  async start(): Promise<void> {
    if (this.libp2p) return;
    const m = this.init.mdns;
    const node = await createLibp2p({
      privateKey: this.init.identity.privateKey,
      addresses: { listen: this.init.listen ?? ['/ip4/0.0.0.0/tcp/0'] },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      peerDiscovery: m ? [mdns(typeof m === 'object' ? m : {})] : [],
      services: { identify: identify(), ping: ping() },
    });
    this.libp2p = node;
    node.addEventListener('peer:discovery', (e) => this.discovered(e.detail.id.toString(), e.detail.multiaddrs.map(String)));
    node.addEventListener('connection:open', (e) => {
      const id = e.detail.remotePeer.toString();
      if (this.init.trust.isPaired(id) && !this.sessions.has(id)) void this.connect(id);
    });
    await node.handle(SYNC_PROTOCOL, (stream, conn) => this.runSync(stream, conn.remotePeer.toString(), conn.remotePeer.toString(), conn), { maxInboundStreams: 4 });
    const fileDeps = {
      self: this.peerId,
      store: this.init.store,
      isPaired: (id: string) => this.init.trust.isPaired(id),
      grantsFor: (id: string) => this.init.trust.grantsFor(id),
      log: this.log,
      delayMs: this.init.serveDelayMs,
    };
    await node.handle(FILE_PROTOCOL, (stream, conn) => serveFile(stream, conn.remotePeer.toString(), fileDeps), { maxInboundStreams: 16 });
    await node.handle(FILES_PROTOCOL, (stream, conn) => serveBatch(stream, conn.remotePeer.toString(), fileDeps), { maxInboundStreams: 16 });
    const bulkHost = this.init.bulk === false ? undefined : listenHost(this.init.listen ?? ['/ip4/0.0.0.0/tcp/0']);
    if (bulkHost !== undefined) {
      const b = this.init.bulk || {};
      const server = new BulkServer({ host: bulkHost, send: bulkRangeSender(this.init.serveDelayMs), log: this.log, ttlMs: b.ttlMs, advertisePort: b.advertisePort });
      this.bulkServer = server;
      const bulk = { server, minBytes: b.minBytes ?? BULK_MIN_BYTES };
      await node.handle(FILE_PROTOCOL_BULK, (stream, conn) => serveFile(stream, conn.remotePeer.toString(), { ...fileDeps, bulk }), { maxInboundStreams: 16 });
    }
    await node.start();
    this.lastSeq = this.init.store.versionVector()[this.peerId] ?? 0;
    this.offCommit?.();
    this.offCommit = this.init.store.events.on('commit', (c) => void (c.author === this.peerId && this.pushCommits()));
    watchFile(this.init.trust.file, { interval: 300 }, this.onTrustFile);
    this.timers.push(setInterval(() => this.redial(), this.init.redialMs ?? 10_000));
    this.timers.push(setInterval(() => { for (const l of this.sessions.values()) void l.session.ping(); }, this.init.keepAliveMs ?? 20_000));
    this.log.info({ peerId: this.peerId, addrs: this.addresses() }, 'peer node started');
    this.redial();
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    this.offCommit?.();
    this.offCommit = undefined;
    unwatchFile(this.init.trust.file, this.onTrustFile);
    for (const l of this.sessions.values()) l.session.close('stopping');
    this.sessions.clear();
    const node = this.libp2p;
    this.libp2p = undefined;
    const bulk = this.bulkServer;
    this.bulkServer = undefined;
    await bulk?.close();
    await node?.stop();
  }

  /** The bulk channel's listener (tests look at its port and cut its connections). */
  get bulk(): BulkServer | undefined {
    return this.bulkServer;
  }

  /** Our listen addresses, each ending in /p2p/<peer id>. */
  addresses(): string[] {
    return this.libp2p?.getMultiaddrs().map(String) ?? [];
  }

  nearby(): NearbyPeer[] {
    return [...this.nearbyPeers.values()].filter((p) => !this.init.trust.isPaired(p.peerId));
  }

  peers(): PeerStatus[] {
    const t = this.init.trust;
    return t.peers().map((p) => ({
      peerId: p.id,
      name: p.name,
      addrs: p.addrs,
      pairedAt: p.pairedAt,
      state: t.state(p.id) ?? 'waiting',
      connected: this.sessions.get(p.id)?.session.established ?? false,
      grants: t.grantsFor(p.id),
    }));
  }

  async pair(peerId: string, opts: { name?: string; addrs?: string[] } = {}): Promise<void> {
    const seen = this.nearbyPeers.get(peerId)?.addrs ?? [];
    await this.init.trust.pair(peerId, { name: opts.name, addrs: [...(opts.addrs ?? []), ...seen] });
    await this.trustChanged(false);
  }

  async unpair(peerId: string): Promise<void> {
    await this.init.trust.unpair(peerId);
    await this.trustChanged(false);
  }

  async grant(share: string, peerId: string): Promise<void> {
    await this.init.trust.grant(share, peerId);
    await this.trustChanged(false);
  }

  async revoke(share: string, peerId: string): Promise<void> {
    await this.init.trust.revoke(share, peerId);
    await this.trustChanged(false);
  }

  /** Push this node's commits not yet pushed now (each commit is pushed on the store's `commit` event anyway). */
  notifyCommit(): void {
    this.pushCommits();
  }

  /** Re-run the sender side of every open session now (e.g. a full state the PIM layer asked for). */
  pushAll(): void {
    for (const l of this.sessions.values()) void l.session.push();
  }

  /** Open a sync session with a paired peer now (no-op when one is open). */
  async connect(peerId: string): Promise<void> {
    const node = this.libp2p;
    if (!node || this.dialing.has(peerId) || this.sessions.has(peerId) || !this.init.trust.isPaired(peerId)) return;
    this.dialing.add(peerId);
    try {
      const id = peerIdFromString(peerId);
      const addrs = this.init.trust.peer(peerId)?.addrs ?? [];
      if (addrs.length > 0) await node.peerStore.merge(id, { multiaddrs: addrs.flatMap((a) => { try { return [multiaddr(a)]; } catch { return []; } }) });
      const stream = await node.dialProtocol(id, SYNC_PROTOCOL, { signal: AbortSignal.timeout(10_000) });
      void this.runSync(stream, peerId, this.peerId);
    } catch (err) {
      this.log.debug({ peer: peerId, err: String(err) }, 'dial failed');
    } finally {
      this.dialing.delete(peerId);
    }
  }

  /**
   * Fetch content by hash into `outPath` from the first of `peers` (default: every paired peer, connected ones
   * first) that has it in a share granted to us. Resumes from `<outPath>.semsync-part`.
   */
  async fetchContent(hash: string, outPath: string, opts: { peers?: string[]; onProgress?: (p: FetchProgress) => void } = {}): Promise<{ peerId: string; bytes: number }> {
    const node = this.libp2p;
    if (!node) throw new FetchError('the peer node is not running');
    const hex = parseContentHash(hash);
    const candidates = opts.peers ?? this.peers().sort((a, b) => Number(b.connected) - Number(a.connected)).map((p) => p.peerId);
    const errors: string[] = [];
    for (const peerId of candidates) {
      // A connection can close under a new stream (two nodes that dialled each other at once keep one connection): a
      // failure after connecting is tried once more on a fresh connection; an answer (FetchError: denied, bad data) is not.
      for (let attempt = 1; ; attempt++) {
        let connected = false;
        try {
          const id = peerIdFromString(peerId);
          const addrs = this.init.trust.peer(peerId)?.addrs ?? [];
          if (addrs.length > 0) await node.peerStore.merge(id, { multiaddrs: addrs.map((a) => multiaddr(a)) });
          const signal = AbortSignal.timeout(10_000);
          const conn = await node.dial(id, { signal });
          connected = true;
          const stream = await conn.newStream([FILE_PROTOCOL_BULK, FILE_PROTOCOL], { signal });
          const bytes = await fetchOverStream(stream, peerId, hex, outPath, { onProgress: opts.onProgress, bulkHost: ipHost(conn.remoteAddr.toString()), log: this.log });
          return { peerId, bytes };
        } catch (err) {
          if (connected && attempt < 2 && !(err instanceof FetchError)) {
            this.log.debug({ peer: peerId, err: String(err) }, 'fetch: connection failed; trying once more');
            await new Promise((r) => setTimeout(r, 200));
            continue;
          }
          errors.push(`${peerId}: ${(err as Error).message}`);
          break;
        }
      }
    }
    throw new FetchError(`could not fetch urn:sha256:${hex}${errors.length ? ' (' + errors.join('; ') + ')' : ': no paired peers to ask'}`);
  }

  /**
   * Fetch many small files from `peerId` on one stream (batch.ts); each item's `error` says what failed. A peer that
   * does not speak the batch protocol gets one request per file.
   */
  async fetchBatch(peerId: string, items: BatchItem[]): Promise<void> {
    const node = this.libp2p;
    if (!node) throw new FetchError('the peer node is not running');
    const signal = AbortSignal.timeout(10_000);
    const conn = await node.dial(peerIdFromString(peerId), { signal });
    let stream;
    try {
      stream = await conn.newStream(FILES_PROTOCOL, { signal });
    } catch {
      for (const it of items) await this.fetchContent(it.hash, it.out, { peers: [peerId] }).catch((err: Error) => (it.error = err.message));
      return;
    }
    await fetchBatchOverStream(stream, peerId, items);
  }

  private discovered(peerId: string, addrs: string[]): void {
    if (peerId === this.peerId) return;
    const entry = { peerId, addrs, lastSeen: new Date().toISOString() };
    const isNew = !this.nearbyPeers.has(peerId);
    this.nearbyPeers.set(peerId, entry);
    if (this.init.trust.isPaired(peerId)) {
      // Not awaited (discovery goes on), so a failed write (a full disk, a home being removed) is logged here: an
      // unhandled rejection would stop the process.
      this.init.trust.addAddrs(peerId, addrs.filter((a) => !a.includes('/p2p-circuit'))).catch((err: unknown) => this.log.warn({ peer: peerId, err: String(err) }, 'could not remember the peer\'s addresses'));
      if (!this.sessions.has(peerId)) void this.connect(peerId);
    } else if (isNew) {
      this.emit('peer:nearby', entry);
    }
  }

  /** An unpaired peer dialled in to sync: listed nearby (its mDNS addresses kept) as asking to pair. */
  private askedToPair(peerId: string): void {
    this.discovered(peerId, this.nearbyPeers.get(peerId)?.addrs ?? []);
    const entry = this.nearbyPeers.get(peerId);
    if (entry) entry.asked = new Date().toISOString();
  }

  private redial(): void {
    for (const p of this.init.trust.peers()) if (!this.sessions.has(p.id)) void this.connect(p.id);
  }

  /** Every open session is sent this node's commits since the last push (once per new seq; none before start). */
  private pushCommits(): void {
    const seq = this.init.store.versionVector()[this.peerId] ?? 0;
    if (seq === this.lastSeq) return;
    this.lastSeq = seq;
    for (const l of this.sessions.values()) void l.session.push();
  }

  private async trustChanged(reload = true): Promise<void> {
    try {
      if (reload && !(await this.init.trust.reload())) return;
    } catch (err) {
      this.log.warn({ file: this.init.trust.file, err: String(err) }, 'trust file unreadable; keeping the last good one');
      return;
    }
    for (const [peerId, l] of this.sessions) {
      if (!this.init.trust.isPaired(peerId)) {
        l.session.close('unpaired');
        this.sessions.delete(peerId);
        void this.libp2p?.hangUp(peerIdFromString(peerId)).catch(() => {});
      } else {
        void l.session.push();
      }
    }
    this.redial();
  }

  /** Run one sync stream with `peerId` (authenticated by Noise) until it closes. */
  private async runSync(stream: Stream, peerId: string, initiator: string, _conn?: Connection): Promise<void> {
    const old = this.sessions.get(peerId);
    if (old && !old.session.closed) {
      // Both sides dialled at once: keep the session started by the smaller peer id; a redial replaces.
      if (old.initiator !== initiator && old.initiator < initiator) {
        await closeStream(stream);
        return;
      }
      old.session.close('replaced');
    }
    const maxFrame = this.init.maxFrame ?? DEFAULT_MAX_FRAME;
    let grace: NodeJS.Timeout | undefined;
    const session = new SyncSession({
      self: this.peerId,
      peer: peerId,
      store: this.init.store,
      trust: this.init.trust,
      codec: patchCodec,
      applyState: stateApplier(this.init.store),
      spill: this.init.stateSpillDir ? { dir: this.init.stateSpillDir } : undefined,
      maxStateBytes: this.init.maxStateBytes,
      bump: () => bumpOwnSeq(this.init.store, this.peerId),
      send: (m) => sendFrame(stream, encodeSync(m), maxFrame),
      close: () => {
        void closeStream(stream);
        grace = setTimeout(() => stream.abort(new Error('closed')), 2_000);
      },
      pairedSources: this.init.pairedSources ?? DEFAULT_PAIRED_SOURCES,
      log: this.log,
      onProgress: (p) => this.emit('sync:progress', p),
      onRemote: (s) => this.emit('peer:paired', { peerId, state: s === 'accepted' ? 'paired' : 'waiting' }),
    });
    const live: Live = { session, stream, initiator };
    const paired = this.init.trust.isPaired(peerId);
    if (paired) this.sessions.set(peerId, live);
    else this.askedToPair(peerId);
    let announced = false;
    try {
      await session.start();
      for await (const frames of readFrames(stream, maxFrame)) {
        for (const f of frames) await session.handle(decodeSync(f));
        if (!announced && session.established && paired) {
          announced = true;
          this.emit('peer:session', { peerId, open: true });
        }
        await session.flushAcks();
      }
    } catch (err) {
      const reason = (err as Error).message;
      if (err instanceof WireError || err instanceof ProtocolError) {
        this.log.warn({ peer: peerId, err: reason }, 'rejected a sync message; closing the connection');
        this.emit('sync:rejected', { peerId, reason });
        stream.abort(err as Error);
        void this.libp2p?.hangUp(peerIdFromString(peerId)).catch(() => {});
      } else {
        this.log.debug({ peer: peerId, err: reason }, 'sync stream ended');
      }
      stream.abort(err instanceof Error ? err : new Error(reason));
    } finally {
      if (grace) clearTimeout(grace);
      session.close('done');
      if (this.sessions.get(peerId) === live) {
        this.sessions.delete(peerId);
        if (announced) this.emit('peer:session', { peerId, open: false });
      }
    }
  }
}

/** The host of the first TCP listen address (where the bulk channel listens too), or undefined. */
export function listenHost(listen: readonly string[]): string | undefined {
  for (const a of listen) {
    const h = ipHost(a);
    if (h !== undefined) return h;
  }
  return undefined;
}

/** `/ip4/H/tcp/…` or `/ip6/H/tcp/…` (not relayed) → H. */
function ipHost(addr: string): string | undefined {
  if (addr.includes('/p2p-circuit')) return undefined;
  return /^\/ip[46]\/([^/]+)\/tcp\/\d+/.exec(addr)?.[1];
}

/** Build a peer node (not started). */
export function createPeerNode(init: PeerNodeInit): PeerNode {
  return new PeerNode(init);
}
