// Stored pixel size from the image header itself: JPEG SOF, PNG IHDR, GIF, WebP, HEIF/AVIF ispe (before orientation).
import type { FileHandle } from 'node:fs/promises';

export interface Size {
  width: number;
  height: number;
}

const SOF = new Set([0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf]);

async function readAt(fh: FileHandle, pos: number, len: number): Promise<Buffer> {
  const buf = Buffer.alloc(len);
  const { bytesRead } = await fh.read(buf, 0, len, pos);
  return buf.subarray(0, bytesRead);
}

/** Walks JPEG marker segments (reading only their headers) to the first SOF. */
async function jpegSize(fh: FileHandle, size: number): Promise<Size | undefined> {
  let pos = 2;
  for (let guard = 0; guard < 4096 && pos + 4 <= size; guard++) {
    const h = await readAt(fh, pos, 9);
    if (h.length < 4) return undefined;
    if (h[0] !== 0xff) return undefined;
    const marker = h[1];
    if (marker === 0xff) {
      pos += 1;
      continue;
    }
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      pos += 2;
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) return undefined;
    const len = h.readUInt16BE(2);
    if (SOF.has(marker)) {
      if (h.length < 9) return undefined;
      return { height: h.readUInt16BE(5), width: h.readUInt16BE(7) };
    }
    pos += 2 + len;
  }
  return undefined;
}

/** The largest `ispe` (image spatial extent) in the first bytes of a HEIF/AVIF: the primary image, not a tile or thumbnail. */
function heifSize(buf: Buffer): Size | undefined {
  let best: Size | undefined;
  for (let i = buf.indexOf('ispe', 4, 'latin1'); i >= 4 && i + 16 <= buf.length; i = buf.indexOf('ispe', i + 4, 'latin1')) {
    const boxSize = buf.readUInt32BE(i - 4);
    if (boxSize !== 20) continue;
    const width = buf.readUInt32BE(i + 8);
    const height = buf.readUInt32BE(i + 12);
    if (!best || width * height > best.width * best.height) best = { width, height };
  }
  return best;
}

/** The stored size of an image in a format whose header we read, or undefined (TIFF sizes come from IFD0). */
export async function headerSize(fh: FileHandle, mime: string, head: Uint8Array, size: number): Promise<Size | undefined> {
  const b = Buffer.from(head.buffer, head.byteOffset, head.length);
  switch (mime) {
    case 'image/jpeg':
      return jpegSize(fh, size);
    case 'image/png':
      return b.length >= 24 && b.toString('latin1', 12, 16) === 'IHDR' ? { width: b.readUInt32BE(16), height: b.readUInt32BE(20) } : undefined;
    case 'image/gif':
      return b.length >= 10 ? { width: b.readUInt16LE(6), height: b.readUInt16LE(8) } : undefined;
    case 'image/webp': {
      if (b.length < 30) return undefined;
      const kind = b.toString('latin1', 12, 16);
      if (kind === 'VP8X') return { width: 1 + b.readUIntLE(24, 3), height: 1 + b.readUIntLE(27, 3) };
      if (kind === 'VP8 ') return { width: b.readUInt16LE(26) & 0x3fff, height: b.readUInt16LE(28) & 0x3fff };
      if (kind === 'VP8L') {
        const bits = b.readUInt32LE(21);
        return { width: 1 + (bits & 0x3fff), height: 1 + ((bits >> 14) & 0x3fff) };
      }
      return undefined;
    }
    case 'image/heic':
    case 'image/heif':
    case 'image/avif':
      return heifSize(await readAt(fh, 0, Math.min(size, 256 * 1024)));
    default:
      return undefined;
  }
}
