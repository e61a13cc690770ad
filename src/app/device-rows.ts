// Which devices and host targets are attached, as `semsync devices` lists them, and finding one by id, name or path.
import { statfs, realpath } from 'node:fs/promises';
import path from 'node:path';
import { claimState, listDevices, readClaims, readDeviceProfile, readMountTable, stableDeviceId, type DeviceInfo } from '../devices/index.js';
import type { DeviceProfile } from '../rules/index.js';
import { FailureError } from '../base/index.js';
import type { NodeHome } from './home.js';

/** A device the user named that is not attached (or not known): exit 1. */
export class UnknownDeviceError extends FailureError {
  override name = 'UnknownDeviceError';
}

/** One attached device or host target, as `semsync devices` shows it. */
export interface DeviceRow {
  id: string;
  name: string;
  root: string;
  state: DeviceInfo['state'];
  /** 'mount' (a mounted volume), 'folder' (a media root), 'target' (a host folder placed like a device). */
  kind: 'mount' | 'folder' | 'target';
  fsType: string;
  filesystem: DeviceProfile['filesystem'];
  free?: number;
  total?: number;
  owner?: string;
  accepts?: string[];
  error?: string;
  /** Why a device carrying a claimed id is not that claim's device (another volume, a claim made before binding). */
  note?: string;
}

export interface DeviceListingComponents {
  home: NodeHome;
  /** The user this node places for (read at each call: a test or an embedder may change it). */
  user: () => string;
}

export class DeviceListing {
  constructor(private readonly c: DeviceListingComponents) {}

  /** Attached devices (mounts, media roots) and host targets. Never writes to a device. */
  async list(): Promise<DeviceRow[]> {
    const { home } = this.c;
    const user = this.c.user();
    const mounts = await readMountTable().catch(() => []);
    const targets = home.config.hostTargets.map((t) => path.resolve(t.path));
    const infos = await listDevices({ claims: home.paths.claims, mediaRoots: home.config.mediaRoots, user, mounts });
    const rows: DeviceRow[] = infos.filter((i) => !targets.includes(i.root)).map((i) => row(i, i.kind));
    const claims = await readClaims(home.paths.claims);
    for (const t of home.config.hostTargets) {
      let profile: DeviceProfile | undefined;
      let error: string | undefined;
      try {
        profile = await readDeviceProfile(t.path, { mounts });
      } catch (e) {
        error = (e as Error).message;
      }
      const st = await statfs(t.path).catch(() => undefined);
      const check = profile ? await claimState(home.paths.claims, t.path, profile, { user, claims, mounts }) : { state: 'unclaimed' as const };
      rows.push({
        id: profile?.id ?? `host-${t.name}`, name: t.name, root: path.resolve(t.path),
        state: check.state, kind: 'target', fsType: 'folder', ...(check.note ? { note: check.note } : {}),
        filesystem: 'posix', free: st ? st.bavail * st.bsize : undefined, total: st ? st.blocks * st.bsize : undefined,
        ...(profile?.owner ? { owner: profile.owner } : {}), ...(profile ? { accepts: profile.accepts } : {}), ...(error ? { error } : {}),
      });
    }
    return rows;
  }

  /** The attached device (or target) named by id, name or path. */
  async find(idOrPath: string): Promise<DeviceRow> {
    const rows = await this.list();
    const abs = path.resolve(idOrPath);
    const real = await realpath(abs).catch(() => abs);
    const hit =
      rows.find((r) => r.id === idOrPath) ??
      rows.find((r) => r.root === abs || r.root === real) ??
      rows.find((r) => r.name === idOrPath);
    if (hit) return hit;
    // A claimed device that was named by the stable id it was listed under before its claim.
    const mounts = await readMountTable().catch(() => []);
    for (const r of rows) if ((await stableDeviceId(r.root, mounts)) === idOrPath) return r;
    const known = rows.map((r) => `${r.id} (${r.name}, ${r.root})`).join('; ') || 'none';
    throw new UnknownDeviceError(`no attached device or target "${idOrPath}"; attached: ${known}. See \`semsync devices\`.`);
  }
}

function row(i: DeviceInfo, kind: DeviceRow['kind']): DeviceRow {
  return {
    id: i.id, name: i.name, root: i.root, state: i.state, kind, fsType: i.fsType, filesystem: i.filesystem,
    ...(i.free !== undefined ? { free: i.free } : {}), ...(i.total !== undefined ? { total: i.total } : {}),
    ...(i.owner ? { owner: i.owner } : {}), ...(i.profile ? { accepts: i.profile.accepts } : {}), ...(i.error ? { error: i.error } : {}),
    ...(i.note ? { note: i.note } : {}),
  };
}
