// A minimal zip reader for EPUBs: reads the central directory and single members, never the whole archive.
import type { FileHandle } from 'node:fs/promises';
import { inflateRawSync } from 'node:zlib';

export interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  /** Offset of the local header, or of the data itself when `dataOffset` is known (from a local scan). */
  headerOffset: number;
  dataOffset?: number;
}

/** No member we read (container.xml, the OPF) may inflate past this. */
const MAX_MEMBER = 16 * 1024 * 1024;
const MAX_CENTRAL = 32 * 1024 * 1024;

async function readAt(fh: FileHandle, pos: number, len: number): Promise<Buffer> {
  const buf = Buffer.alloc(len);
  const { bytesRead } = await fh.read(buf, 0, len, pos);
  return buf.subarray(0, bytesRead);
}

export class ZipReader {
  /** True when the member list came from scanning local headers because the central directory is missing. */
  partial = false;

  private constructor(
    private readonly fh: FileHandle,
    readonly entries: Map<string, ZipEntry>,
  ) {}

  /** Opens an archive by its central directory; a truncated archive falls back to scanning local headers. */
  static async open(fh: FileHandle, size: number): Promise<ZipReader> {
    const tailLen = Math.min(size, 65_557);
    const tail = await readAt(fh, size - tailLen, tailLen);
    for (let i = tail.length - 22; i >= 0; i--) {
      if (tail.readUInt32LE(i) !== 0x06054b50) continue;
      const count = tail.readUInt16LE(i + 10);
      const cdSize = tail.readUInt32LE(i + 12);
      const cdOffset = tail.readUInt32LE(i + 16);
      if (cdOffset === 0xffffffff || cdSize > MAX_CENTRAL || cdOffset + cdSize > size) break;
      const cd = await readAt(fh, cdOffset, cdSize);
      const entries = new Map<string, ZipEntry>();
      let p = 0;
      for (let n = 0; n < count && p + 46 <= cd.length && cd.readUInt32LE(p) === 0x02014b50; n++) {
        const nameLen = cd.readUInt16LE(p + 28);
        const extraLen = cd.readUInt16LE(p + 30);
        const commentLen = cd.readUInt16LE(p + 32);
        const name = cd.toString('utf8', p + 46, p + 46 + nameLen);
        entries.set(name, {
          name,
          method: cd.readUInt16LE(p + 10),
          compressedSize: cd.readUInt32LE(p + 20),
          size: cd.readUInt32LE(p + 24),
          headerOffset: cd.readUInt32LE(p + 42),
        });
        p += 46 + nameLen + extraLen + commentLen;
      }
      if (entries.size > 0) return new ZipReader(fh, entries);
      break;
    }
    const reader = new ZipReader(fh, await scanLocal(fh, size));
    reader.partial = true;
    return reader;
  }

  /** The member's bytes, or undefined when it is absent; throws when it is damaged. */
  async read(name: string): Promise<Buffer | undefined> {
    const e = this.entries.get(name);
    if (!e) return undefined;
    let dataOffset = e.dataOffset;
    if (dataOffset === undefined) {
      const h = await readAt(this.fh, e.headerOffset, 30);
      if (h.length < 30 || h.readUInt32LE(0) !== 0x04034b50) throw new Error(`bad local header for ${name}`);
      dataOffset = e.headerOffset + 30 + h.readUInt16LE(26) + h.readUInt16LE(28);
    }
    if (e.compressedSize > MAX_MEMBER || e.size > MAX_MEMBER) throw new Error(`${name} is too large`);
    const data = await readAt(this.fh, dataOffset, e.compressedSize);
    if (data.length < e.compressedSize) throw new Error(`${name} is truncated`);
    if (e.method === 0) return data;
    if (e.method === 8) return inflateRawSync(data, { maxOutputLength: MAX_MEMBER });
    throw new Error(`${name}: unsupported compression method ${e.method}`);
  }
}

/** Members found by walking local headers from the start (for an archive cut before its central directory). */
async function scanLocal(fh: FileHandle, size: number): Promise<Map<string, ZipEntry>> {
  const entries = new Map<string, ZipEntry>();
  let pos = 0;
  for (let n = 0; n < 100_000 && pos + 30 <= size; n++) {
    const h = await readAt(fh, pos, 30);
    if (h.length < 30 || h.readUInt32LE(0) !== 0x04034b50) break;
    const flags = h.readUInt16LE(6);
    const nameLen = h.readUInt16LE(26);
    const extraLen = h.readUInt16LE(28);
    const name = (await readAt(fh, pos + 30, nameLen)).toString('utf8');
    const compressedSize = h.readUInt32LE(18);
    const dataOffset = pos + 30 + nameLen + extraLen;
    if (flags & 8 && compressedSize === 0) break; // sizes only in a trailing descriptor: cannot walk further
    entries.set(name, { name, method: h.readUInt16LE(8), compressedSize, size: h.readUInt32LE(22), headerOffset: pos, dataOffset });
    pos = dataOffset + compressedSize;
  }
  return entries;
}
