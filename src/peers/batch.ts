// Many small files on one stream (/semsync/files/1.0.0): one `reqs` frame names up to MAX_BATCH hashes; the server
// answers each in order with `meta` + chunks + `end`, or `deny`. A stream per file cost a protocol negotiation and a
// dozen small socket writes per file; 10,000 files of 2-20 KB spent more time there than on the bytes. What the
// receiver checks is unchanged: every chunk's hash, the whole file's hash, part file + fsync + rename.
import { rm } from 'node:fs/promises';
import type { Stream } from '@libp2p/interface';
import { findGrantedFile, sendRange, FILE_CHUNK, type FileServerDeps } from './files.js';
import { FetchError, PartFile } from './part-file.js';
import { WireError } from './wire/frame.js';
import { decodeFile, encodeFile, MAX_BATCH, MAX_CHUNK, MIN_WIRE_VERSION, WIRE_VERSION, type FileMsg } from './wire/messages.js';
import { closeStream, readFrames, sendFrame, sendFramed } from './wire/stream.js';

const MAX_FRAME = MAX_CHUNK + 64;

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
    for (const hash of req.hashes) {
      // pairing and grants are checked for each file: a revoke during the batch stops what follows
      const found = deps.isPaired(peerId) ? await findGrantedFile(deps.store, deps.self, grants, hash) : undefined;
      if (!found) {
        await send({ t: 'deny', reason: 'not-found' });
        continue;
      }
      await send({ t: 'meta', size: found.size, offset: 0 });
      if (found.size > 0) await sendRange(found.file, 0, found.size, FILE_CHUNK, (frame) => sendFramed(stream, frame), deps.delayMs);
      await send({ t: 'end' });
    }
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

/**
 * Fetch `items` (at most MAX_BATCH) over one open FILES_PROTOCOL stream. A denied or failed file gets its `error`
 * and the batch goes on; a broken stream (or bad data) fails the files not yet received, and the error is thrown.
 */
export async function fetchBatchOverStream(stream: Stream, peerId: string, items: BatchItem[]): Promise<void> {
  if (items.length === 0 || items.length > MAX_BATCH) throw new FetchError(`a batch holds 1 to ${MAX_BATCH} files, not ${items.length}`);
  let at = 0;
  let part: PartFile | undefined;
  const finish = async (error?: string) => {
    const item = items[at++];
    if (error) item.error = error;
    const p = part;
    part = undefined;
    if (!p) return;
    try {
      await p.flush();
    } finally {
      await p.close();
    }
    if (!error) await p.commit(item.out, true).catch((e: Error) => (item.error = e.message));
  };
  try {
    await sendFrame(stream, encodeFile({ t: 'reqs', v: WIRE_VERSION, hashes: items.map((i) => i.hash) }), MAX_FRAME);
    for await (const frames of readFrames(stream, MAX_FRAME)) {
      for (const f of frames) {
        if (at >= items.length) throw new FetchError(`${peerId}: more answers than files asked for`);
        const m = decodeFile(f);
        if (m.t === 'deny') {
          if (part) throw new FetchError(`${peerId}: deny in the middle of a file`);
          await finish(`${peerId} denied ${items[at].hash}: ${m.reason}`);
        } else if (m.t === 'meta') {
          if (part || m.offset !== 0) throw new FetchError(`${peerId}: unexpected meta`);
          // a whole-file answer: a part file an earlier attempt left starts again
          await rm(`${items[at].out}.semsync-part`, { force: true });
          part = await PartFile.open(items[at].out, peerId, items[at].hash);
          await part.meta(m.size);
          if (m.size === 0) continue;
        } else if (m.t === 'chunk') {
          if (!part) throw new FetchError(`${peerId}: data before meta`);
          await part.chunk(m.sha256, m.data);
        } else if (m.t === 'end') {
          if (!part) throw new FetchError(`${peerId}: end before meta`);
          await finish();
        } else throw new FetchError(`${peerId}: unexpected ${m.t} in a batch`);
      }
      if (at >= items.length) break;
    }
    if (at < items.length) throw new FetchError(`${peerId}: the batch ended after ${at} of ${items.length} files`);
    await closeStream(stream).catch(() => {});
  } catch (err) {
    await part?.close().catch(() => {});
    for (let i = at; i < items.length; i++) items[i].error ??= (err as Error).message;
    await closeStream(stream, err instanceof Error ? err : new Error(String(err))).catch(() => {});
    throw err;
  }
}
