// Files by content hash (/semsync/file/1.1.0, 1.0.0 still served): serve granted content, fetch it chunk-verified
// and resumable, large ranges over the bulk channel (bulk.ts) when it can be reached.
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Stream } from '@libp2p/interface';
import { connectBulk, type BulkServer, type FrameWriter, type TicketRange } from './bulk.js';
import { NIE, contentIri } from '../graph/vocab.js';
import { ownSource } from './filter.js';
import type { Logger, SyncStore } from './types.js';
import { FrameDecoder, WireError } from './wire/frame.js';
import { allocChunkFrame, decodeFile, encodeFile, MIN_WIRE_VERSION, WIRE_VERSION, MAX_CHUNK, type FileMsg } from './wire/messages.js';
import { closeStream, readFrames, sendFrame, sendFramed } from './wire/stream.js';
import { FetchError, PartFile, type FetchProgress } from './part-file.js';

export { FetchError, type FetchProgress };

export const FILE_CHUNK = 256 * 1024;
/** Chunks on the bulk channel (TLS records are cut by OpenSSL, so a chunk may be as big as a frame allows). */
export const BULK_CHUNK = MAX_CHUNK;
/** Ranges at least this long are offered over the bulk channel. */
export const BULK_MIN_BYTES = 1024 * 1024;
const FILE_MAX_FRAME = MAX_CHUNK + 64;

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
  /** Offer ranges of at least `minBytes` over this bulk channel (protocol 1.1.0 only). */
  bulk?: { server: BulkServer; minBytes: number };
  /** For tests: pause between chunks. */
  delayMs?: number;
}

/**
 * Send bytes `from`..size-1 of a file as chunk frames of `chunk` bytes. Each chunk is read straight into its frame
 * and hashed there (no copies between the file and the transport); the next chunk is read while one is sent.
 * Frames the writer reports reusable are read into again (fresh 1 MiB buffers cost page faults and GC).
 */
export async function sendRange(file: string, from: number, size: number, chunk: number, write: FrameWriter, delayMs?: number): Promise<void> {
  const fh = await fs.open(file, 'r');
  const free: Buffer[] = [];
  const read = async (pos: number) => {
    const n = Math.min(chunk, size - pos);
    const f = allocChunkFrame(n, n === chunk ? free.pop() : undefined);
    for (let got = 0; got < n; ) {
      const r = await fh.read(f.frame, f.dataAt + got, n - got, pos + got);
      if (r.bytesRead === 0) throw new Error(`${file} shrank while being sent`);
      got += r.bytesRead;
    }
    return { ...f, n };
  };
  let next: ReturnType<typeof read> | undefined;
  try {
    next = from < size ? read(from) : undefined;
    for (let pos = from; next; ) {
      const { frame, hashAt, dataAt, n } = await next;
      pos += n;
      next = pos < size ? read(pos) : undefined;
      next?.catch(() => {}); // seen when awaited; not unhandled if the write below fails first
      frame.set(createHash('sha256').update(frame.subarray(dataAt)).digest(), hashAt);
      await write(frame, n === chunk ? () => void (free.length < 8 && free.push(frame)) : undefined);
      if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
    }
  } finally {
    await next?.catch(() => {});
    await fh.close();
  }
}

/** The bulk channel's sender for a node's BulkServer. */
export const bulkRangeSender = (delayMs?: number) => (t: TicketRange, write: FrameWriter) => sendRange(t.file, t.offset, t.size, BULK_CHUNK, write, delayMs);

/** Frames of a stream one at a time (a stream may deliver several in one piece). */
function frameReader(stream: Stream, maxFrame: number): () => Promise<Uint8Array | undefined> {
  const it = readFrames(stream, maxFrame);
  const queue: Uint8Array[] = [];
  return async () => {
    while (queue.length === 0) {
      const r = await it.next();
      if (r.done) return undefined;
      queue.push(...r.value);
    }
    return queue.shift();
  };
}

