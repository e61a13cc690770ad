// Device profiles: `.semsync/device.ttl` (Turtle) and Rhythmbox/Banshee's `.is_audio_player`, merged into a DeviceProfile.
import { canonicalMime } from '../base/index.js';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import n3 from 'n3';
import type { Quad, Term } from '@rdfjs/types';
import { ID, RDF, RDFS, SS, XSD } from '../graph/vocab.js';
import type { DeviceProfile, MediaKind } from '../rules/index.js';
import { deviceDir, READ_NOFOLLOW } from './contain.js';
import { DeviceProfileError } from './errors.js';
import { filesystemOf, mountFor, readMountTable, stableDeviceId, type MountEntry } from './mounts.js';

export const PROFILE_DIR = '.semsync';
export const PROFILE_FILE = '.semsync/device.ttl';
export const AUDIO_PLAYER_FILE = '.is_audio_player';
export const MEDIA_KINDS: MediaKind[] = ['ebook', 'music', 'photo', 'document'];
/** What a device takes when its profile does not say: media, not office documents (host targets take those too). */
export const DEVICE_DEFAULT_KINDS: MediaKind[] = ['ebook', 'music', 'photo'];
/** The largest `device.ttl` or `.is_audio_player` read (a profile is a few hundred bytes; a bigger one is refused). */
export const PROFILE_MAX_BYTES = 64 << 10;

/** The IRI a device is named by in profiles and catalogs. */
export function deviceIri(id: string): string {
  return ID(`device/${encodeURIComponent(id)}`).value;
}

/**
 * A player's AAC formats mean the MP4 audio files the graph stores as audio/mp4 (an .m4a); every other alias is the
 * one MIME table's (base/mime.ts).
 */
const PLAYER_ALIASES: Record<string, string> = {
  'audio/aac': 'audio/mp4',
  'audio/x-aac': 'audio/mp4',
  'audio/mp4a-latm': 'audio/mp4',
};

/** A MIME type in the form the graph uses: lower case, no parameters, common aliases folded (application/ogg → audio/ogg). */
export function normalizeMime(mime: string): string {
  const t = canonicalMime(mime);
  return PLAYER_ALIASES[t] ?? t;
}

function mimeList(values: Iterable<string>): string[] {
  return [...new Set([...values].map(normalizeMime).filter(Boolean))];
}

function cleanFolder(f: string): string {
  return f.trim().replace(/\\/g, '/').replace(/^\/+|\/+$/g, '').replace(/\/{2,}/g, '/');
}

/** The parsed contents of an `.is_audio_player` file. */
export interface AudioPlayerInfo {
  name?: string;
  audioFolders: string[];
  outputFormats: string[];
  inputFormats: string[];
  playlistFormats: string[];
  playlistPath?: string;
  folderDepth?: number;
  /** Every key as written (last one wins). */
  raw: Record<string, string>;
}

