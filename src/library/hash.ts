// SHA-256 of a file's bytes, streamed, plus the first bytes for content sniffing.
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';

export const HEAD_BYTES = 4100;
const CHUNK = 1 << 20;

export interface HashResult {
  sha256: string;
  head: Uint8Array;
  size: number;
}

/** Reads the file once: its hash and its head. */
export async function hashFile(path: string): Promise<HashResult> {
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
