// SHA-256 of a file's bytes (a small file read whole, kept for its extractor; a big one streamed), plus its first bytes.
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';

export const HEAD_BYTES = 4100;
const CHUNK = 1 << 20;

/** Files up to this size are read in one go and their bytes handed to the extractor (one read instead of two). */
export const WHOLE_BYTES = 16 << 20;

export interface HashResult {
  sha256: string;
  head: Uint8Array;
  size: number;
  /** The whole file, when it was small enough to read at once. */
  bytes?: Buffer;
}

/** Reads the file once: its hash and its head. */
export async function hashFile(path: string): Promise<HashResult> {
  // A small file is read synchronously: in a worker thread that blocks nothing else, and it saves the open, fstat,
  // read and close round trips through the libuv pool (18% of a worker's time in a 10,000-file scan).
  if (statSync(path).size <= WHOLE_BYTES) {
    const bytes = readFileSync(path);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    return { sha256, head: bytes.subarray(0, HEAD_BYTES), size: bytes.length, bytes };
  }
  const handle = await open(path, 'r');
  try {
    const hash = createHash('sha256');
    const buffer = Buffer.allocUnsafe(CHUNK);
    let head: Uint8Array | undefined;
    let size = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, CHUNK, null);
      if (bytesRead === 0) break;
      if (!head) head = Uint8Array.prototype.slice.call(buffer, 0, Math.min(bytesRead, HEAD_BYTES));
      hash.update(buffer.subarray(0, bytesRead));
      size += bytesRead;
    }
    return { sha256: hash.digest('hex'), head: head ?? new Uint8Array(0), size };
  } finally {
    await handle.close();
  }
}