/** Answer one file request on `stream` from the authenticated `peerId`. */
export async function serveFile(stream: Stream, peerId: string, deps: FileServerDeps): Promise<void> {
  const send = (m: FileMsg) => sendFrame(stream, encodeFile(m), FILE_MAX_FRAME);
  let ticket: string | undefined;
  try {
    if (!deps.isPaired(peerId)) {
      deps.log.info({ peer: peerId }, 'file request from an unpaired peer refused');
      await send({ t: 'deny', reason: 'not-paired' });
      return await closeStream(stream);
    }
    const next = frameReader(stream, 1024);
    const first = await next();
    const req: FileMsg | undefined = first ? decodeFile(first) : undefined;
    if (!req || req.t !== 'req') throw new WireError('expected a file request');
    if (req.v < MIN_WIRE_VERSION || req.v > WIRE_VERSION) {
      await send({ t: 'deny', reason: 'version' });
      return await closeStream(stream);
    }
    const found = await findGrantedFile(deps.store, deps.self, deps.grantsFor(peerId), req.hash);
    if (!found) {
      deps.log.info({ peer: peerId, hash: req.hash }, 'file request denied (not in a share granted to the peer)');
      await send({ t: 'deny', reason: 'not-found' });
      return await closeStream(stream);
    }
    let offset = Math.min(req.offset, found.size);
    await send({ t: 'meta', size: found.size, offset });
    if (deps.bulk && found.size - offset >= deps.bulk.minBytes) {
      const allowed = async () => deps.isPaired(peerId) && (await findGrantedFile(deps.store, deps.self, deps.grantsFor(peerId), req.hash))?.file === found.file;
      const t = await deps.bulk.server.issue({ file: found.file, hash: req.hash, offset, size: found.size, allowed });
      if (t) {
        ticket = t.id;
        await send({ t: 'bulk', id: t.id, key: t.key, port: t.port });
        // The peer fetches over the bulk channel and closes this stream, or says where to go on from here.
        const f = await next();
        if (!f) return await closeStream(stream);
        const m = decodeFile(f);
        if (m.t !== 'bulk-no' || m.offset < offset || m.offset > found.size) throw new WireError(`expected bulk-no within ${offset}..${found.size}`);
        deps.bulk.server.drop(t.id);
        // Time has passed since the checks above: the rest goes over the stream only while still granted.
        if (!(await allowed())) {
          deps.log.info({ peer: peerId, hash: req.hash }, 'file request denied (unpaired or grant revoked during the transfer)');
          await send({ t: 'deny', reason: 'not-found' });
          return await closeStream(stream);
        }
        offset = m.offset;
      }
    }
    if (offset < found.size) await sendRange(found.file, offset, found.size, FILE_CHUNK, (frame) => sendFramed(stream, frame), deps.delayMs);
    await send({ t: 'end' });
    await closeStream(stream);
  } catch (err) {
    deps.log.warn({ peer: peerId, err: String(err) }, 'file request failed or rejected');
    await closeStream(stream, err instanceof Error ? err : new Error(String(err)));
  } finally {
    if (ticket) deps.bulk?.server.drop(ticket);
  }
}

export interface FetchOptions {
  onProgress?: (p: FetchProgress) => void;
  /** The server's host as this connection reaches it: where a `bulk` offer is taken up. Without it, offers are declined. */
  bulkHost?: string;
  /** How long connecting to the bulk channel may take before the stream is used instead (default 5 s). */
  bulkConnectMs?: number;
  log?: Logger;
}

/**
 * Take up a bulk offer: chunks over TLS-PSK into `part` until `end` (true) or the connection drops (throws).
 * Bytes arrive in one reused buffer (`onread`); the socket pauses while two frames wait to be checked.
 */
