// A snapshot file's format, read and checked: its header line (what it covers, the format version), its index of
// parts and, in version 2, the CRC32 of the header, of the index and of each part (snapshot.ts writes them).
import fs from 'node:fs';
import zlib from 'node:zlib';
import { CorruptSnapshotError } from './errors.js';
import { isVersionVector } from './vv.js';
import type { VersionVector } from './types.js';

/** Version 2 (checksummed) is written; version 1 (no checksums) is still read. */
export const HEADER_PREFIX = '# semsync-snapshot 2 ';
const HEADER_RE = /^# semsync-snapshot ([12]) /;
export const PARTS_PREFIX = '# semsync-parts ';
/**
 * The last line: where the parts line starts, fixed width so a reader finds it in the file's last bytes; in version
 * 2 followed by the CRC32 of the header line and of the parts line (8 hex digits each).
 */
export const PARTS_AT_PREFIX = '# semsync-parts-at ';
const PARTS_AT_BYTES_V1 = PARTS_AT_PREFIX.length + 16 + 1;
const PARTS_AT_BYTES = PARTS_AT_PREFIX.length + 16 + 1 + 8 + 1 + 8 + 1;

/**
 * One run of lines of one predicate in one graph: [predicate (N-Triples, '' for lines of another shape), byte
 * offset, byte length, lines, graph (N-Triples, '' for the default graph), CRC32 of its bytes (version 2)].
 */
export type Part = [string, number, number, number, string, number?];

export interface SnapshotMeta {
  /** The patches the snapshot holds: everything up to this vector. */
  vv: VersionVector;
  /** The clock when it was written. */
  hlc: string;
  quads: number;
  created: string;
}

export const hex = (n: number) => n.toString(16).padStart(8, '0');

/** A snapshot's header line: what it covers, its format version, and the line's length and CRC32. */
export function readHead(file: string): { meta: SnapshotMeta; version: 1 | 2; bytes: number; crc: number } {
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(1 << 16);
    const n = fs.readSync(fd, buf, 0, buf.length, 0);
    const nl = buf.subarray(0, n).indexOf(10);
    const text = buf.toString('utf8', 0, nl < 0 ? n : nl);
    const m = HEADER_RE.exec(text);
    if (!m || nl < 0) throw new Error('no snapshot header');
    const meta = JSON.parse(text.slice(m[0].length)) as SnapshotMeta;
    if (!isVersionVector(meta.vv) || typeof meta.quads !== 'number' || typeof meta.hlc !== 'string') throw new Error('bad snapshot header');
    return { meta, version: Number(m[1]) as 1 | 2, bytes: nl + 1, crc: zlib.crc32(buf.subarray(0, nl + 1)) };
  } catch (e) {
    throw new CorruptSnapshotError(`The snapshot ${file} is unreadable (${(e as Error).message}). ${DAMAGED_ADVICE}`, file);
  } finally {
    fs.closeSync(fd);
  }
}

export function readHeader(file: string): SnapshotMeta {
  return readHead(file).meta;
}

/**
 * The snapshot's index of parts, when it has one that accounts for every line; null for an older snapshot without
 * one. A version 2 snapshot must have one, whose header, index and layout match their checksums: else
 * CorruptSnapshotError (the parts' own bytes are checked as they are read: checkPart, verifySnapshot).
 */
export function readParts(file: string, meta: SnapshotMeta): Part[] | null {
  const head = readHead(file);
  const fd = fs.openSync(file, 'r');
  try {
    return head.version === 2 ? checkedParts(file, fd, head, meta) : oldParts(fd, meta);
  } finally {
    fs.closeSync(fd);
  }
}

function partsOk(parts: unknown, at: number, v2: boolean): parts is Part[] {
  return Array.isArray(parts) && parts.every((p) => Array.isArray(p) && p.length === (v2 ? 6 : 5) && typeof p[0] === 'string' && typeof p[4] === 'string' && p.slice(1, 4).every((n) => Number.isSafeInteger(n) && (n as number) >= 0) && (!v2 || Number.isSafeInteger(p[5])) && p[1] + p[2] <= at);
}

/** The parts line of a version 1 snapshot, or null. */
function oldParts(fd: number, meta: SnapshotMeta): Part[] | null {
  try {
    const size = fs.fstatSync(fd).size;
    const tail = Buffer.alloc(PARTS_AT_BYTES_V1);
    if (size < PARTS_AT_BYTES_V1 || fs.readSync(fd, tail, 0, PARTS_AT_BYTES_V1, size - PARTS_AT_BYTES_V1) !== PARTS_AT_BYTES_V1) return null;
    const m = /^# semsync-parts-at (\d{16})\n$/.exec(tail.toString('latin1'));
    if (!m) return null;
    const at = Number(m[1]);
    const text = readPart(fd, at, size - PARTS_AT_BYTES_V1 - at).toString('utf8');
    if (!text.startsWith(PARTS_PREFIX)) return null;
    const parts = JSON.parse(text.slice(PARTS_PREFIX.length)) as unknown;
    return partsOk(parts, at, false) && parts.reduce((n, p) => n + p[3], 0) === meta.quads ? parts : null;
  } catch {
    return null;
  }
}

