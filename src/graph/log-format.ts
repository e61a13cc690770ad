// The change log's record format, and how the bytes at one offset are judged: a whole record, an append that never
// finished (torn: the writer was killed or the power went before its fdatasync returned, so it was never
// acknowledged), or damage (bytes that were once written whole and are no longer what was written).
//
// Version 2 (written since issue 14): "SSP2", u32 payload length, u32 CRC32 of the payload, u32 CRC32 of those
// 12 header bytes, the payload, then the commit marker "SSCM". Version 1 (read only): "SSPL", u32 length, u32 CRC32
// of the payload, the payload. Both may sit in one segment: records keep the version they were written with.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import zlib from 'node:zlib';

const MAGIC_V1 = Buffer.from('SSPL', 'latin1');
const MAGIC_V2 = Buffer.from('SSP2', 'latin1');
const COMMIT = Buffer.from('SSCM', 'latin1');
const HEADER_V1 = 12;
const HEADER_V2 = 16;
const TRAILER_V2 = 4;
export const MAX_RECORD = 256 << 20;

/** What is at one offset of a segment. */
export type Judged =
  | { kind: 'record'; version: 1 | 2; payloadAt: number; length: number; end: number }
  | { kind: 'torn'; reason: string }
  | { kind: 'damaged'; reason: string };

/** One payload framed as a version 2 record. */
export function encodeRecord(payload: Buffer): Buffer {
  const out = Buffer.alloc(HEADER_V2 + payload.length + TRAILER_V2);
  MAGIC_V2.copy(out, 0);
  out.writeUInt32BE(payload.length, 4);
  out.writeUInt32BE(zlib.crc32(payload), 8);
  out.writeUInt32BE(zlib.crc32(out.subarray(0, 12)), 12);
  payload.copy(out, HEADER_V2);
  COMMIT.copy(out, HEADER_V2 + payload.length);
  return out;
}

/** Bytes a version 2 record of `length` payload bytes takes. */
export function recordBytes(length: number): number {
  return HEADER_V2 + length + TRAILER_V2;
}

function zeros(buf: Buffer, from: number): boolean {
  for (let i = from; i < buf.length; i++) if (buf[i] !== 0) return false;
  return true;
}

function startsLike(buf: Buffer, off: number, magic: Buffer): boolean {
  const n = Math.min(4, buf.length - off);
  return buf.compare(magic, 0, n, off, off + n) === 0;
}

function judgeV1(buf: Buffer, off: number): Judged {
  if (buf.length - off < HEADER_V1) return { kind: 'torn', reason: 'the file ends inside a record header' };
  const length = buf.readUInt32BE(off + 4);
  if (length > MAX_RECORD) return { kind: 'damaged', reason: `a record length of ${length} bytes` };
  const end = off + HEADER_V1 + length;
  if (end > buf.length) return { kind: 'torn', reason: 'the file ends inside a record' };
  if (zlib.crc32(buf.subarray(off + HEADER_V1, end)) !== buf.readUInt32BE(off + 8)) return { kind: 'damaged', reason: 'a whole record whose checksum does not match' };
  return { kind: 'record', version: 1, payloadAt: off + HEADER_V1, length, end };
}

function judgeV2(buf: Buffer, off: number): Judged {
  if (buf.length - off < HEADER_V2) return { kind: 'torn', reason: 'the file ends inside a record header' };
  if (zlib.crc32(buf.subarray(off, off + 12)) !== buf.readUInt32BE(off + 12)) return { kind: 'damaged', reason: 'a record header whose checksum does not match' };
  const length = buf.readUInt32BE(off + 4);
  if (length > MAX_RECORD) return { kind: 'damaged', reason: `a record length of ${length} bytes` };
  const end = off + recordBytes(length);
  if (end > buf.length) return { kind: 'torn', reason: 'the file ends inside a record' };
  const marker = buf.subarray(end - TRAILER_V2, end);
  if (!marker.equals(COMMIT)) {
    // A write cut short by a power loss leaves zeros where the rest of the record should be: never committed.
    if (zeros(buf, end - TRAILER_V2)) return { kind: 'torn', reason: 'a record without its commit marker, zeros after' };
    return { kind: 'damaged', reason: 'a record whose commit marker is damaged' };
  }
  if (zlib.crc32(buf.subarray(off + HEADER_V2, end - TRAILER_V2)) !== buf.readUInt32BE(off + 8)) {
    return { kind: 'damaged', reason: 'a committed record whose checksum does not match' };
  }
  return { kind: 'record', version: 2, payloadAt: off + HEADER_V2, length, end };
}

/**
 * What starts at `off` in a segment's bytes. 'torn' only describes the end of a file: the caller decides whether
 * the end of this segment may hold an unfinished append (only the last segment's may).
 */
export function judge(buf: Buffer, off: number): Judged {
  if (zeros(buf, off)) return { kind: 'torn', reason: 'zeros to the end of the file' };
  if (startsLike(buf, off, MAGIC_V2)) return buf.length - off < 4 ? { kind: 'torn', reason: 'the file ends inside a record header' } : judgeV2(buf, off);
  if (startsLike(buf, off, MAGIC_V1)) return buf.length - off < 4 ? { kind: 'torn', reason: 'the file ends inside a record header' } : judgeV1(buf, off);
  return { kind: 'damaged', reason: 'bytes that do not start a record' };
}

/** Whole records found anywhere after `from` (scanning for their headers): what a damage at `from` hides. */
export function recordsAfter(buf: Buffer, from: number): Array<Extract<Judged, { kind: 'record' }> & { at: number }> {
  const out: Array<Extract<Judged, { kind: 'record' }> & { at: number }> = [];
  for (let p = from + 1; p < buf.length; ) {
    const a = buf.indexOf(MAGIC_V2, p);
    const b = buf.indexOf(MAGIC_V1, p);
    const at = a < 0 ? b : b < 0 ? a : Math.min(a, b);
    if (at < 0) break;
    const j = judge(buf, at);
    if (j.kind === 'record') {
      out.push({ ...j, at });
      p = j.end;
    } else p = at + 1;
  }
  return out;
}

/**
 * Copies a segment's bytes from `offset` to its end into `damagedDir` as `<segment>.<offset>` (kept as found, never
 * overwritten with other bytes) and returns that path.
 */
export async function keepAside(file: string, buf: Buffer, offset: number, damagedDir: string): Promise<string> {
  await fsp.mkdir(damagedDir, { recursive: true });
  const kept = path.join(damagedDir, `${path.basename(file)}.${offset}`);
  const bytes = buf.subarray(offset);
  const same = fs.existsSync(kept) && (await fsp.readFile(kept)).equals(bytes);
  if (!same) {
    const target = fs.existsSync(kept) ? `${kept}.${Date.now()}` : kept;
    await fsp.writeFile(target, bytes, { flag: 'wx' });
    return target;
  }
  return kept;
}
