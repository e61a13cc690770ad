// Host targets (local folders placed like a device) and media roots (folders whose mounts count as devices): the
// config edits behind `semsync target add|remove` and `semsync devices root add|remove`.
import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { claimDevice } from '../devices/index.js';
import { KINDS } from '../rules/index.js';
import type { DeviceGraphs } from './device-graph.js';
import { UnknownDeviceError, type DeviceListing, type DeviceRow } from './device-rows.js';
import type { NodeHome } from './home.js';
import { makeTargetFolder } from './target-folder.js';

export interface TargetsComponents {
  home: NodeHome;
  user: () => string;
  listing: DeviceListing;
  graphs: DeviceGraphs;
  /** Told after each change: 'targets-changed' or 'roots-changed' (a running node follows). */
  changed: (what: 'targets-changed' | 'roots-changed') => void;
}

export class Targets {
  constructor(private readonly c: TargetsComponents) {}

  /** Make a local folder a placement target: it is claimed for this user like a device and placed after scans. */
  async addTarget(dir: string, name?: string, opts: { mirror?: boolean } = {}): Promise<DeviceRow> {
    const { home } = this.c;
    const abs = path.resolve(dir);
    await makeTargetFolder(abs);
    const real = await realpath(abs);
    const targetName = name ?? (path.basename(real) || 'target');
    const cfg = home.config;
    if (cfg.hostTargets.some((t) => t.name === targetName)) throw new UnknownDeviceError(`a target named "${targetName}" exists already`);
    if (cfg.hostTargets.some((t) => path.resolve(t.path) === real)) throw new UnknownDeviceError(`${real} is a target already`);
    if (cfg.shares.some((s) => real === s.path || real.startsWith(s.path + '/') || s.path.startsWith(real + '/'))) {
      throw new UnknownDeviceError(`${real} overlaps a shared folder; a target must be outside the shares (placed copies would be described again)`);
    }
    // A host target takes every kind, documents included (filed under Documents/<Category>/).
    const user = this.c.user();
    await claimDevice(home.paths.claims, real, { name: targetName, owner: user, user, accepts: [...KINDS], ...(opts.mirror ? { mirror: true } : {}) });
    await home.saveConfig({ ...cfg, hostTargets: [...cfg.hostTargets, { name: targetName, path: real }] });
    this.c.changed('targets-changed');
    return this.c.listing.find(real);
  }

  async removeTarget(name: string): Promise<boolean> {
    const { home } = this.c;
    const cfg = home.config;
    const next = cfg.hostTargets.filter((t) => t.name !== name && path.resolve(t.path) !== path.resolve(name));
    if (next.length === cfg.hostTargets.length) return false;
    await home.saveConfig({ ...cfg, hostTargets: next });
    // Its files stay, and so does its catalog graph: no longer placed, so marked detached.
    for (const t of cfg.hostTargets) if (!next.includes(t)) await this.c.graphs.detached(t.path).catch(() => false);
    this.c.changed('targets-changed');
    return true;
  }

  /** Media roots: folders whose mounts (and which themselves) count as devices. */
  async addRoot(dir: string): Promise<string[]> {
    const { home } = this.c;
    const abs = path.resolve(dir);
    const st = await stat(abs).catch(() => undefined);
    if (!st?.isDirectory()) throw new UnknownDeviceError(`${abs}: no such folder`);
    const real = await realpath(abs);
    const cfg = home.config;
    if (!cfg.mediaRoots.includes(real)) await home.saveConfig({ ...cfg, mediaRoots: [...cfg.mediaRoots, real] });
    this.c.changed('roots-changed');
    return home.config.mediaRoots;
  }

  async removeRoot(dir: string): Promise<string[]> {
    const { home } = this.c;
    const abs = path.resolve(dir);
    const real = await realpath(abs).catch(() => abs);
    const cfg = home.config;
    await home.saveConfig({ ...cfg, mediaRoots: cfg.mediaRoots.filter((r) => r !== real && r !== abs) });
    this.c.changed('roots-changed');
    return home.config.mediaRoots;
  }
}
