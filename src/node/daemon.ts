// The running node's parts beside the store: keeps the shares described and watched; peers and devices join here.
import { ShareWatcher, type ScanSummary } from '../library/index.js';
import { backoffMs, isTransient, type PendingWork } from '../library/index.js';
import type { ShareConfig } from '../app/index.js';
import type { SemsyncNode } from './node.js';
import { FileConflicts, NodePeers, type PeersOptions } from '../app/index.js';
import { pimOf } from './pim.js';
import { copiesOf } from './copies.js';
import { DeviceWatch, type DeviceWatchOptions } from './device-watch.js';

export interface DaemonEvents {
  onScan?: (summary: ScanSummary) => void;
  onError?: (where: string, err: Error) => void;
  /** The peer node (listen addresses, mDNS); false: no peer node. Default: on, with the config's addresses. */
  peers?: PeersOptions | false;
  /** A peer event worth a line on the console (connected, disconnected, rejected). */
  onPeer?: (line: string) => void;
  /** Devices: watch mounts and media roots, place claimed devices and host targets (default on); false: off. */
  devices?: Omit<DeviceWatchOptions, 'say' | 'peers'> | false;
  /** A device event worth a line on the console (attached, unclaimed, placed, failed). */
  onDevice?: (line: string) => void;
}

export class NodeDaemon {
  private watcher: ShareWatcher | undefined;
  private readonly abort = new AbortController();
  private work: Promise<unknown> = Promise.resolve();
  private started = false;
  private readonly onShareAdded = (s: ShareConfig) => this.follow(s.name);
  private readonly onShareRemoved = (name: string) => void this.watcher?.remove(name);
  /** The peer side (set once start() has started it). */
  peers: NodePeers | undefined;
  /** The device side (set once start() has started it). */
  devices: DeviceWatch | undefined;
  /** Stops adopting other nodes' edits of file descriptions (app/file-conflicts.ts). */
  private unfollowEdits: (() => void) | undefined;
  private unfollowCopies: (() => void) | undefined;
  /** Scans that failed for a transient reason (a full disk), by the shares they cover ('' for all): retried with back-off. */
  private readonly scanRetries = new Map<string, { names?: string[]; attempts: number; error: string; retryAt: number; timer: NodeJS.Timeout }>();

  constructor(
    readonly node: SemsyncNode,
    private readonly events: DaemonEvents = {},
    /** First wait before a scan or update that failed on a full disk is tried again (doubles up to a minute). */
    private readonly retryMs = 1000,
  ) {}

