// The running node's device side: watches mounts and media roots, announces unclaimed devices, places claimed ones and host targets.
import { EventEmitter } from 'node:events';
import { MountWatcher, readDeviceProfile, readClaims, claimState, DeviceIoError, type Volume } from '../devices/index.js';
import type { SemsyncNode } from './node.js';
import type { NodePeers } from '../app/index.js';
import { devicesOf, type ContentFetcher, type NodeDevices, type PlaceSummary } from './devices.js';

export interface DeviceWatchOptions {
  /** A line worth printing (attach, detach, unclaimed, placed). */
  say?: (line: string) => void;
  /** The running node's peer side, to fetch content this node lacks. */
  peers?: () => NodePeers | undefined;
  /** Mount-table poll and graph-change check interval (ms, default 1000). */
  intervalMs?: number;
  /**
   * With nothing to place (no host target, no device attached), how long categories may lag a library that keeps
   * changing from one check to the next (ms, default 5000): see {@link settleFirst}.
   */
  settleMs?: number;
}

/**
 * Whether a library change seen at a check waits for the next one instead of refreshing categories now: only when
 * nothing is to be placed (`idle`), the rules are unchanged, the library moved again since the previous check
 * (commits are still arriving: a share taking in 10,000 files) and the first change not yet refreshed is younger
 * than `settleMs`. Categories then lag by at most `settleMs` plus one check; placing never waits.
 */
export function settleFirst(s: { idle: boolean; rulesChanged: boolean; moving: boolean; waitedMs: number; settleMs: number }): boolean {
  return s.idle && !s.rulesChanged && s.moving && s.waitedMs < s.settleMs;
}

/** A device event, also emitted as 'device' for embedders (and the dashboard). */
export interface DeviceEvent {
  event: 'attached' | 'detached' | 'unclaimed' | 'foreign' | 'placed' | 'failed';
  root: string;
  id?: string;
  name?: string;
  summary?: PlaceSummary;
  error?: string;
}

export class DeviceWatch extends EventEmitter {
  readonly devices: NodeDevices;
  private watcher: MountWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastVv = '';
  private lastRules = '';
  /** The library key at the previous check, and when a change not yet refreshed was first seen. */
  private lastTickKey = '';
  private pendingSince: number | undefined;
  private refreshing: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private readonly abort = new AbortController();
  private readonly onRoots = () => void this.restartWatcher();
  private readonly onTargets = () => this.schedule();
  private readonly onClaimed = (root: string) => {
    if (this.watcher?.current().some((v) => v.root === root)) void this.placeOne(root, 'claimed');
  };

  constructor(
    readonly node: SemsyncNode,
    private readonly opts: DeviceWatchOptions = {},
  ) {
    super();
    this.devices = devicesOf(node);
  }

  /** How this node's placements fetch content it lacks: from the running peer side, if it runs. */
  private readonly fetcher = (): ContentFetcher | undefined => {
    const peers = this.opts.peers?.();
    if (!peers?.running) return undefined;
    return async (hash, out) => void (await peers.fetch(hash, out));
  };

  private say(line: string): void {
    this.opts.say?.(line);
  }

  private tell(e: DeviceEvent): void {
    this.emit('device', e);
  }

  async start(): Promise<void> {
    this.devices.on('roots-changed', this.onRoots);
    this.devices.on('targets-changed', this.onTargets);
    this.devices.on('claimed', this.onClaimed);
    await this.restartWatcher();
    // A device unplugged while the node was stopped: its graph says detached now.
    const attachedNow = [...(this.watcher?.current() ?? []).map((v) => v.root), ...this.node.config.hostTargets.map((t) => t.path)];
    const gone = await this.devices.graphs.detachMissing(attachedNow).catch(() => 0);
    if (gone) this.say(`devices: ${gone} device(s) unplugged while the node was stopped marked detached`);
    // Host targets and attached devices are brought up to date now, then whenever the graph or the rules change.
    this.schedule();
    this.lastTickKey = this.devices.libraryKey();
    const tick = () => {
      if (this.stopped) return;
      // The graph changed (scan, peer, import), or a rules file did (a user's new category or template).
      const key = this.devices.libraryKey();
      const rulesChanged = this.devices.rulesStamp() !== this.lastRules;
      if (key !== this.lastVv || rulesChanged) {
        const now = Date.now();
        this.pendingSince ??= now;
        const moving = key !== this.lastTickKey;
        if (!settleFirst({ idle: this.idle(), rulesChanged, moving, waitedMs: now - this.pendingSince, settleMs: this.opts.settleMs ?? 5000 })) this.schedule();
      }
      this.lastTickKey = key;
      this.timer = setTimeout(tick, this.opts.intervalMs ?? 1000).unref();
    };
    this.timer = setTimeout(tick, this.opts.intervalMs ?? 1000).unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    if (this.timer) clearTimeout(this.timer);
    this.watcher?.close();
    this.devices.off('roots-changed', this.onRoots);
    this.devices.off('targets-changed', this.onTargets);
    this.devices.off('claimed', this.onClaimed);
    await this.refreshing?.catch(() => undefined);
    await this.devices.graphsSettled();
  }

