// Claiming devices (a JSON file in the node home) and listing attached devices with their state and free space.
import { randomUUID } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DeviceProfile, MediaKind } from '../rules/index.js';
import { bindClaim, bindingProblem, type ClaimBinding } from './binding.js';
import { writeFileAtomic } from '../base/index.js';
import { deviceDir } from './contain.js';
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
  /** What the claim is bound to (see binding.ts); absent in claims made before binding: those must be made again. */
  binding?: ClaimBinding;
}

export interface ClaimsFile {
  /** 2 since claims are bound to the volume (a version 1 file is read; its claims are not trusted until made again). */
  version: 1 | 2;
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
  /** Why a device carrying a claimed id is not that claim's device (another volume, or a claim made before binding). */
  note?: string;
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
    return { version: 2, devices: data.devices ?? {} };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { version: 2, devices: {} };
    throw e;
  }
}

async function writeClaims(claimsPath: string, claims: ClaimsFile): Promise<void> {
  await fsp.mkdir(path.dirname(claimsPath), { recursive: true });
  await writeFileAtomic(claimsPath, JSON.stringify(claims, null, 2) + '\n');
}

/** A device's state for this user, and why a device carrying a claimed id is not claimed. */
export interface ClaimCheck {
  state: DeviceState;
  note?: string;
  /** The profile's id is claimed here for another volume: this one is announced as a new device, under its own id. */
  otherVolume?: boolean;
  /** Claimed here before claims were bound to the volume: not trusted until claimed again. */
  unbound?: boolean;
}

/**
 * The state of the device at `root` for `user`: foreign if its profile names another owner; claimed only if it was
 * claimed here AND holds this node's claim secret on the same filesystem (see binding.ts); otherwise unclaimed, with
 * a note when its id is claimed here for another volume or by a claim made before claims were bound.
 */
export async function claimState(
  claimsPath: string, root: string, profile: DeviceProfile | undefined, opts: { user?: string; claims?: ClaimsFile; mounts?: MountEntry[] } = {},
): Promise<ClaimCheck> {
  const user = opts.user ?? currentUser();
  if (profile?.owner && profile.owner !== user) return { state: 'foreign' };
  if (!profile) return { state: 'unclaimed' };
  const claim = (opts.claims ?? (await readClaims(claimsPath))).devices[profile.id];
  if (!claim) return { state: 'unclaimed' };
  if (!claim.binding) {
    return { state: 'unclaimed', unbound: true, note: `device ${profile.id} was claimed before claims were bound to the volume: claim it again (\`semsync devices claim ${profile.id}\`) to let semsync write to it` };
  }
  const problem = await bindingProblem(claimsPath, root, profile.id, claim.binding, opts.mounts);
  return problem ? { state: 'unclaimed', note: `not the device claimed as ${profile.id}: ${problem}`, otherVolume: true } : { state: 'claimed' };
}

export interface ClaimOptions {
  name?: string;
  /** Who owns it (default: the current user). */
  owner?: string;
  /** What it takes (default: what the profile says; a music player takes music; anything else takes everything). */
  accepts?: MediaKind[];
  /** MIME types it takes, per kind (replacing the profile's for each kind named). */
  formats?: Partial<Record<MediaKind, string[]>>;
  /** `ss:mirror true`: what semsync placed goes when its content leaves the library (default: it stays). */
  mirror?: boolean;
  /** The user claiming (default: the OS user); a device owned by someone else cannot be claimed. */
  user?: string;
  mounts?: MountEntry[];
}

/**
 * Claim the device at `root`: write `.semsync/device.ttl` if it has none (a new id, or the stable id of a music
 * player), write this node's claim secret on it and record the claim, bound to that secret and the volume's
 * identity, in `claimsPath`. A volume whose id is claimed here for another volume gets a new id (its device.ttl is
 * rewritten): it is a new device. Throws DeviceForeignError for another user's device, DeviceEscapeError when
 * `.semsync` is a symbolic link.
 */
