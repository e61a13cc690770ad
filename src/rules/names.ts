// Legal, safe names on the target filesystem (FAT/exFAT rules, lengths, NFC) and paths that never leave the root.
import type { DeviceProfile } from './types.js';

export type FileSystemKind = DeviceProfile['filesystem'];

/**
 * Why not `sanitize-filename` alone: it cuts names at 255 UTF-8 *bytes* and drops the extension when it does,
 * it replaces a reserved name such as `CON` wholesale (losing the title), and it knows one rule set for every
 * filesystem. FAT/exFAT limits are 255 UTF-16 units per name (ext4: 255 bytes), a shortened name must keep
 * its extension, and `CON.mp3` should become `CON_.mp3`. The rules below are a superset of its rules
 * (the tests use it as an independent oracle: it leaves our FAT output unchanged).
 */
const FAT_ILLEGAL = /[<>:"/\\|?*]/gu;
/** Illegal everywhere we write: NUL and '/', plus '\\' (a separator to Windows tools reading the device). */
const POSIX_ILLEGAL = /[/\\]/gu;
/** C0 and C1 control characters and DEL: legal on some filesystems, hostile on all of them. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/gu;
/** Lone surrogates cannot be written as UTF-8 (Linux) and are not characters. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/gu;
/** DOS device names, reserved with or without an extension, in any case (`con`, `Com1.txt`, `LPT9 .x`). */
const RESERVED = /^(con|prn|aux|nul|com[1-9¹²³]|lpt[1-9¹²³]|conin\$|conout\$)$/iu;

/** Printable ASCII but `<>:"/\\|?*`. */
const PLAIN_CHARS = /^[ !#-)+-.0-9;=@-[\]-{}~]+$/;
/** 1–255 plain characters, not starting with a space, not ending with a space or a dot (so not only dots). */
function plainSegment(s: string): boolean {
  const n = s.length;
  if (n === 0 || n > MAX_SEGMENT || s.charCodeAt(0) === 32) return false;
  const last = s.charCodeAt(n - 1);
  return last !== 32 && last !== 46 && PLAIN_CHARS.test(s);
}
const reservedHead = (s: string) => {
  const dot = s.indexOf('.');
  return (dot < 0 ? s : s.slice(0, dot)).trimEnd();
};

/** The longest name per filesystem: UTF-16 units on FAT/exFAT, UTF-8 bytes on posix (ext4, btrfs, tmpfs). */
export const MAX_SEGMENT = 255;
/** The longest relative path we produce, in UTF-16 units (FAT allows more; Windows tools choke far beyond). */
export const MAX_PATH = 1000;
/** What an empty name becomes. */
export const EMPTY_NAME = '_';

function measure(s: string, fs: FileSystemKind): number {
  return fs === 'posix' ? Buffer.byteLength(s, 'utf8') : s.length;
}

const graphemes = new Intl.Segmenter('en', { granularity: 'grapheme' });

/** The longest prefix of `s` (cut between grapheme clusters, so emoji stay whole) that measures ≤ `max`. */
function cut(s: string, max: number, fs: FileSystemKind): string {
  if (measure(s, fs) <= max) return s;
  let out = '';
  let used = 0;
  for (const { segment } of graphemes.segment(s)) {
    const m = measure(segment, fs);
    if (used + m > max) break;
    out += segment;
    used += m;
  }
  return out;
}

function trimEnds(s: string): string {
  // No trailing dot or space (FAT drops them silently: "a." and "a" would be the same file), no leading space.
  let end = s.length;
  while (end > 0 && (s[end - 1] === '.' || s[end - 1] === ' ')) end--;
  let start = 0;
  while (start < end && s[start] === ' ') start++;
  return s.slice(start, end);
}

/** Split a name into stem and extension: the extension is a short final `.xxx` without spaces. */
export function splitExtension(name: string): { stem: string; ext: string } {
  const m = /^(.+?)(\.[^.\s]{1,16})$/u.exec(name);
  return m ? { stem: m[1], ext: m[2] } : { stem: name, ext: '' };
}

/**
 * One path segment (a folder or file name) legal on `fs`: NFC; illegal and control characters replaced by
 * '_'; no leading space, no trailing dot or space; reserved DOS names altered (`CON` → `CON_`, `aux.txt` →
 * `aux_.txt`); at most 255 units (UTF-16 on FAT/exFAT, UTF-8 bytes on posix), shortened keeping the extension;
 * never empty, `.` or `..` (those become `_`). Emoji are kept: they are legal in FAT long names.
 */
export function legalSegment(name: string, fs: FileSystemKind): string {
  // Printable ASCII without FAT's illegal characters, no leading space, no trailing dot or space, not only dots,
  // at most 255 long: already legal everywhere unless a reserved DOS name on FAT (most names; no copies made).
  if (plainSegment(name) && (fs === 'posix' || !RESERVED.test(reservedHead(name)))) return name;
  let s = name.replace(LONE_SURROGATE, '_').normalize('NFC');
  s = trimEnds(s.replace(CONTROL, '_').replace(fs === 'posix' ? POSIX_ILLEGAL : FAT_ILLEGAL, '_'));
  if (measure(s, fs) > MAX_SEGMENT) s = shorten(s, MAX_SEGMENT, fs);
  if (fs !== 'posix') {
    const dot = s.indexOf('.');
    const head = (dot < 0 ? s : s.slice(0, dot)).trimEnd();
    if (RESERVED.test(head)) s = head + '_' + (dot < 0 ? '' : s.slice(dot));
    // Altering cannot bring back a reserved head ("CON_..."), but may add one unit past the limit.
    if (measure(s, fs) > MAX_SEGMENT) s = shorten(s, MAX_SEGMENT, fs);
  }
  if (s === '' || /^\.+$/u.test(s)) s = EMPTY_NAME;
  return s;
}

/** Shorten a legal name to `max` units, keeping its extension (a 300-character title keeps `.epub`). */
function shorten(s: string, max: number, fs: FileSystemKind): string {
  const { stem, ext } = splitExtension(s);
  const room = max - measure(ext, fs);
  if (room < 1) return trimEnds(cut(s, max, fs));
  const out = trimEnds(cut(stem, room, fs));
  return (out === '' ? EMPTY_NAME : out) + ext;
}

/**
 * `name` with ` (n)` before its extension (`a.mp3` → `a (2).mp3`), still legal and ≤ 255 units: the stem is
 * shortened, never the suffix or the extension.
 */
export function suffixedSegment(name: string, n: number, fs: FileSystemKind): string {
  const { stem, ext } = splitExtension(name);
  const suffix = ` (${n})${ext}`;
  const room = MAX_SEGMENT - measure(suffix, fs);
  const base = trimEnds(cut(stem, room, fs));
  return (base === '' ? EMPTY_NAME : base) + suffix;
}

/**
 * A relative, '/'-separated path from segments, each made legal by {@link legalSegment}. A segment never
 * contains a separator, so metadata such as `../../x`, `/etc/passwd` or `C:\x` stays one harmless name; the
 * result is never absolute, never contains `.` or `..`, and is at most {@link MAX_PATH} UTF-16 units (folder
 * names are shortened first, then the file name; past that, the deepest folders are dropped).
 */
export function safeRelativePath(segments: readonly string[], fs: FileSystemKind): string {
  const parts = segments.map((s) => legalSegment(s, fs));
  if (parts.length === 0) parts.push(EMPTY_NAME);
  const total = (): number => parts.reduce((n, p) => n + p.length, parts.length - 1);
  const FLOOR = 24;
  while (total() > MAX_PATH) {
    // Shorten the longest folder name down towards FLOOR units; when none is left to shorten, the file name.
    let i = -1;
    for (let j = 0; j < parts.length - 1; j++) {
      if (parts[j].length > FLOOR && (i < 0 || parts[j].length > parts[i].length)) i = j;
    }
    if (i < 0 && parts[parts.length - 1].length > FLOOR) i = parts.length - 1;
    if (i < 0) break;
    const want = Math.max(FLOOR, parts[i].length - (total() - MAX_PATH));
    parts[i] =
      i === parts.length - 1
        ? legalSegment(shorten(parts[i], want, 'exfat'), fs)
        : legalSegment(cut(parts[i], want, 'exfat'), fs);
  }
  while (total() > MAX_PATH && parts.length > 1) parts.splice(parts.length - 2, 1);
  return parts.join('/');
}

/**
 * The key two paths collide under on `fs`: FAT and exFAT are case-insensitive (`Music/ABBA` is `music/abba`),
 * posix is not. Both sides are NFC.
 */
export function pathKey(path: string, fs: FileSystemKind): string {
  // ASCII is already NFC and folds with toLowerCase alone (the common case, and planning calls this a lot).
  if (/^[\x00-\x7f]*$/u.test(path)) return fs === 'posix' ? path : path.toLowerCase();
  const nfc = path.normalize('NFC');
  return fs === 'posix' ? nfc : nfc.toUpperCase().toLowerCase();
}
