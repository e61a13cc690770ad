// Test helpers: mount a tmpfs or a fusefat FAT image under a temp dir (when the machine allows), always unmountable.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promises as fsp, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const corpus = path.resolve(repoRoot, '..', 'shared', 'corpus');

export async function tempDir(prefix = 'semsync-dev-'): Promise<string> {
  return fsp.mkdtemp(path.join(os.tmpdir(), prefix));
}

function which(cmd: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

export interface Mounted {
  root: string;
  /** 'tmpfs', 'fusefat', or 'folder' when mounting was not possible. */
  kind: 'tmpfs' | 'fusefat' | 'folder';
  unmount(): Promise<void>;
}

/** Mount a tmpfs at `dir` (created); on failure, returns the plain folder with the reason printed. */
export async function mountTmpfs(dir: string, size = '16m'): Promise<Mounted> {
  await fsp.mkdir(dir, { recursive: true });
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { encoding: 'utf8' });
  if (r.status !== 0) {
    console.warn(`[devices test] cannot mount tmpfs at ${dir} (${(r.stderr || r.error?.message || '').trim()}); using a plain folder`);
    return { root: dir, kind: 'folder', unmount: async () => undefined };
  }
  return { root: dir, kind: 'tmpfs', unmount: () => unmount(dir) };
}

export async function unmount(dir: string): Promise<void> {
  for (let i = 0; i < 20; i++) {
    const r = spawnSync('umount', [dir], { encoding: 'utf8' });
    if (r.status === 0) return;
    if (!isMountPoint(dir)) return;
    await new Promise((res) => setTimeout(res, 100));
  }
  spawnSync('umount', ['-l', dir]);
}

export function isMountPoint(dir: string): boolean {
  const text = readFileSync('/proc/self/mountinfo', 'utf8');
  return text.split('\n').some((l) => l.split(' ')[4]?.replace(/\\040/g, ' ') === dir);
}

/** Why a FAT image cannot be mounted here, or undefined if it can (mkfs.vfat, fusefat and /dev/fuse present). */
export function fatUnavailable(): string | undefined {
  if (!which('mkfs.vfat')) return 'mkfs.vfat not installed (Debian package dosfstools)';
  if (!which('fusefat')) return 'fusefat not installed (Debian package fusefat)';
  try {
    readFileSync('/proc/filesystems', 'utf8').includes('fuse') || (() => { throw new Error(); })();
  } catch {
    return 'the kernel has no FUSE';
  }
  return undefined;
}

export interface FatMount extends Mounted {
  /** The fusefat process serving the mount (run in the foreground, so a test can kill it: the card is "pulled"). */
  proc: ChildProcess;
}

/** Make a FAT image (unless `format` is false) and mount it read-write with fusefat at `dir`. */
export async function mountFat(image: string, dir: string, sizeMb = 32, format = true): Promise<FatMount> {
  await fsp.mkdir(dir, { recursive: true });
  if (format) {
    execFileSync('truncate', ['-s', `${sizeMb}M`, image]);
    execFileSync('mkfs.vfat', [image], { stdio: 'ignore' });
  }
  const proc = spawn('fusefat', ['-f', '-o', 'rw+', image, dir], { stdio: 'ignore' });
  let exited = false;
  proc.on('exit', () => (exited = true));
  for (let i = 0; i < 50 && !exited && !isMountPoint(dir); i++) await new Promise((r) => setTimeout(r, 100));
  if (!isMountPoint(dir)) {
    if (!exited) proc.kill('SIGKILL');
    throw new Error(`fusefat did not mount ${image} at ${dir}`);
  }
  return {
    root: dir,
    kind: 'fusefat',
    proc,
    unmount: async () => {
      if (isMountPoint(dir)) {
        const r = spawnSync('fusermount', ['-u', dir]);
        if (r.status !== 0) await unmount(dir);
      }
      if (proc.exitCode === null && proc.signalCode === null) {
        const gone = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGTERM');
        await Promise.race([gone, new Promise((r) => setTimeout(r, 2000))]);
      }
    },
  };
}

export function sha256Urn(file: string): string {
  return 'urn:sha256:' + createHash('sha256').update(readFileSync(file)).digest('hex');
}

/** Every file under `root`, as sorted relative paths. */
export async function allFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fsp.readdir(root, { recursive: true, withFileTypes: true })) if (e.isFile()) out.push(path.relative(root, path.join(e.parentPath, e.name)));
  return out.sort();
}