async function fetchOverBulk(host: string, offer: { id: string; key: string; port: number }, part: PartFile, connectMs: number): Promise<boolean> {
  const decoder = new FrameDecoder(FILE_MAX_FRAME, part.alloc, true);
  const queue: Uint8Array[] = [];
  let failed: Error | undefined;
  let closed = false;
  let paused = false;
  let wake: (() => void) | undefined;
  const kick = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const onread = {
    buffer: Buffer.allocUnsafe(256 * 1024),
    callback: (n: number, buf: Buffer): boolean => {
      try {
        for (const f of decoder.push(buf.subarray(0, n))) queue.push(f);
      } catch (err) {
        failed ??= err as Error;
      }
      kick();
      if (queue.length < 2) return true;
      paused = true;
      return false;
    },
  };
  const sock = await connectBulk(host, offer, { hash: part.hash, offset: part.have }, connectMs, onread);
  const ended = () => {
    closed = true;
    kick();
  };
  sock.on('end', ended);
  sock.on('close', ended);
  sock.on('error', (err) => {
    failed ??= err;
    kick();
  });
  try {
    for (;;) {
      const f = queue.shift();
      if (!f) {
        if (failed) throw failed;
        if (closed) throw new Error('the bulk connection closed before the end');
        if (paused) {
          paused = false;
          sock.resume();
        }
        await new Promise<void>((r) => (wake = r));
        continue;
      }
      const m = decodeFile(f);
      if (m.t === 'chunk') await part.chunk(m.sha256, m.data);
      else if (m.t === 'end') return true;
      else throw new FetchError(`${part.peerId}: unexpected ${m.t} on the bulk channel`);
    }
  } finally {
    sock.destroy();
  }
}

/**
 * Fetch `hash` over an open file-protocol stream into `outPath` (via `<outPath>.semsync-part`, resuming from it).
 * A `bulk` offer (protocol 1.1.0) is taken up when `bulkHost` is known; if that channel cannot be reached or
 * drops midway, the rest comes over the stream. Resolves with the bytes received in this call; throws FetchError
 * on a denial, a bad chunk, or a final hash that does not match (the part file is then removed).
 */
export async function fetchOverStream(stream: Stream, peerId: string, hash: string, outPath: string, o: FetchOptions = {}): Promise<number> {
  const part = await PartFile.open(outPath, peerId, hash, o.onProgress);
  let done = false;
  try {
    await sendFrame(stream, encodeFile({ t: 'req', v: WIRE_VERSION, hash, offset: part.have }), FILE_MAX_FRAME);
    let offered = false;
    outer: for await (const frames of readFrames(stream, FILE_MAX_FRAME, part.alloc)) {
      for (const f of frames) {
        const m = decodeFile(f);
        if (m.t === 'deny') throw new FetchError(`${peerId} denied ${hash}: ${m.reason}`);
        if (m.t === 'meta') {
          if (part.size >= 0) throw new FetchError(`${peerId}: second meta`);
          if (m.offset !== part.have) throw new FetchError(`${peerId}: resumed at ${m.offset}, asked ${part.have}`);
          await part.meta(m.size);
          continue;
        }
        if (part.size < 0) throw new FetchError(`${peerId}: data before meta`);
        if (m.t === 'chunk') {
          await part.chunk(m.sha256, m.data);
          continue;
        }
        if (m.t === 'bulk') {
          if (offered) throw new FetchError(`${peerId}: second bulk offer`);
          offered = true;
          if (o.bulkHost) {
            try {
              if (await fetchOverBulk(o.bulkHost, m, part, o.bulkConnectMs ?? 5_000)) {
                done = true;
                break outer;
              }
            } catch (err) {
              if (err instanceof FetchError) throw err;
              o.log?.info({ peer: peerId, host: o.bulkHost, port: m.port, at: part.have, err: String(err) }, 'bulk channel failed; going on over the libp2p stream');
            }
          }
          await sendFrame(stream, encodeFile({ t: 'bulk-no', offset: part.have }), FILE_MAX_FRAME);
          continue;
        }
        if (m.t === 'end') {
          done = true;
          break outer;
        }
        throw new FetchError(`${peerId}: unexpected ${m.t}`);
      }
    }
    await part.flush();
  } finally {
    await part.close();
  }
  await closeStream(stream).catch(() => {});
  await part.commit(outPath, done);
  return part.received;
}
