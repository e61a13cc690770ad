// Watching for devices: poll the mount table (and the media roots) and emit 'attach'/'detach' with the volume.
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { listVolumes, MOUNTINFO, readMountTable, type Volume } from './mounts.js';

export interface WatchOptions {
  /** Configured media roots: mounts below them are candidates, and they are themselves plain-folder devices. */
  mediaRoots?: string[];
  /** How often to re-read the mount table (ms, default 1000). /proc mount files do not support inotify. */
  intervalMs?: number;
  /** Emit 'attach' for volumes already present when watching starts (default true). */
  emitExisting?: boolean;
  /** Another mountinfo file (for tests). */
  mountInfoPath?: string;
}

export interface MountWatcherEvents {
  attach: [Volume];
  detach: [Volume];
  error: [Error];
}

/** Emits 'attach' and 'detach' as volumes come and go. Call `close()` to stop. */
export class MountWatcher extends EventEmitter<MountWatcherEvents> {
  private known = new Map<string, Volume>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private closed = false;

  constructor(private readonly opts: WatchOptions = {}) {
    super();
  }

  /** The volumes currently known. */
  current(): Volume[] {
    return [...this.known.values()];
  }

  /** Read the mount table once and emit what changed. Resolves when done. */
  async poll(): Promise<void> {
    if (this.running) return this.running;
    this.running = this.scan().finally(() => (this.running = undefined));
    return this.running;
  }

  private key(v: Volume): string {
    return `${v.kind}\0${v.root}\0${v.fsType}\0${v.source ?? ''}`;
  }

  private async scan(): Promise<void> {
    let vols: Volume[];
    try {
      const mounts = await readMountTable(this.opts.mountInfoPath ?? MOUNTINFO);
      vols = listVolumes(mounts, this.opts.mediaRoots ?? []).filter((v) => v.kind === 'mount' || existsSync(v.root));
    } catch (e) {
      if (this.listenerCount('error')) this.emit('error', e instanceof Error ? e : new Error(String(e)));
      return;
    }
    if (this.closed) return;
    const next = new Map(vols.map((v) => [this.key(v), v]));
    for (const [k, v] of this.known) if (!next.has(k)) {
      this.known.delete(k);
      this.emit('detach', v);
    }
    for (const [k, v] of next) if (!this.known.has(k)) {
      this.known.set(k, v);
      this.emit('attach', v);
    }
  }

  /** Start polling. */
  async start(): Promise<this> {
    if (this.opts.emitExisting === false) {
      const mounts = await readMountTable(this.opts.mountInfoPath ?? MOUNTINFO);
      for (const v of listVolumes(mounts, this.opts.mediaRoots ?? [])) {
        if (v.kind === 'mount' || existsSync(v.root)) this.known.set(this.key(v), v);
      }
    } else {
      await this.poll();
    }
    const tick = () => {
      if (this.closed) return;
      void this.poll().finally(() => {
        if (!this.closed) this.timer = setTimeout(tick, this.opts.intervalMs ?? 1000).unref();
      });
    };
    this.timer = setTimeout(tick, this.opts.intervalMs ?? 1000).unref();
    return this;
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
  }
}

/** Start watching mounts and media roots; listen for 'attach' and 'detach'. */
export function watchMounts(opts: WatchOptions = {}): Promise<MountWatcher> {
  return new MountWatcher(opts).start();
}
