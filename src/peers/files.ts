// Files by content hash (/semsync/file/1.0.0): serve granted content, fetch it chunk-verified and resumable.
import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Stream } from '@libp2p/interface';
import { NIE, contentIri } from '../graph/vocab.js';
import { ownSource } from './filter.js';
import type { Logger, SyncStore } from './types.js';
import { WireError } from './wire/frame.js';
import { allocChunkFrame, decodeFile, encodeFile, MIN_WIRE_VERSION, WIRE_VERSION, MAX_CHUNK, type FileMsg } from './wire/messages.js';
import { closeStream, readFrames, sendFrame, sendFramed } from './wire/stream.js';

export const FILE_CHUNK = 256 * 1024;
const FILE_MAX_FRAME = MAX_CHUNK + 64;

export class FetchError extends Error {
  override name = 'FetchError';
}

export interface FetchProgress {
  hash: string;
  peerId: string;
  received: number;
  size: number;
}

/** Parse `urn:sha256:HEX` or bare HEX into lower-case hex; throws FetchError otherwise. */
export function parseContentHash(s: string): string {
  const hex = s.startsWith('urn:sha256:') ? s.slice('urn:sha256:'.length) : s;
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new FetchError(`not a content hash: ${JSON.stringify(s)} (expected urn:sha256:<64 hex digits>)`);
  return hex.toLowerCase();
}

/**
 * The local file holding `hash` that `peerId` may read: a file IRI with nie:interpretedAs <urn:sha256:hash>
 * in one of OUR share graphs granted to that peer. Undefined when there is none (or none on disk).
 */
export async function findGrantedFile(store: SyncStore, self: string, grants: readonly string[], hash: string): Promise<{ file: string; size: number } | undefined> {
  const shares = new Set(grants);
  for (const q of store.match(null, NIE('interpretedAs'), contentIri(hash), null)) {
    if (q.graph.termType !== 'NamedNode' || q.subject.termType !== 'NamedNode') continue;
    const src = ownSource(self, q.graph.value);
    if (!src?.startsWith('share/') || !shares.has(src.slice('share/'.length))) continue;
    if (!q.subject.value.startsWith('file://')) continue;
    let file: string;
    try {
      file = fileURLToPath(q.subject.value);
    } catch {
      continue;
    }
    const st = await fs.stat(file).catch(() => undefined);
    if (st?.isFile()) return { file, size: st.size };
  }
  return undefined;
}

export interface FileServerDeps {
  self: string;
  store: SyncStore;
  isPaired(peerId: string): boolean;
  grantsFor(peerId: string): string[];
  log: Logger;
  /** For tests: pause between chunks. */
  delayMs?: number;
}

/** Answer one file request on `stream` from the authenticated `peerId`. */
export async function serveFile(stream: Stream, peerId: string, deps: FileServerDeps): Promise<void> {
  const send = (m: FileMsg) => sendFrame(stream, encodeFile(m), FILE_MAX_FRAME);
  try {
    if (!deps.isPaired(peerId)) {
      deps.log.info({ peer: peerId }, 'file request from an unpaired peer refused');
      await send({ t: 'deny', reason: 'not-paired' });
      return closeStream(stream);
    }
    const first = await readFrames(stream, 1024).next();
    const req: FileMsg | undefined = first.done ? undefined : decodeFile(first.value[0]);
    if (!req || req.t !== 'req') throw new WireError('expected a file request');
    if (req.v < MIN_WIRE_VERSION || req.v > WIRE_VERSION) {
      await send({ t: 'deny', reason: 'version' });
      return closeStream(stream);
    }
    const found = await findGrantedFile(deps.store, deps.self, deps.grantsFor(peerId), req.hash);
    if (!found) {
      deps.log.info({ peer: peerId, hash: req.hash }, 'file request denied (not in a share granted to the peer)');
      await send({ t: 'deny', reason: 'not-found' });
      return closeStream(stream);
    }
    const offset = Math.min(req.offset, found.size);
    await send({ t: 'meta', size: found.size, offset });
    if (offset < found.size) {
      // Each chunk is read straight into its frame and hashed there: no copies between the file and the stream.
      const fh = await fs.open(found.file, 'r');
      try {
        for (let pos = offset; pos < found.size; ) {
          const n = Math.min(FILE_CHUNK, found.size - pos);
          const { frame, hashAt, dataAt } = allocChunkFrame(n);
          for (let got = 0; got < n; ) {
            const r = await fh.read(frame, dataAt + got, n - got, pos + got);
            if (r.bytesRead === 0) throw new Error(`${found.file} shrank while being sent`);
            got += r.bytesRead;
          }
          frame.set(createHash('sha256').update(frame.subarray(dataAt)).digest(), hashAt);
          await sendFramed(stream, frame);
          pos += n;
          if (deps.delayMs) await new Promise((r) => setTimeout(r, deps.delayMs));
        }
      } finally {
        await fh.close();
      }
    }
    await send({ t: 'end' });
    await closeStream(stream);
  } catch (err) {
    deps.log.warn({ peer: peerId, err: String(err) }, 'file request failed or rejected');
    await closeStream(stream, err instanceof Error ? err : new Error(String(err)));
  }
}

