// Many small files on one stream (/semsync/files/1.0.0): one `reqs` frame names up to MAX_BATCH hashes; the server
// answers each in order with `meta` + chunks + `end`, or `deny`. A stream per file cost a protocol negotiation and a
// dozen small socket writes per file; 10,000 files of 2-20 KB spent more time there than on the bytes. What the
// receiver checks is unchanged: every chunk's hash, the whole file's hash, part file + fsync + rename.
import { createHash } from 'node:crypto';
import { open, rename, rm, statfs } from 'node:fs/promises';
import path from 'node:path';
import type { Stream } from '@libp2p/interface';
import { findGrantedFile, sendRange, FILE_CHUNK, type FileServerDeps } from './files.js';
import { FetchError, PartFile } from './part-file.js';
import { encodeFrame, WireError } from './wire/frame.js';
import { allocChunkFrame, decodeFile, encodeFile, MAX_BATCH, MAX_CHUNK, MIN_WIRE_VERSION, WIRE_VERSION, type FileMsg } from './wire/messages.js';
import { closeStream, readFrames, sendFrame, sendFramed } from './wire/stream.js';

const MAX_FRAME = MAX_CHUNK + 64;

const COALESCE = 256 * 1024;

/** Whole frames gathered and sent as one write once COALESCE bytes wait (or at flush). */
class Coalesced {
  private frames: Uint8Array[] = [];
  private bytes = 0;

  constructor(private readonly stream: Stream) {}

  async add(frame: Uint8Array): Promise<void> {
    this.frames.push(frame);
    this.bytes += frame.length;
    if (this.bytes >= COALESCE) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.frames.length === 0) return;
    const all = this.frames.length === 1 ? this.frames[0] : Buffer.concat(this.frames, this.bytes);
    this.frames = [];
    this.bytes = 0;
    await sendFramed(this.stream, all);
  }
}

/** A small file (at most one chunk) as one chunk frame, read straight into it and hashed there. */
async function chunkFrame(file: string, size: number): Promise<Buffer> {
  const f = allocChunkFrame(size);
  const fh = await open(file, 'r');
  try {
    for (let got = 0; got < size; ) {
      const r = await fh.read(f.frame, f.dataAt + got, size - got, got);
      if (r.bytesRead === 0) throw new Error(`${file} shrank while being sent`);
      got += r.bytesRead;
    }
  } finally {
    await fh.close();
  }
  f.frame.set(createHash('sha256').update(f.frame.subarray(f.dataAt)).digest(), f.hashAt);
  return f.frame;
}

/** Answer one `reqs` on `stream` from the authenticated `peerId`: each granted file in order, a deny for the others. */
export async function serveBatch(stream: Stream, peerId: string, deps: FileServerDeps): Promise<void> {
  const send = (m: FileMsg) => sendFrame(stream, encodeFile(m), MAX_FRAME);
  try {
    if (!deps.isPaired(peerId)) {
      deps.log.info({ peer: peerId }, 'batch file request from an unpaired peer refused');
      await send({ t: 'deny', reason: 'not-paired' });
      return await closeStream(stream);
    }
    let req: FileMsg | undefined;
    for await (const frames of readFrames(stream, 64 * 1024)) {
      req = decodeFile(frames[0]);
      break;
    }
    if (!req || req.t !== 'reqs') throw new WireError('expected a batch file request');
    if (req.v < MIN_WIRE_VERSION || req.v > WIRE_VERSION) {
      await send({ t: 'deny', reason: 'version' });
      return await closeStream(stream);
    }
    const grants = deps.grantsFor(peerId);
    // Small files' frames are sent together, up to COALESCE bytes a write (three sends per file cost as much as the data).
    const out = new Coalesced(stream);
    for (const hash of req.hashes) {
      // pairing and grants are checked for each file: a revoke during the batch stops what follows
      const found = deps.isPaired(peerId) ? await findGrantedFile(deps.store, deps.self, grants, hash) : undefined;
      if (!found) {
        await out.add(encodeFrame(encodeFile({ t: 'deny', reason: 'not-found' }), MAX_FRAME));
        continue;
      }
      await out.add(encodeFrame(encodeFile({ t: 'meta', size: found.size, offset: 0 }), MAX_FRAME));
      if (found.size > 0 && found.size <= FILE_CHUNK && !deps.delayMs) await out.add(await chunkFrame(found.file, found.size));
      else if (found.size > 0) {
        await out.flush();
        await sendRange(found.file, 0, found.size, FILE_CHUNK, (frame) => sendFramed(stream, frame), deps.delayMs);
      }
      await out.add(encodeFrame(encodeFile({ t: 'end' }), MAX_FRAME));
    }
    await out.flush();
    await closeStream(stream);
  } catch (err) {
    deps.log.warn({ peer: peerId, err: String(err) }, 'batch file request failed or rejected');
    await closeStream(stream, err instanceof Error ? err : new Error(String(err)));
  }
}

/** One file of a batch: where it goes; `error` is set when it could not be fetched (the others go on). */
export interface BatchItem {
  hash: string;
  out: string;
  error?: string;
}

/** Files up to this size are gathered in memory and written by a task of their own while the stream goes on. */
const SMALL_MAX = 4 << 20;
/** Small files being written (part file, fsync, rename) at once. */
const WRITES_IN_FLIGHT = 32;
const FREE_MARGIN = 1 << 20;