/** The parts line of a version 2 snapshot, checked: its header's and its own CRC32, and parts that tile the file. */
function checkedParts(file: string, fd: number, head: { bytes: number; crc: number }, meta: SnapshotMeta): Part[] {
  const bad = (what: string) => new CorruptSnapshotError(`The snapshot ${file} is damaged: ${what}. Nothing was read from it. ${DAMAGED_ADVICE}`, file);
  const size = fs.fstatSync(fd).size;
  const tail = Buffer.alloc(PARTS_AT_BYTES);
  if (size < PARTS_AT_BYTES || fs.readSync(fd, tail, 0, PARTS_AT_BYTES, size - PARTS_AT_BYTES) !== PARTS_AT_BYTES) throw bad('it is too short to hold its index');
  const m = /^# semsync-parts-at (\d{16}) ([0-9a-f]{8}) ([0-9a-f]{8})\n$/.exec(tail.toString('latin1'));
  if (!m) throw bad('its last line (where its index is, and the checksums) is damaged');
  const at = Number(m[1]);
  if (at < head.bytes || at > size - PARTS_AT_BYTES) throw bad('its last line points outside the file');
  if (head.crc !== parseInt(m[2], 16)) throw bad('its header line (the version vector it covers) does not match its checksum');
  const line = readPart(fd, at, size - PARTS_AT_BYTES - at);
  if (zlib.crc32(line) !== parseInt(m[3], 16)) throw bad('its index of parts does not match its checksum');
  const text = line.toString('utf8');
  let parts: unknown = null;
  try {
    parts = text.startsWith(PARTS_PREFIX) ? JSON.parse(text.slice(PARTS_PREFIX.length)) : null;
  } catch {
    parts = null;
  }
  if (!partsOk(parts, at, true)) throw bad('its index of parts does not parse');
  let next = head.bytes;
  for (const p of parts) {
    if (p[1] !== next) throw bad(`its parts do not follow each other at byte ${next}`);
    next = p[1] + p[2];
  }
  if (next !== at) throw bad(`its parts end at byte ${next}, not where its index starts (${at})`);
  if (parts.reduce((n, p) => n + p[3], 0) !== meta.quads) throw bad(`its parts hold another number of statements than its header's ${meta.quads}`);
  return parts;
}

const DAMAGED_ADVICE = 'Restore the store folder from a backup, or run `semsync repair` (it sets the snapshot aside and rebuilds the store from what is still sound, and reports what is lost).';

/** What a part is, in words: its statements, predicate and graph, and where it lies. */
function partName(p: Part): string {
  return `its ${p[3]} statement${p[3] === 1 ? '' : 's'} of ${p[0] || 'another shape'} in ${p[4] || 'the default graph'} (bytes ${p[1]}..${p[1] + p[2]})`;
}

/** Throws CorruptSnapshotError when the bytes read of a part do not match its checksum (a part without one: version 1). */
export function checkPart(file: string, part: Part, crc: number): void {
  if (part[5] !== undefined && part[5] !== crc) {
    throw new CorruptSnapshotError(`The snapshot ${file} is damaged: ${partName(part)} do not match their checksum. Nothing was read from it. ${DAMAGED_ADVICE}`, file);
  }
}

/** The CRC32 of a range of an open file, read in windows of 1 MiB. */
export function crcOfRange(fd: number, offset: number, length: number): number {
  const buf = Buffer.allocUnsafe(Math.min(1 << 20, Math.max(length, 1)));
  let crc = 0;
  for (let at = 0; at < length; ) {
    const n = fs.readSync(fd, buf, 0, Math.min(buf.length, length - at), offset + at);
    if (n === 0) break;
    crc = zlib.crc32(buf.subarray(0, n), crc);
    at += n;
  }
  return crc;
}

/**
 * Checks a whole snapshot against its checksums (header, index, every part): throws CorruptSnapshotError naming
 * the file and what is damaged. Returns whether it had checksums to check (false for a version 1 snapshot).
 */
export function verifySnapshot(file: string): boolean {
  const head = readHead(file);
  const parts = readParts(file, head.meta);
  if (head.version !== 2 || !parts) return false;
  const fd = fs.openSync(file, 'r');
  try {
    for (const p of parts) checkPart(file, p, crcOfRange(fd, p[1], p[2]));
  } finally {
    fs.closeSync(fd);
  }
  return true;
}

export function readPart(fd: number, offset: number, length: number): Buffer {
  const buf = Buffer.allocUnsafe(length);
  for (let got = 0; got < length; ) {
    const n = fs.readSync(fd, buf, got, length - got, offset + got);
    if (n === 0) throw new Error('a part ends early');
    got += n;
  }
  return buf;
}