  private async restartWatcher(): Promise<void> {
    this.watcher?.close();
    const targets = new Set(this.node.config.hostTargets.map((t) => t.path));
    const w = new MountWatcher({ mediaRoots: this.node.config.mediaRoots, intervalMs: this.opts.intervalMs ?? 1000 });
    w.on('attach', (v) => {
      if (!targets.has(v.root)) void this.attached(v);
    });
    w.on('detach', (v) => {
      if (targets.has(v.root)) return;
      this.say(`device at ${v.root} detached`);
      this.tell({ event: 'detached', root: v.root });
      // Its catalog graph stays, marked detached: the copies on it are still the person's, somewhere.
      void this.devices.graphs.detached(v.root).catch((e: unknown) => this.say(`device at ${v.root}: ${(e as Error).message}`));
    });
    w.on('error', (e) => this.say(`devices: cannot read the mount table: ${e.message}`));
    this.watcher = w;
    await w.start();
  }

  private async attached(v: Volume): Promise<void> {
    try {
      const profile = await readDeviceProfile(v.root);
      const { state, note } = await claimState(this.node.paths.claims, v.root, profile, { user: this.devices.user });
      if (state === 'foreign') {
        this.say(`device ${profile!.name} (${profile!.id}) attached at ${v.root}: owned by ${profile!.owner}; left alone`);
        return this.tell({ event: 'foreign', root: v.root, id: profile!.id, name: profile!.name });
      }
      // What is on it goes into the graph, claimed here or not (read only): a reader claimed on another of the
      // person's nodes shows its copies here too.
      const row = profile ? await this.devices.find(v.root).catch(() => undefined) : undefined;
      if (row) await this.devices.loadGraph(row, profile);
      if (state === 'unclaimed') {
        const found = row ?? (await this.devices.find(v.root).catch(() => undefined));
        const id = found?.id ?? v.root;
        this.say(`new device attached at ${v.root} (${v.fsType}, id ${id}): not claimed, nothing is written to it; \`semsync devices claim ${id}\` to let semsync fill it${note ? ` (${note})` : ''}`);
        return this.tell({ event: 'unclaimed', root: v.root, id, name: found?.name, ...(note ? { error: note } : {}) });
      }
      this.say(`device ${profile!.name} (${profile!.id}) attached at ${v.root}`);
      this.tell({ event: 'attached', root: v.root, id: profile!.id, name: profile!.name });
      await this.placeOne(v.root, 'attached');
    } catch (e) {
      this.say(`device at ${v.root}: ${(e as Error).message}`);
      this.tell({ event: 'failed', root: v.root, error: (e as Error).message });
    }
  }

  /** Place one device or target, logging progress (every 10%) and the outcome. */
  private async placeOne(root: string, why: string): Promise<void> {
    let lastTenth = -1;
    try {
      const s = await this.devices.place(root, {
        signal: this.abort.signal,
        fetcher: this.fetcher,
        onProgress: (p) => {
          const tenth = p.total ? Math.floor((p.done * 10) / p.total) : 10;
          if (p.phase === 'copy' && tenth !== lastTenth && p.total >= 20) {
            lastTenth = tenth;
            this.say(`placing on ${root}: ${p.done}/${p.total} files, ${p.bytes}/${p.totalBytes} bytes`);
          }
        },
      });
      if (s.copied + s.removed + s.errors.length > 0 || (why !== 'changed' && s.planned.copy + s.planned.remove > 0)) {
        this.say(`placed on ${s.name} (${root}): copied ${s.copied}, removed ${s.removed}, skipped ${s.skipped.length}, errors ${s.errors.length}`);
      }
      for (const e of s.errors) this.say(`  ${e.target ?? e.content}: ${e.message}`);
      this.tell({ event: 'placed', root, id: s.device, name: s.name, summary: s });
    } catch (e) {
      const msg = e instanceof DeviceIoError ? `${e.message}; the device was probably detached: the next attach finishes the job` : (e as Error).message;
      if (!this.stopped) this.say(`placing on ${root} failed: ${msg}`);
      this.tell({ event: 'failed', root, error: msg });
    }
  }

  /** Refresh categories, then place every host target and every attached claimed device (one run at a time). */
  private schedule(): void {
    if (this.stopped) return;
    if (this.refreshing) {
      this.again = true;
      return;
    }
    this.refreshing = this.refresh()
      .catch((e) => this.say(`devices: ${(e as Error).message}`))
      .finally(() => {
        this.refreshing = undefined;
        if (this.again) {
          this.again = false;
          this.schedule();
        }
      });
  }

  /** Nothing to place now: no host target and no device attached (claimed or not). */
  private idle(): boolean {
    return this.node.config.hostTargets.length === 0 && (this.watcher?.current() ?? []).length === 0;
  }

  private async refresh(): Promise<void> {
    this.pendingSince = undefined;
    this.lastVv = this.devices.libraryKey();
    this.lastRules = this.devices.rulesStamp(); // a broken rules file is reported once, not every second
    // With nothing to place, the sources and template fields are not worked out ahead (a later plan does it).
    const c = await this.devices.refreshCategories({ prepare: !this.idle() });
    if (c.added + c.removed > 0) this.say(`categories: ${c.added} statements added, ${c.removed} removed`);
    this.lastVv = this.devices.libraryKey();
    for (const t of this.node.config.hostTargets) {
      if (this.stopped) return;
      await this.placeOne(t.path, 'changed');
    }
    const claims = await readClaims(this.node.paths.claims);
    for (const v of this.watcher?.current() ?? []) {
      if (this.stopped) return;
      const profile = await readDeviceProfile(v.root).catch(() => undefined);
      const { state } = await claimState(this.node.paths.claims, v.root, profile, { user: this.devices.user, claims });
      if (state === 'claimed') await this.placeOne(v.root, 'changed');
    }
  }
}
