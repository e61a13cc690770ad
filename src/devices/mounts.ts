// The mount table: parse /proc/self/mountinfo, find which mount holds a path, list candidate device volumes.
import { createHash } from 'node:crypto';
import { promises as fsp, realpathSync } from 'node:fs';
import path from 'node:path';
import type { DeviceProfile } from '../rules/index.js';

/** One line of /proc/self/mountinfo (see proc(5)); paths are unescaped. */
export interface MountEntry {
  mountId: number;
  parentId: number;
  /** "major:minor" of the device. */
  devId: string;
  /** The root of the mount inside its filesystem. */
  root: string;
  mountPoint: string;
  mountOptions: string[];
  fsType: string;
  source: string;
  superOptions: string[];
}

/** A volume that may be a device: a removable-looking mount, or a configured media root used as a plain folder. */
export interface Volume {
  root: string;
  /** The mount's filesystem type as the kernel names it ('vfat', 'fuse.fusefat', 'tmpfs'...); 'folder' for a plain media root. */
  fsType: string;
  /** The naming rules that apply on it. */
  filesystem: DeviceProfile['filesystem'];
  /** The mount source ('/dev/sdb1', 'tmpfs'...), if it is a mount. */
  source?: string;
  kind: 'mount' | 'folder';
}

export const MOUNTINFO = '/proc/self/mountinfo';
/** Where desktops mount removable media. */
export const STANDARD_MEDIA_DIRS = ['/media', '/run/media', '/mnt'];
const REMOVABLE_FS = /^(vfat|msdos|exfat|fuse(\..*)?|fuseblk(\..*)?|tmpfs|ntfs3?|udf|hfsplus)$/;

/** Undo the octal escapes mountinfo uses for space, tab, newline and backslash (`\040` → ' '). */
export function unescapeMountPath(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** Parse mountinfo text; malformed lines are skipped. */
export function parseMountInfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const fields = line.split(' ');
    const sep = fields.indexOf('-', 6);
    if (sep < 0 || fields.length < sep + 3) continue;
    const [mountId, parentId, devId, root, mountPoint, options] = fields;
    out.push({
      mountId: Number(mountId),
      parentId: Number(parentId),
      devId,
      root: unescapeMountPath(root),
      mountPoint: unescapeMountPath(mountPoint),
      mountOptions: options.split(','),
      fsType: fields[sep + 1],
      source: unescapeMountPath(fields[sep + 2]),
      superOptions: (fields[sep + 3] ?? '').split(','),
    });
  }
  return out;
}

/** Read and parse the mount table (of this process's mount namespace). */
export async function readMountTable(file = MOUNTINFO): Promise<MountEntry[]> {
  return parseMountInfo(await fsp.readFile(file, 'utf8'));
}

/** The naming rules of a kernel filesystem type: FAT, exFAT (and NTFS/fuseblk, treated as strictly), or POSIX. */
export function filesystemOf(fsType: string): DeviceProfile['filesystem'] {
  const t = fsType.toLowerCase();
  if (/(^|\.)(vfat|msdos|fat|fat16|fat32|fusefat)$/.test(t)) return 'vfat';
  if (/exfat|ntfs|fuseblk/.test(t)) return 'exfat';
  return 'posix';
}

function isUnder(p: string, dir: string): boolean {
  return p === dir || p.startsWith(dir.endsWith('/') ? dir : dir + '/');
}

function realOr(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}

/** The mount that holds `p` (the last-mounted one with the longest mount point that is a prefix of it). */
export function mountFor(p: string, mounts: MountEntry[]): MountEntry | undefined {
  const real = realOr(p);
  let best: MountEntry | undefined;
  for (const m of mounts) {
    if (isUnder(real, m.mountPoint) && (!best || m.mountPoint.length >= best.mountPoint.length)) best = m;
  }
  return best;
}

/**
 * Candidate device volumes: writable removable-looking mounts (vfat, exfat, fuse, fuseblk, tmpfs...) under
 * /media, /run/media, /mnt or a configured media root, and the configured media roots themselves as plain folders.
 */
export function listVolumes(mounts: MountEntry[], mediaRoots: string[] = []): Volume[] {
  const roots = mediaRoots.map(realOr);
  const dirs = [...STANDARD_MEDIA_DIRS, ...roots];
  const out: Volume[] = [];
  const seen = new Set<string>();
  // A mount point mounted over twice: the last one is what is visible.
  const visible = new Map<string, MountEntry>();
  for (const m of mounts) visible.set(m.mountPoint, m);
  for (const m of visible.values()) {
    if (!REMOVABLE_FS.test(m.fsType)) continue;
    if (m.mountOptions.includes('ro')) continue;
    if (!dirs.some((d) => isUnder(m.mountPoint, d) && m.mountPoint !== d) && !roots.includes(m.mountPoint)) continue;
    seen.add(m.mountPoint);
    out.push({ root: m.mountPoint, fsType: m.fsType, filesystem: filesystemOf(m.fsType), source: m.source, kind: 'mount' });
  }
  for (const r of roots) {
    if (seen.has(r)) continue;
    const m = mountFor(r, mounts);
    out.push({ root: r, fsType: m?.fsType ?? 'folder', filesystem: m ? filesystemOf(m.fsType) : 'posix', kind: 'folder' });
  }
  return out.sort((a, b) => a.root.localeCompare(b.root));
}

/** The filesystem UUID of a block device, from /dev/disk/by-uuid, if any. */
export async function filesystemUuid(source: string | undefined): Promise<string | undefined> {
  if (!source || !source.startsWith('/dev/')) return undefined;
  try {
    const dev = await fsp.realpath(source);
    const dir = '/dev/disk/by-uuid';
    for (const name of await fsp.readdir(dir)) {
      if ((await fsp.realpath(path.join(dir, name)).catch(() => '')) === dev) return name;
    }
  } catch {
    // no udev links here
  }
  return undefined;
}

/**
 * A stable id for a device that does not name itself: its filesystem UUID, else a hash of its mount source
 * (when that names a device), else a hash of its root path.
 */
export async function stableDeviceId(root: string, mounts: MountEntry[]): Promise<string> {
  const real = realOr(root);
  const m = mountFor(real, mounts);
  const atRoot = m && m.mountPoint === real ? m : undefined;
  const uuid = await filesystemUuid(atRoot?.source);
  if (uuid) return `fs-${uuid.toLowerCase()}`;
  const basis = atRoot && atRoot.source.startsWith('/') ? `source:${atRoot.source}` : `path:${real}`;
  return `dev-${createHash('sha256').update(basis).digest('hex').slice(0, 16)}`;
}