  /** Watches every share, then scans them; resolves when the first scan is done. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    if (this.events.peers !== false) await this.startPeers(this.events.peers ?? {});
    await pimOf(this.node).start((line) => this.events.onPeer?.(line)); // periodic CalDAV/CardDAV syncs
    this.watcher = new ShareWatcher(this.node.indexer, {
      retryMs: this.retryMs,
      onUpdate: (s) => {
        this.peers?.notifyCommit();
        this.events.onScan?.(s);
      },
      onError: (err) => this.events.onError?.('watch', err),
    });
    this.node.on('share-added', this.onShareAdded);
    this.node.on('share-removed', this.onShareRemoved);
    // Watch first, then scan: a change made during the scan is not missed.
    for (const share of this.node.shares()) await this.watcher.add(share);
    this.node.pendingWork = () => this.pendingWork();
    this.work = this.scan(undefined);
    await this.work;
    if (this.events.devices !== false && this.started) {
      const devices = new DeviceWatch(this.node, { ...(this.events.devices ?? {}), say: (l) => this.events.onDevice?.(l), peers: () => this.peers });
      await devices.start();
      this.devices = devices;
    }
  }

  /** Stops watching and interrupts a scan in progress (what it read so far is kept). */
  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    this.abort.abort();
    for (const r of this.scanRetries.values()) clearTimeout(r.timer);
    this.scanRetries.clear();
    this.node.pendingWork = () => [];
    await this.devices?.stop().catch((err) => this.events.onError?.('devices', err as Error));
    this.node.off('share-added', this.onShareAdded);
    this.node.off('share-removed', this.onShareRemoved);
    await this.work.catch(() => {});
    await this.watcher?.close();
    await pimOf(this.node).stop();
    this.unfollowEdits?.();
    this.unfollowCopies?.();
    await this.peers?.stop().catch((err) => this.events.onError?.('peers', err as Error));
  }

  private async startPeers(options: PeersOptions): Promise<void> {
    const peers = await NodePeers.open(this.node, options);
    await pimOf(this.node).attach(peers); // the PIM privacy policy hook, before any session opens
    // a peer's edit of a file description that had seen this node's is taken into this node's own description
    const ownNodes = async () => new Set(Object.keys(await pimOf(this.node).admissions.peerPolicies()));
    this.unfollowEdits = new FileConflicts({ store: this.node.store, ownNodes }).follow((err) => this.events.onError?.('edits', err));
    // folders kept as copies of a peer's share follow its graph (app/share-copy.ts)
    this.unfollowCopies = copiesOf(this.node, (hash, out, peer) => peers.fetchFrom(hash, out, peer), (peer, items) => peers.fetchBatch(peer, items)).follow((err) => this.events.onError?.('copies', err), (line) => this.events.onDevice?.(line));
    const peer = await peers.start();
    const say = (line: string) => this.events.onPeer?.(line);
    peer.on('peer:session', (e) => say(`peer ${e.peerId} ${e.open ? 'connected' : 'disconnected'}`));
    peer.on('peer:nearby', (e) => say(`peer ${e.peerId} nearby (not paired; \`semsync pair ${e.peerId}\` to trust it)`));
    peer.on('sync:rejected', (e) => say(`peer ${e.peerId}: rejected a message (${e.reason}); connection closed`));
    this.peers = peers;
    say(`peer ${peers.identity.peerId} listening on ${peer.addresses().join(' ') || '(no addresses)'}`);
  }

  private follow(name: string): void {
    const share = this.node.share(name);
    this.work = this.work
      .then(async () => {
        await this.watcher?.add(share);
        await this.scan([name]);
      })
      .catch((err) => this.events.onError?.('scan', err as Error));
  }

  /** What waits for a retry after a full disk: changes the watcher saw, and whole scans. */
  pendingWork(): PendingWork[] {
    const scans = [...this.scanRetries.values()].map((r) => ({
      share: r.names ? r.names.join(', ') : this.node.shares().map((s) => s.name).join(', '),
      kind: 'scan' as const,
      error: r.error,
      attempts: r.attempts,
      retryAt: new Date(r.retryAt).toISOString(),
    }));
    return [...scans, ...(this.watcher?.pendingWork() ?? [])];
  }

  /**
   * Scans the shares (all, or the named ones). A failure never stops the node: it is said, and when it is transient
   * (a full disk: the files that arrived meanwhile are not described yet) the scan is tried again with back-off.
   */
  private async scan(names: string[] | undefined): Promise<void> {
    const key = names?.join('\u0000') ?? '';
    try {
      const all = await this.node.scan(names, undefined, this.abort.signal);
      this.scanRetries.delete(key);
      this.peers?.notifyCommit();
      all.forEach((s) => this.events.onScan?.(s));
    } catch (err) {
      if (!this.started) return;
      this.peers?.notifyCommit(); // the batches committed before the failure
      const e = err as Error;
      if (!isTransient(e)) return this.events.onError?.('scan', e);
      const attempts = (this.scanRetries.get(key)?.attempts ?? 0) + 1;
      const wait = backoffMs(attempts, this.retryMs);
      const timer = setTimeout(() => {
        this.work = this.work.then(() => this.scan(names)).catch((x) => this.events.onError?.('scan', x as Error));
      }, wait);
      timer.unref();
      this.scanRetries.set(key, { names, attempts, error: e.message, retryAt: Date.now() + wait, timer });
      this.events.onError?.('scan', new Error(`${e.message} (the scan is tried again in ${Math.round(wait / 1000)} s; \`semsync status\` shows what waits)`, { cause: e }));
    }
  }
}
