// A read-only FileHandle over bytes already in memory, so the header and zip readers serve a file read whole without new reads.
import type { FileHandle } from 'node:fs/promises';

const inMemory = new WeakMap<FileHandle, Uint8Array>();

/** The bytes behind a {@link memoryHandle}, for readers that can slice them instead of copying; else undefined. */
export function memoryBytes(fh: FileHandle): Uint8Array | undefined {
  return inMemory.get(fh);
}

/** Only read(buffer, offset, length, position) and close() are implemented: what our readers call. */
export function memoryHandle(bytes: Uint8Array): FileHandle {
  const handle = {
    async read(buffer: Uint8Array, offset = 0, length = buffer.length - offset, position: number | null = 0) {
      const from = Math.max(0, position ?? 0);
      const n = Math.max(0, Math.min(length, bytes.length - from));
      buffer.set(bytes.subarray(from, from + n), offset);
      return { bytesRead: n, buffer };
    },
    async close() {},
  };
  inMemory.set(handle as unknown as FileHandle, bytes);
  return handle as unknown as FileHandle;
}

/** The file's handle: over its bytes when the caller read them already, else opened. */
export async function openInput(file: { path: string; bytes?: Uint8Array }, open: (p: string, flags: string) => Promise<FileHandle>): Promise<FileHandle> {
  return file.bytes ? memoryHandle(file.bytes) : open(file.path, 'r');
}