export async function claimDevice(claimsPath: string, root: string, opts: ClaimOptions = {}): Promise<DeviceProfile> {
  const user = opts.user ?? currentUser();
  const owner = opts.owner ?? user;
  const before = await readDeviceProfile(root, { mounts: opts.mounts });
  if (before?.owner && before.owner !== owner) throw new DeviceForeignError(root, before.owner, owner);
  const claims = await readClaims(claimsPath);
  const hasTtl = await fsp.lstat(path.join(root, PROFILE_FILE)).then(() => true, () => false);
  const existing = before ? claims.devices[before.id] : undefined;
  // Claimed here already, and this is that volume: nothing to write on the device.
  const same = existing?.binding && !(await bindingProblem(claimsPath, root, before!.id, existing.binding, opts.mounts));
  // Another volume holds the claim of this id: this one is a new device with an id of its own.
  const copy = existing?.binding !== undefined && !same;
  // What the person asked for now (a name, kinds, formats, mirroring) is written, never silently ignored.
  const asked = opts.name !== undefined || opts.accepts !== undefined || opts.formats !== undefined || opts.mirror !== undefined;
  if (!hasTtl || copy || (asked && profileChanges(before, opts))) {
    const id = copy ? randomUUID() : (before?.id ?? randomUUID());
    const name = opts.name ?? before?.name ?? (path.basename(path.resolve(root)) || 'device');
    const accepts = opts.accepts ?? (before ? before.accepts : ['ebook', 'music', 'photo']);
    deviceDir(root, PROFILE_DIR, true);
    // A profile rewritten (a copy's new id, or what was asked) keeps what it said; a new one starts plain.
    const kept: { formats?: DeviceProfile['formats']; folders?: DeviceProfile['folders']; folderDepth?: number; mirror?: boolean; nameRules?: 'posix' } = before && (copy || hasTtl)
      ? { formats: before.formats, folders: before.folders, folderDepth: before.folderDepth, mirror: before.mirror, ...(before.filesystem === 'posix' ? { nameRules: 'posix' as const } : {}) }
      : {};
    const formats = { ...(kept.formats ?? {}), ...(opts.formats ?? {}) };
    const mirror = opts.mirror ?? kept.mirror;
    await writeFileAtomic(
      path.join(root, PROFILE_FILE),
      serializeDeviceTtl({ id, name, owner: before?.owner ?? owner, accepts, ...kept, formats, mirror }),
      { mode: 0o666 }, // readable by the person's other nodes (another uid on ext4 or tmpfs), less the umask
    );
  }
  const profile = await readDeviceProfile(root, { mounts: opts.mounts });
  if (!profile) throw new Error(`device ${root}: profile vanished while claiming`);
  const binding = same ? existing!.binding! : await bindClaim(claimsPath, root, profile.id, opts.mounts);
  const now = await readClaims(claimsPath); // another claim may have been recorded meanwhile
  now.devices[profile.id] = {
    id: profile.id,
    name: opts.name ?? profile.name,
    owner: profile.owner ?? owner,
    root: path.resolve(root),
    claimedAt: same ? existing!.claimedAt : new Date().toISOString(),
    binding,
  };
  await writeClaims(claimsPath, now);
  return profile;
}

/** Whether what was asked differs from the profile as it is. */
function profileChanges(before: DeviceProfile | undefined, opts: ClaimOptions): boolean {
  if (!before) return true;
  if (opts.name !== undefined && opts.name !== before.name) return true;
  if (opts.accepts !== undefined && [...opts.accepts].sort().join() !== [...before.accepts].sort().join()) return true;
  if (opts.mirror !== undefined && opts.mirror !== Boolean(before.mirror)) return true;
  for (const [k, list] of Object.entries(opts.formats ?? {})) if ((list ?? []).join() !== (before.formats[k as MediaKind] ?? []).join()) return true;
  return false;
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
      const check = await claimState(opts.claims, v.root, profile, { user, claims, mounts });
      // A volume carrying another's claimed id is announced as a new device, under an id of its own.
      let own = profile && !check.otherVolume ? profile.id : await stableDeviceId(v.root, mounts);
      if (check.otherVolume && own === profile?.id) own = await stableDeviceId(v.root, []); // the same FAT serial: by its path
      const info: DeviceInfo = {
        id: own,
        name: profile?.name ?? (path.basename(v.root) || v.root),
        root: v.root,
        state: check.state,
        fsType: v.fsType,
        filesystem: profile?.filesystem ?? namingOf(v.fsType), // the naming rules placement follows there
        kind: v.kind,
        free: st ? st.bavail * st.bsize : undefined,
        total: st ? st.blocks * st.bsize : undefined,
      };
      if (profile) info.profile = profile;
      if (profile?.owner) info.owner = profile.owner;
      if (error) info.error = error;
      if (check.note) info.note = check.note;
      return info;
    }),
  );
}