/** Parse `.is_audio_player` text: `key=value` lines (`#`/`;` comments, `[sections]` and blank lines ignored). */
export function parseAudioPlayer(text: string, file = AUDIO_PLAYER_FILE): AudioPlayerInfo {
  const raw: Record<string, string> = {};
  const info: AudioPlayerInfo = { audioFolders: [], outputFormats: [], inputFormats: [], playlistFormats: [], raw };
  const list = (v: string) => v.split(',').map((s) => s.trim()).filter(Boolean);
  text.split(/\r?\n/).forEach((line, i) => {
    const s = line.replace(/^\uFEFF/, '').trim();
    if (!s || s.startsWith('#') || s.startsWith(';') || /^\[.*\]$/.test(s)) return;
    const eq = s.indexOf('=');
    if (eq <= 0) throw new DeviceProfileError(file, i + 1, `expected key=value, got "${s.slice(0, 60)}"`);
    const key = s.slice(0, eq).trim().toLowerCase();
    let value = s.slice(eq + 1).trim();
    if (/^(["']).*\1$/.test(value) && value.length >= 2) value = value.slice(1, -1);
    raw[key] = value;
    switch (key) {
      case 'name':
        info.name = value;
        break;
      case 'audio_folders':
        info.audioFolders = list(value).map(cleanFolder);
        break;
      case 'output_formats':
        info.outputFormats = mimeList(list(value));
        break;
      case 'input_formats':
        info.inputFormats = mimeList(list(value));
        break;
      case 'playlist_formats':
        info.playlistFormats = list(value);
        break;
      case 'playlist_path':
        info.playlistPath = cleanFolder(value);
        break;
      case 'folder_depth': {
        if (!/^-?\d+$/.test(value)) throw new DeviceProfileError(file, i + 1, `folder_depth must be an integer, got "${value}"`);
        const n = Number(value);
        info.folderDepth = n >= 0 ? n : undefined;
        break;
      }
    }
  });
  return info;
}

/** What a `.semsync/device.ttl` says; fields it does not state are absent. */
export interface DeviceTtlInfo {
  id?: string;
  name?: string;
  owner?: string;
  accepts: MediaKind[];
  formats: Partial<Record<MediaKind, string[]>>;
  folders: Partial<Record<MediaKind, string>>;
  folderDepth?: number;
  /** `ss:nameRules`: "posix" lets names use what FAT forbids; "fat" (the default on devices) keeps them FAT-legal. */
  nameRules?: 'posix' | 'fat';
  /** `ss:mirror true`: placed files go when their content leaves the library (default: they stay). */
  mirror?: boolean;
}

function lineOf(text: string, needle: string): number | undefined {
  const idx = text.indexOf(needle);
  return idx < 0 ? undefined : text.slice(0, idx).split('\n').length;
}

/** Parse device.ttl text (Turtle). Throws DeviceProfileError with the line for syntax errors and bad values. */
export function parseDeviceTtl(text: string, file = PROFILE_FILE): DeviceTtlInfo {
  let quads: Quad[];
  try {
    quads = new n3.Parser({ format: 'text/turtle', baseIRI: 'https://w3id.org/semsync/id/device/' }).parse(text);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    const ctx = (e as { context?: { line?: number } }).context;
    const line = ctx?.line ?? Number(/line (\d+)/.exec(msg)?.[1] ?? NaN);
    throw new DeviceProfileError(file, Number.isFinite(line) ? line : undefined, `not valid Turtle: ${msg}`);
  }
  const store = new n3.Store(quads);
  const objs = (s: Term, p: string) => store.getObjects(s as n3.Quad_Subject, p, null);
  const lit = (s: Term, p: string, what: string): string | undefined => {
    const os = objs(s, p);
    if (os.length === 0) return undefined;
    if (os.length > 1) throw new DeviceProfileError(file, lineOf(text, what), `more than one ${what}`);
    if (os[0].termType !== 'Literal') throw new DeviceProfileError(file, lineOf(text, what), `${what} must be a literal`);
    return os[0].value;
  };
  let devices = store.getSubjects(RDF('type'), SS('Device'), null);
  if (devices.length === 0) devices = store.getSubjects(SS('deviceId'), null, null);
  if (devices.length === 0) throw new DeviceProfileError(file, undefined, 'no ss:Device described (expected "<...> a ss:Device")');
  if (devices.length > 1) throw new DeviceProfileError(file, undefined, 'more than one ss:Device described');
  const dev = devices[0];
  const info: DeviceTtlInfo = { accepts: [], formats: {}, folders: {} };
  info.id = lit(dev, SS('deviceId').value, 'ss:deviceId');
  if (info.id !== undefined && !/^[\w.:@+-]{1,128}$/.test(info.id)) throw new DeviceProfileError(file, lineOf(text, info.id), `bad device id "${info.id}"`);
  info.name = lit(dev, RDFS('label').value, 'rdfs:label');
  info.owner = lit(dev, SS('owner').value, 'ss:owner');
  const depth = lit(dev, SS('folderDepth').value, 'ss:folderDepth');
  if (depth !== undefined) {
    if (!/^\d+$/.test(depth)) throw new DeviceProfileError(file, lineOf(text, 'folderDepth'), `ss:folderDepth must be a non-negative integer, got "${depth}"`);
    info.folderDepth = Number(depth);
  }
  const mirror = lit(dev, SS('mirror').value, 'ss:mirror');
  if (mirror !== undefined) {
    if (mirror !== 'true' && mirror !== 'false') throw new DeviceProfileError(file, lineOf(text, 'ss:mirror'), `ss:mirror must be true or false, got "${mirror}"`);
    info.mirror = mirror === 'true';
  }
  const rules = lit(dev, SS('nameRules').value, 'ss:nameRules');
  if (rules !== undefined) {
    const r = rules.trim().toLowerCase();
    if (r !== 'posix' && r !== 'fat') throw new DeviceProfileError(file, lineOf(text, 'nameRules'), `ss:nameRules must be "fat" or "posix", got "${rules}"`);
    info.nameRules = r;
  }
  const kindOf = (t: Term): MediaKind => {
    const k = t.value.trim().toLowerCase();
    if (!(MEDIA_KINDS as string[]).includes(k)) throw new DeviceProfileError(file, lineOf(text, `"${t.value}"`), `unknown media kind "${t.value}" (one of ${MEDIA_KINDS.join(', ')})`);
    return k as MediaKind;
  };
  for (const a of objs(dev, SS('accepts').value)) {
    if (a.termType === 'Literal') {
      const k = kindOf(a);
      if (!info.accepts.includes(k)) info.accepts.push(k);
      continue;
    }
    const kinds = objs(a, SS('kind').value);
    if (kinds.length !== 1) throw new DeviceProfileError(file, lineOf(text, 'accepts'), 'each ss:accepts [ ... ] needs exactly one ss:kind');
    const k = kindOf(kinds[0]);
    if (!info.accepts.includes(k)) info.accepts.push(k);
    const folder = lit(a, SS('mediaFolder').value, 'ss:mediaFolder');
    if (folder !== undefined) {
      const f = cleanFolder(folder);
      if (f.split('/').includes('..')) throw new DeviceProfileError(file, lineOf(text, folder), `folder "${folder}" leaves the device`);
      info.folders[k] = f;
    }
    const formats = objs(a, SS('format').value).map((t) => t.value);
    if (formats.length) info.formats[k] = mimeList([...(info.formats[k] ?? []), ...formats]);
  }
  return info;
}

/** device.ttl text for a profile (what `claimDevice` writes). */
export function serializeDeviceTtl(p: {
  id: string; name: string; owner?: string; accepts: MediaKind[]; formats?: DeviceProfile['formats']; folders?: DeviceProfile['folders'];
  folderDepth?: number; mirror?: boolean; nameRules?: 'posix' | 'fat';
}): string {
  const q = (s: string) => JSON.stringify(s);
  const lines = [
    `@prefix ss: <${SS.iri}> .`,
    `@prefix rdfs: <${RDFS.iri}> .`,
    `@prefix xsd: <${XSD.iri}> .`,
    '',
    `<${deviceIri(p.id)}> a ss:Device ;`,
    `  ss:deviceId ${q(p.id)} ;`,
    `  rdfs:label ${q(p.name)} ;`,
  ];
  if (p.owner) lines.push(`  ss:owner ${q(p.owner)} ;`);
  if (p.folderDepth !== undefined) lines.push(`  ss:folderDepth ${p.folderDepth} ;`);
  if (p.mirror) lines.push('  ss:mirror true ;');
  if (p.nameRules) lines.push(`  ss:nameRules ${q(p.nameRules)} ;`);
  const acc = p.accepts.map((k) => {
    const parts = [`ss:kind ${q(k)}`];
    const folder = p.folders?.[k];
    if (folder) parts.push(`ss:mediaFolder ${q(folder)}`);
    const formats = p.formats?.[k];
    if (formats?.length) parts.push(`ss:format ${formats.map(q).join(', ')}`);
    return `[ ${parts.join(' ; ')} ]`;
  });
  if (acc.length) lines.push(`  ss:accepts ${acc.join(',\n    ')} ;`);
  lines[lines.length - 1] = lines[lines.length - 1].replace(/ ;$/, ' .');
  return lines.join('\n') + '\n';
}

// Parsed profile files by path, with the file's identity (device, inode, size, times): a listing (every
// `/api/state`) parses a device's files once per mount and change, not on every call. A refusal is kept too.
type Parsed<T> = { key: string; value?: T; error?: Error };
const parsedFiles = new Map<string, Parsed<unknown>>();
const PARSED_MAX = 256;

/**
 * A device's own small file, parsed once per identity: undefined if absent. Never followed through a symbolic link
 * (`.semsync` itself is checked by the caller); refused when bigger than {@link PROFILE_MAX_BYTES}.
 */
async function readDeviceFile<T>(file: string, parse: (text: string) => T): Promise<T | undefined> {
  let st;
  try {
    st = await fsp.lstat(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw e;
  }
  const key = `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
  const hit = parsedFiles.get(file) as Parsed<T> | undefined;
  if (hit?.key === key) {
    if (hit.error) throw hit.error;
    return hit.value;
  }
  const keep = (p: Parsed<T>) => {
    if (parsedFiles.size >= PARSED_MAX) parsedFiles.delete(parsedFiles.keys().next().value!);
    parsedFiles.set(file, p);
  };
  try {
    if (st.isSymbolicLink()) throw new DeviceProfileError(file, undefined, 'is a symbolic link; a device profile must be a plain file on the device');
    if (!st.isFile()) throw new DeviceProfileError(file, undefined, 'is not a plain file');
    if (st.size > PROFILE_MAX_BYTES) throw new DeviceProfileError(file, undefined, `is ${st.size} bytes; a device profile may be at most ${PROFILE_MAX_BYTES} bytes`);
    const fh = await fsp.open(file, READ_NOFOLLOW).catch((e: NodeJS.ErrnoException) => {
      throw e.code === 'ELOOP' ? new DeviceProfileError(file, undefined, 'is a symbolic link; a device profile must be a plain file on the device') : e;
    });
    let text: string;
    try {
      const buf = Buffer.alloc(PROFILE_MAX_BYTES + 1);
      const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
      if (bytesRead > PROFILE_MAX_BYTES) throw new DeviceProfileError(file, undefined, `is more than ${PROFILE_MAX_BYTES} bytes; a device profile may be at most ${PROFILE_MAX_BYTES} bytes`);
      text = buf.subarray(0, bytesRead).toString('utf8');
    } finally {
      await fh.close();
    }
    const value = parse(text);
    keep({ key, value });
    return value;
  } catch (e) {
    if (e instanceof DeviceProfileError) keep({ key, error: e });
    throw e;
  }
}

/**
 * The naming rules a device's files follow: FAT/exFAT-legal whatever the mount type says (players and phones over
 * MTP refuse the rest even on tmpfs, ext4 or FUSE), unless its profile says `ss:nameRules "posix"`. An exFAT or
 * NTFS mount keeps exFAT's (longer) limits.
 */
export function namingOf(fsType: string | undefined, declared?: 'posix' | 'fat'): DeviceProfile['filesystem'] {
  if (declared === 'posix') return 'posix';
  return fsType && filesystemOf(fsType) === 'exfat' ? 'exfat' : 'vfat';
}

export interface ReadProfileOptions {
  /** The mount table to use (default: read /proc/self/mountinfo). */
  mounts?: MountEntry[];
}

/**
 * The profile of the device at `root`: `.semsync/device.ttl` if present, with `.is_audio_player` filling in what
 * it does not say about music; or `.is_audio_player` alone (with a stable id from the filesystem UUID or mount
 * source). Undefined when the device has neither. Throws DeviceProfileError for a broken, linked or too big file
 * (each file is parsed once per identity: see readDeviceFile), DeviceEscapeError when `.semsync` is a link.
 */
export async function readDeviceProfile(root: string, opts: ReadProfileOptions = {}): Promise<DeviceProfile | undefined> {
  const ttlPath = path.join(root, PROFILE_FILE);
  const playerPath = path.join(root, AUDIO_PLAYER_FILE);
  // A `.semsync` that is a symbolic link is refused (DeviceEscapeError): the profile would be another folder's.
  const hasDir = (() => {
    try {
      return deviceDir(root, PROFILE_DIR, false) !== undefined;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOTDIR') return false; // a file named .semsync: no profile
      throw e;
    }
  })();
  const [ttl, player] = await Promise.all([
    hasDir ? readDeviceFile(ttlPath, (t) => parseDeviceTtl(t, ttlPath)) : undefined,
    readDeviceFile(playerPath, (t) => parseAudioPlayer(t, playerPath)),
  ]);
  if (ttl === undefined && player === undefined) return undefined;
  const mounts = opts.mounts ?? (await readMountTable().catch(() => []));
  const m = mountFor(root, mounts);
  const profile: DeviceProfile = {
    id: ttl?.id ?? (await stableDeviceId(root, mounts)),
    name: ttl?.name ?? player?.name ?? (path.basename(path.resolve(root)) || 'device'),
    accepts: ttl?.accepts.length ? [...ttl.accepts] : player ? ['music'] : [...DEVICE_DEFAULT_KINDS],
    formats: { ...(ttl?.formats ?? {}) },
    folders: { ...(ttl?.folders ?? {}) },
    filesystem: namingOf(m?.fsType, ttl?.nameRules),
    source: ttl ? ttlPath : playerPath,
  };
  if (ttl?.owner) profile.owner = ttl.owner;
  if (ttl?.mirror) profile.mirror = true;
  if (ttl?.folderDepth !== undefined) profile.folderDepth = ttl.folderDepth;
  if (player) {
    if (!profile.accepts.includes('music') && !ttl?.accepts.length) profile.accepts.push('music');
    if (!profile.formats.music?.length && player.outputFormats.length) profile.formats.music = [...player.outputFormats];
    if (!profile.folders.music && player.audioFolders.length) profile.folders.music = player.audioFolders[0];
    if (profile.folderDepth === undefined && player.folderDepth !== undefined) profile.folderDepth = player.folderDepth;
  }
  return profile;
}
