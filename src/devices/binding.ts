// Claim binding: a claim holds for one volume only. On claim the node writes a random secret on the device
// (`.semsync/claim-<node>`) and keeps a keyed hash (HMAC-SHA256 with a node key that never leaves the node home) of
// the device id, that secret and the volume's filesystem identity. A volume carrying a copied `device.ttl` (or the
// same FAT serial) lacks the secret or the identity: it is a new, unclaimed device.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { constants, promises as fsp } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../base/index.js';
import { deviceDir, READ_NOFOLLOW } from './contain.js';
import { filesystemUuid, mountFor, readMountTable, type MountEntry } from './mounts.js';
import { PROFILE_DIR } from './profile.js';

/** What a claim is bound to: `mac` over the device id, the secret and the identity parts named in `identity`. */
export interface ClaimBinding {
  /** HMAC-SHA256 (hex) with the node key of [id, secret, identity values]. */
  mac: string;
  /** The filesystem identity kinds the claim used ('uuid': the filesystem UUID; 'btime': the secret file's birth time). */
  identity: IdentityKind[];
}

export type IdentityKind = 'uuid' | 'btime';

/** The node key file beside the claims file (`devices.json` → `devices.key`), 32 random bytes, mode 0600. */
export function nodeKeyPath(claimsPath: string): string {
  return claimsPath.replace(/(\.json)?$/, '.key');
}

/** The node key (made on first use unless `create` is false: then undefined when there is none). */
export async function nodeKey(claimsPath: string, create: boolean): Promise<Buffer | undefined> {
  const file = nodeKeyPath(claimsPath);
  const read = async () => {
    const hex = (await fsp.readFile(file, 'utf8')).trim();
    if (!/^[0-9a-f]{64}$/.test(hex)) throw new Error(`${file}: not a device claim key (64 hex digits); remove it and claim the devices again`);
    return Buffer.from(hex, 'hex');
  };
  try {
    return await read();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    if (!create) return undefined;
  }
  await fsp.mkdir(path.dirname(file), { recursive: true });
  try {
    const fh = await fsp.open(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
    try {
      await fh.writeFile(randomBytes(32).toString('hex') + '\n');
      await fh.sync().catch(() => undefined);
    } finally {
      await fh.close();
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e; // another process made it meanwhile
  }
  return read();
}

/** The device-relative name of this node's claim secret (a different file per node key, so two nodes can claim one stick). */
export function secretName(key: Buffer): string {
  return `${PROFILE_DIR}/claim-${createHmac('sha256', key).update('semsync device claim file').digest('hex').slice(0, 16)}`;
}

/** The claim secret this node wrote on the device at `root` (a plain file, never read through a link), if any. */
async function readSecret(root: string, key: Buffer): Promise<string | undefined> {
  if (!deviceDir(root, PROFILE_DIR, false)) return undefined;
  const fh = await fsp.open(path.join(root, secretName(key)), READ_NOFOLLOW).catch(() => undefined);
  if (!fh) return undefined;
  try {
    const buf = Buffer.alloc(128);
    const { bytesRead } = await fh.read(buf, 0, 128, 0);
    const hex = buf.subarray(0, bytesRead).toString('utf8').trim();
    return /^[0-9a-f]{64}$/.test(hex) ? hex : undefined;
  } finally {
    await fh.close();
  }
}

/**
 * The volume's identity parts available now: the filesystem UUID (from /dev/disk/by-uuid, for a mounted block
 * device) and the birth time of the secret file (kept by the kernel on tmpfs, ext4, btrfs, xfs, exFAT...; a copy of
 * the file is a new file with a new birth time; 0 or absent where the filesystem does not record one, as fusefat).
 */
async function identity(root: string, key: Buffer, mounts: MountEntry[] | undefined): Promise<Map<IdentityKind, string>> {
  const out = new Map<IdentityKind, string>();
  const table = mounts ?? (await readMountTable().catch(() => []));
  const m = mountFor(root, table);
  const uuid = m && m.mountPoint === path.resolve(root) ? await filesystemUuid(m.source) : undefined;
  if (uuid) out.set('uuid', uuid.toLowerCase());
  const st = await fsp.lstat(path.join(root, secretName(key)), { bigint: true }).catch(() => undefined);
  if (st && st.birthtimeNs > 0n) out.set('btime', st.birthtimeNs.toString());
  return out;
}

const macOf = (key: Buffer, id: string, secret: string, parts: string[]) =>
  createHmac('sha256', key).update(JSON.stringify([id, secret, ...parts])).digest('hex');

/**
 * Write a fresh claim secret for this node on the device (its `.semsync` checked not to be a link) and return the
 * binding of `id` to it and to the volume's identity.
 */
export async function bindClaim(claimsPath: string, root: string, id: string, mounts?: MountEntry[]): Promise<ClaimBinding> {
  const key = (await nodeKey(claimsPath, true))!;
  deviceDir(root, PROFILE_DIR, true);
  const secret = randomBytes(32).toString('hex');
  await writeFileAtomic(path.join(root, secretName(key)), secret + '\n');
  const parts = await identity(root, key, mounts);
  const kinds = [...parts.keys()].sort();
  return { mac: macOf(key, id, secret, kinds.map((k) => `${k}:${parts.get(k)}`)), identity: kinds };
}

/** Why the volume at `root` is not the one `binding` was made for, or undefined when it is. */
export async function bindingProblem(claimsPath: string, root: string, id: string, binding: ClaimBinding, mounts?: MountEntry[]): Promise<string | undefined> {
  const key = await nodeKey(claimsPath, false);
  if (!key) return `this node's claim key (${nodeKeyPath(claimsPath)}) is missing`;
  const secret = await readSecret(root, key);
  if (!secret) return `it does not hold this node's claim secret (${secretName(key)}): another volume carrying device ${id}'s profile`;
  const parts = await identity(root, key, mounts);
  const values: string[] = [];
  for (const k of binding.identity) {
    const v = parts.get(k);
    if (v === undefined) return `its filesystem identity (${k}) cannot be read any more`;
    values.push(`${k}:${v}`);
  }
  const want = Buffer.from(binding.mac, 'hex');
  const got = Buffer.from(macOf(key, id, secret, values), 'hex');
  if (want.length !== got.length || !timingSafeEqual(want, got)) return `its claim secret or filesystem identity does not match device ${id}'s claim: another volume`;
  return undefined;
}
