// Worker thread entry for a big fetch (see part-file.ts, WorkerSink): hashes what the part file already holds, then
// hashes and appends every buffer it is sent, handing each buffer back for reuse.
import fs from 'node:fs';
import { createHash } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';

/** From the receiving thread. */
export type WriterRequest = { t: 'data'; buf: ArrayBuffer; off: number; len: number } | { t: 'finish' } | { t: 'abort' };
/** To the receiving thread. */
export type WriterReply =
  | { t: 'ready' }
  | { t: 'written'; len: number; buf: ArrayBuffer }
  | { t: 'done'; hex: string }
  | { t: 'aborted' }
  | { t: 'error'; message: string };

const port = parentPort!;
const { part } = workerData as { part: string };
const running = createHash('sha256');
let fd: number | undefined;

const send = (m: WriterReply, transfer?: ArrayBuffer[]) => port.postMessage(m, transfer);
const failed = (e: unknown) => send({ t: 'error', message: e instanceof Error ? e.message : String(e) });

try {
  if (fs.existsSync(part)) {
    const r = fs.openSync(part, 'r');
    const b = Buffer.allocUnsafe(1 << 20);
    for (let n; (n = fs.readSync(r, b, 0, b.length, null)) > 0; ) running.update(b.subarray(0, n));
    fs.closeSync(r);
  }
  fd = fs.openSync(part, 'a');
  send({ t: 'ready' });
} catch (e) {
  failed(e);
}

port.on('message', (m: WriterRequest) => {
  try {
    if (m.t === 'data') {
      const v = new Uint8Array(m.buf, m.off, m.len);
      running.update(v);
      for (let off = 0; off < v.length; ) off += fs.writeSync(fd!, v, off, v.length - off); // a short write on a filling disk
      send({ t: 'written', len: m.len, buf: m.buf }, [m.buf]); // back to the pool
    } else if (m.t === 'finish') {
      fs.fsyncSync(fd!);
      fs.closeSync(fd!);
      fd = undefined;
      send({ t: 'done', hex: running.digest('hex') });
    } else if (m.t === 'abort') {
      if (fd !== undefined) fs.closeSync(fd);
      fd = undefined;
      send({ t: 'aborted' });
    }
  } catch (e) {
    failed(e);
  }
});
