// Claiming devices (a JSON file in the node home) and listing attached devices with their state and free space.
import { randomUUID } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DeviceProfile, MediaKind } from '../rules/types.js';
import { writeFileAtomic } from './catalog.js';
import { DeviceForeignError } from './errors.js';
import { listVolumes, readMountTable, stableDeviceId, type MountEntry } from './mounts.js';
import { namingOf, PROFILE_DIR, PROFILE_FILE, readDeviceProfile, serializeDeviceTtl } from './profile.js';

/** One device claimed on this machine. */
export interface Claim {
  id: string;
  name: string;
  owner: string;
  /** Where it was mounted when claimed or last seen. */
  root: string;
  claimedAt: string;
}

export interface ClaimsFile {
  version: 1;
  devices: Record<string, Claim>;
}

export type DeviceState = 'unclaimed' | 'claimed' | 'foreign';

/** An attached device as `semsync devices` shows it. */
export interface DeviceInfo {
  /** The profile's id, or for a device without a profile the stable id it would be known by. */
  id: string;
  name: string;
  root: string;
  state: DeviceState;
  fsType: string;
  filesystem: DeviceProfile['filesystem'];
  kind: 'mount' | 'folder';
  /** Bytes free for an unprivileged writer, and total size (from statfs); undefined if statfs failed. */
  free?: number;
  total?: number;
  owner?: string;
  profile?: DeviceProfile;
  /** Why the profile could not be read (a broken device.ttl), if so. */
  error?: string;
}

/** The user this node acts for (the OS user, unless told). */
export function currentUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    return process.env.USER ?? 'unknown';
  }
}

/** The claims recorded in the node home; an empty set when the file does not exist yet. */
export async function readClaims(claimsPath: string): Promise<ClaimsFile> {
  try {
    const data = JSON.parse(await fsp.readFile(claimsPath, 'utf8')) as Partial<ClaimsFile>;
    return { version: 1, devices: data.devices ?? {} };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, devices: {} };
    throw e;
  }
}

async function writeClaims(claimsPath: string, claims: ClaimsFile): Promise<void> {
  await fsp.mkdir(path.dirname(claimsPath), { recursive: true });
  await writeFileAtomic(claimsPath, JSON.stringify(claims, null, 2) + '\n');
}

/** The state of a device for this user: foreign if its profile names another owner, claimed if claimed here. */
export function deviceState(profile: DeviceProfile | undefined, claims: ClaimsFile, user = currentUser()): DeviceState {
  if (profile?.owner && profile.owner !== user) return 'foreign';
  if (profile && claims.devices[profile.id]) return 'claimed';
  return 'unclaimed';
}

export interface ClaimOptions {
  name?: string;
  /** Who owns it (default: the current user). */
  owner?: string;
  /** What it takes (default: what the profile says; a music player takes music; anything else takes everything). */
  accepts?: MediaKind[];
  /** The user claiming (default: the OS user); a device owned by someone else cannot be claimed. */
  user?: string;
  mounts?: MountEntry[];
}

/**
 * Claim the device at `root`: write `.semsync/device.ttl` (only if it has none; a new id, or the stable id of a
 * music player) and record the claim in `claimsPath`. Throws DeviceForeignError for another user's device.
 */
export async function claimDevice(claimsPath: string, root: string, opts: ClaimOptions = {}): Promise<DeviceProfile> {
  const user = opts.user ?? currentUser();
  const owner = opts.owner ?? user;
  const before = await readDeviceProfile(root, { mounts: opts.mounts });
  if (before?.owner && before.owner !== owner) throw new DeviceForeignError(root, before.owner, owner);
  const hasTtl = await fsp.stat(path.join(root, PROFILE_FILE)).then(() => true, () => false);
  if (!hasTtl) {
    const id = before?.id ?? randomUUID();
    const name = opts.name ?? before?.name ?? (path.basename(path.resolve(root)) || 'device');
    const accepts = opts.accepts ?? (before ? before.accepts : ['ebook', 'music', 'photo']);
    await fsp.mkdir(path.join(root, PROFILE_DIR), { recursive: true });
    await writeFileAtomic(path.join(root, PROFILE_FILE), serializeDeviceTtl({ id, name, owner, accepts }));
  }
  const profile = await readDeviceProfile(root, { mounts: opts.mounts });
  if (!profile) throw new Error(`device ${root}: profile vanished while claiming`);
  const claims = await readClaims(claimsPath);
  claims.devices[profile.id] = {
    id: profile.id,
    name: opts.name ?? profile.name,
    owner: profile.owner ?? owner,
    root: path.resolve(root),
    claimedAt: new Date().toISOString(),
  };
  await writeClaims(claimsPath, claims);
  return profile;
}

/** Forget a claim made on this machine (the device's own files are not touched). */
export async function unclaimDevice(claimsPath: string, id: string): Promise<boolean> {
  const claims = await readClaims(claimsPath);
  if (!claims.devices[id]) return false;
  delete claims.devices[id];
  await writeClaims(claimsPath, claims);
  return true;
}

export interface ListDevicesOptions {
  /** The claims file in the node home. */
  claims: string;
  /** Configured media roots (also listed themselves, as plain-folder devices). */
  mediaRoots?: string[];
  user?: string;
  /** The mount table (default: /proc/self/mountinfo). */
  mounts?: MountEntry[];
}

/** Attached devices: id, name, mount point, state, filesystem and free space. Never writes to a device. */
export async function listDevices(opts: ListDevicesOptions): Promise<DeviceInfo[]> {
  const mounts = opts.mounts ?? (await readMountTable());
  const claims = await readClaims(opts.claims);
  const user = opts.user ?? currentUser();
  const vols = listVolumes(mounts, opts.mediaRoots ?? []);
  return Promise.all(
    vols.map(async (v): Promise<DeviceInfo> => {
      let profile: DeviceProfile | undefined;
      let error: string | undefined;
      try {
        profile = await readDeviceProfile(v.root, { mounts });
      } catch (e) {
        error = e instanceof Error ? e.message : String(e);
      }
      const st = await fsp.statfs(v.root).catch(() => undefined);
      const info: DeviceInfo = {
        id: profile?.id ?? (await stableDeviceId(v.root, mounts)),
        name: profile?.name ?? (path.basename(v.root) || v.root),
        root: v.root,
        state: deviceState(profile, claims, user),
        fsType: v.fsType,
        filesystem: profile?.filesystem ?? namingOf(v.fsType), // the naming rules placement follows there
        kind: v.kind,
        free: st ? st.bavail * st.bsize : undefined,
        total: st ? st.blocks * st.bsize : undefined,
      };
      if (profile) info.profile = profile;
      if (profile?.owner) info.owner = profile.owner;
      if (error) info.error = error;
      return info;
    }),
  );
}
