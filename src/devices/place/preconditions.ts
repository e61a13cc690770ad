// The one check before anything is written to a device: it is ours (profile owner), claimed on this machine, and
// this very volume. Placement runs it first; the node's placement glue can call the same functions.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { DeviceProfile } from '../../rules/index.js';
import { claimState, currentUser, type ClaimCheck } from '../claims.js';
import { deviceDir } from '../contain.js';
import { DeviceForeignError, DeviceNotClaimedError } from '../errors.js';
import { PROFILE_DIR, PROFILE_FILE, readDeviceProfile } from '../profile.js';

/** Throws DeviceForeignError when the profile names an owner other than `user`. */
export function assertOwner(root: string, profile: DeviceProfile, user: string): void {
  if (profile.owner && profile.owner !== user) throw new DeviceForeignError(root, profile.owner, user);
}

export interface AssertClaimedOptions {
  user: string;
  /** Why it is refused when the claim check gives no note of its own. */
  hint?: string;
  /**
   * Called when the device was claimed before claims were bound to the volume (`unbound`): it binds the claim (a host
   * target, named by its path in the node's config, has nothing to impersonate), then the claim is checked again.
   */
  bind?: () => Promise<unknown>;
}

/**
 * Throws DeviceNotClaimedError unless the device at `root` is claimed in `claimsFile` by the user AND holds this
 * node's claim secret on the same filesystem (see binding.ts). Returns the check.
 */
export async function assertClaimed(claimsFile: string, root: string, profile: DeviceProfile, o: AssertClaimedOptions): Promise<ClaimCheck> {
  let check = await claimState(claimsFile, root, profile, { user: o.user });
  if (check.unbound && o.bind) {
    await o.bind();
    check = await claimState(claimsFile, root, profile, { user: o.user });
  }
  if (check.state !== 'claimed') throw new DeviceNotClaimedError(root, check.note ?? o.hint ?? `device ${profile.id} is not claimed on this machine`);
  return check;
}

/**
 * A placement's preconditions, checked before anything is read or written on the device: `.semsync` is not a link,
 * the profile exists (DeviceNotClaimedError), and, when `claims` or `user` is given, the owner is the user
 * (DeviceForeignError) and, when `claims` is given, the device is claimed here. Returns the profile.
 */
export async function checkPreconditions(root: string, opts: { claims?: string; user?: string }): Promise<DeviceProfile> {
  // A `.semsync` that is a symbolic link (to a host folder) is refused before anything is read or written there.
  deviceDir(root, PROFILE_DIR, false);
  if (!(await fsp.stat(path.join(root, PROFILE_FILE)).catch(() => undefined))) throw new DeviceNotClaimedError(root, `no ${PROFILE_FILE}`);
  const profile = await readDeviceProfile(root);
  if (!profile) throw new DeviceNotClaimedError(root, 'no profile');
  const user = opts.user ?? currentUser();
  if (opts.claims || opts.user) assertOwner(root, profile, user);
  // Checked before anything is written: claimed here, and this very volume (its claim secret, its filesystem).
  if (opts.claims) await assertClaimed(opts.claims, root, profile, { user });
  return profile;
}