/** One small file, verified in memory, made durable under its final name: part file, write, fdatasync, rename. */
async function writeSmall(out: string, data: Buffer[]): Promise<void> {
  const part = `${out}.semsync-part`;
  const fh = await open(part, 'w');
  try {
    if (data.length) await fh.writev(data);
    await fh.datasync();
  } finally {
    await fh.close();
  }
  await rename(part, out);
}

async function freeIn(dir: string): Promise<number | undefined> {
  try {
    const st = await statfs(dir);
    return st.bavail * st.bsize;
  } catch {
    return undefined;
  }
}

/** A chunk of a small file: checked against its hash, kept (copied: the frame's buffer may be reused). */
function takeChunk(cur: Extract<Current, { kind: 'small' }>, sha256: Uint8Array, data: Uint8Array, what: string): void {
  if (cur.got + data.length > cur.size) throw new FetchError(`${what}: more bytes than announced`);
  if (!Buffer.from(sha256).equals(createHash('sha256').update(data).digest())) throw new FetchError(`${what}: chunk at ${cur.got} fails its hash`);
  const copy = Buffer.from(data);
  cur.data.push(copy);
  cur.hash.update(copy);
  cur.got += copy.length;
}

/** What arrives for the current file: small ones in memory, the others through a PartFile. */
type Current = { kind: 'small'; size: number; got: number; data: Buffer[]; hash: ReturnType<typeof createHash> } | { kind: 'part'; part: PartFile };

/**
 * Fetch `items` (at most MAX_BATCH) over one open FILES_PROTOCOL stream. A denied or failed file gets its `error`
 * and the batch goes on; a broken stream (or bad data) fails the files not yet received, and the error is thrown.
 * Every chunk is checked against its hash and every file against its content hash before it gets its name.
 */
export async function fetchBatchOverStream(stream: Stream, peerId: string, items: BatchItem[]): Promise<void> {
  if (items.length === 0 || items.length > MAX_BATCH) throw new FetchError(`a batch holds 1 to ${MAX_BATCH} files, not ${items.length}`);
  let at = 0;
  let cur: Current | undefined;
  const writes = new Set<Promise<void>>();
  let free = await freeIn(path.dirname(items[0].out));
  const finish = async () => {
    const item = items[at++];
    const c = cur!;
    cur = undefined;
    if (c.kind === 'part') {
      try {
        await c.part.flush();
      } finally {
        await c.part.close();
      }
      await c.part.commit(item.out, true).catch((e: Error) => (item.error = e.message));
      return;
    }
    if (c.got !== c.size) throw new FetchError(`${peerId}: ${item.hash} ended at ${c.got} of ${c.size} bytes`);
    const digest = c.hash.digest('hex');
    if (digest !== item.hash) return void (item.error = `${peerId}: content hashes to ${digest}, not ${item.hash}`);
    const w: Promise<void> = writeSmall(item.out, c.data)
      .catch(async (e: Error) => {
        item.error = `${item.out}: ${e.message}`;
        await rm(`${item.out}.semsync-part`, { force: true });
      })
      .finally(() => writes.delete(w));
    writes.add(w);
    if (writes.size >= WRITES_IN_FLIGHT) await Promise.race(writes);
  };
  try {
    await sendFrame(stream, encodeFile({ t: 'reqs', v: WIRE_VERSION, hashes: items.map((i) => i.hash) }), MAX_FRAME);
    for await (const frames of readFrames(stream, MAX_FRAME)) {
      for (const f of frames) {
        if (at >= items.length) throw new FetchError(`${peerId}: more answers than files asked for`);
        const m = decodeFile(f);
        if (m.t === 'deny') {
          if (cur) throw new FetchError(`${peerId}: deny in the middle of a file`);
          items[at].error = `${peerId} denied ${items[at].hash}: ${m.reason}`;
          at++;
        } else if (m.t === 'meta') {
          if (cur || m.offset !== 0) throw new FetchError(`${peerId}: unexpected meta`);
          if (m.size <= SMALL_MAX) {
            if (free !== undefined && m.size > free - FREE_MARGIN) throw new FetchError(`${items[at].hash} needs ${m.size} bytes but ${path.dirname(items[at].out)} has ${free} free; free some space and fetch again`);
            if (free !== undefined) free -= m.size;
            cur = { kind: 'small', size: m.size, got: 0, data: [], hash: createHash('sha256') };
          } else {
            // a whole-file answer: a part file an earlier attempt left starts again
            await rm(`${items[at].out}.semsync-part`, { force: true });
            const part = await PartFile.open(items[at].out, peerId, items[at].hash);
            await part.meta(m.size);
            cur = { kind: 'part', part };
          }
        } else if (m.t === 'chunk') {
          if (!cur) throw new FetchError(`${peerId}: data before meta`);
          if (cur.kind === 'part') await cur.part.chunk(m.sha256, m.data);
          else takeChunk(cur, m.sha256, m.data, `${peerId}: ${items[at].hash}`);
        } else if (m.t === 'end') {
          if (!cur) throw new FetchError(`${peerId}: end before meta`);
          await finish();
        } else throw new FetchError(`${peerId}: unexpected ${m.t} in a batch`);
      }
      if (at >= items.length) break;
    }
    if (at < items.length) throw new FetchError(`${peerId}: the batch ended after ${at} of ${items.length} files`);
    await Promise.all(writes);
    await closeStream(stream).catch(() => {});
  } catch (err) {
    if (cur?.kind === 'part') await cur.part.close().catch(() => {});
    await Promise.all(writes);
    for (let i = at; i < items.length; i++) items[i].error ??= (err as Error).message;
    await closeStream(stream, err instanceof Error ? err : new Error(String(err))).catch(() => {});
    throw err;
  }
}