/**
 * Fetch `hash` over an open file-protocol stream into `outPath` (via `<outPath>.semsync-part`, resuming from it).
 * Resolves with the bytes received in this call; throws FetchError on a denial, a bad chunk, or a final hash
 * that does not match (the part file is then removed).
 */
export async function fetchOverStream(
  stream: Stream,
  peerId: string,
  hash: string,
  outPath: string,
  onProgress?: (p: FetchProgress) => void,
): Promise<number> {
  const part = `${outPath}.semsync-part`;
  await fs.mkdir(path.dirname(path.resolve(outPath)), { recursive: true });
  const running = createHash('sha256');
  let have = 0;
  const st = await fs.stat(part).catch(() => undefined);
  if (st?.isFile()) {
    for await (const b of createReadStream(part) as AsyncIterable<Buffer>) running.update(b);
    have = st.size;
  }
  await sendFrame(stream, encodeFile({ t: 'req', v: WIRE_VERSION, hash, offset: have }), FILE_MAX_FRAME);
  const fh = await fs.open(part, 'a');
  let received = 0;
  let size = -1;
  let done = false;
  let writing: Promise<void> = Promise.resolve();
  let queued = 0;
  let writeError: unknown;
  try {
    outer: for await (const frames of readFrames(stream, FILE_MAX_FRAME)) {
      for (const f of frames) {
        const m = decodeFile(f);
        if (m.t === 'deny') throw new FetchError(`${peerId} denied ${hash}: ${m.reason}`);
        if (m.t === 'meta') {
          if (size >= 0) throw new FetchError(`${peerId}: second meta`);
          size = m.size;
          if (m.offset !== have) throw new FetchError(`${peerId}: resumed at ${m.offset}, asked ${have}`);
          continue;
        }
        if (size < 0) throw new FetchError(`${peerId}: data before meta`);
        if (m.t === 'chunk') {
          if (have + m.data.length > size) throw new FetchError(`${peerId}: more bytes than announced`);
          if (!Buffer.from(m.sha256).equals(createHash('sha256').update(m.data).digest())) throw new FetchError(`${peerId}: chunk at ${have} fails its hash`);
          running.update(m.data);
          // Writes go on in order behind the stream (at most 8 MiB queued), so reading never waits for the disk.
          const data = m.data;
          queued += data.length;
          writing = writing.then(async () => {
            if (writeError) return;
            for (let off = 0; off < data.length; ) off += (await fh.write(data, off, data.length - off, null)).bytesWritten; // a short write on a filling disk
            queued -= data.length;
          }).catch((e: unknown) => void (writeError ??= e));
          if (queued > 8 << 20) await writing;
          if (writeError) throw writeError;
          have += m.data.length;
          received += m.data.length;
          onProgress?.({ hash, peerId, received: have, size });
          continue;
        }
        if (m.t === 'end') {
          done = true;
          break outer;
        }
        throw new FetchError(`${peerId}: unexpected ${m.t}`);
      }
    }
    await writing;
    if (writeError) throw writeError;
    await fh.sync();
  } finally {
    await writing;
    await fh.close();
  }
  await closeStream(stream).catch(() => {});
  if (!done || have !== size) throw new FetchError(`${peerId}: transfer of ${hash} interrupted at ${have} of ${size} bytes; fetch again to resume`);
  const got = running.digest('hex');
  if (got !== hash) {
    await fs.rm(part, { force: true });
    throw new FetchError(`${peerId}: content hashes to ${got}, not ${hash}; the partial file was removed`);
  }
  await fs.rename(part, outPath);
  return received;
}
