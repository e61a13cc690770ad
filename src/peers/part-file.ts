// The receiving end of one fetch: `<out>.semsync-part`, chunks verified then appended, the whole-file hash fed
// from the same buffers. Big transfers hash and write on a worker thread, so the receiving thread only decrypts,
// frames and checks chunks.
import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';
import type { Worker } from 'node:worker_threads';
import { startWorker } from '../base/index.js';
import type { WriterReply, WriterRequest } from './part-writer.js';
import { FailureError } from '../base/index.js';

export class FetchError extends FailureError {
  override name = 'FetchError';
}

export interface FetchProgress {
  hash: string;
  peerId: string;
  received: number;
  size: number;
}

/** The largest file a fetch accepts (1 TiB): a peer announcing more is refused before anything is written. */
export const MAX_FETCH_BYTES = 2 ** 40;
/** Space left free on the target's disk after a fetch (so a fetch never fills it to the last byte). */
const FREE_MARGIN = 1 << 20;

/** Bytes free to this process on the disk holding `dir` (statfs), or undefined when the system cannot say. */
async function freeBytes(dir: string): Promise<number | undefined> {
  try {
    const st = await fs.statfs(dir);
    return st.bavail * st.bsize;
  } catch {
    return undefined;
  }
}

/** Transfers with at least this much left to receive get a worker thread for the hash and the writes. */
export const WORKER_MIN_BYTES = 8 * 1024 * 1024;
/** Bytes handed on but not yet written before the receiver waits. */
const MAX_QUEUED = 8 << 20;

/** Frame buffers handed back by the writer thread, reused for the next frames of the same size (no page faults). */
class BufferPool {
  private readonly free: ArrayBuffer[] = [];

  put(ab: ArrayBuffer): void {
    if (this.free.length < 24) this.free.push(ab);
  }

  alloc = (n: number): Buffer => {
    const i = this.free.findIndex((ab) => ab.byteLength === n);
    if (i < 0) return Buffer.allocUnsafeSlow(n);
    return Buffer.from(this.free.splice(i, 1)[0], 0, n);
  };
}

/** Appends verified chunks and hashes the whole file (part bytes from an earlier attempt included). */
interface Sink {
  write(data: Uint8Array): void;
  /** Resolves when at most `bytes` are queued; rejects with a write error. */
  below(bytes: number): Promise<void>;
  /** All written and fsynced: the whole file's SHA-256 (hex). */
  finish(): Promise<string>;
  /** Stop (after an error): wait for pending writes, close the file. */
  abort(): Promise<void>;
}

/** In this thread: writes queued in order behind the transport on the thread pool. */
class InlineSink implements Sink {
  private writing: Promise<void> = Promise.resolve();
  private queued = 0;
  private error: unknown;

  private constructor(private readonly fh: fs.FileHandle, private readonly running: ReturnType<typeof createHash>) {}

  static async open(part: string): Promise<InlineSink> {
    const running = createHash('sha256');
    if ((await fs.stat(part).catch(() => undefined))?.isFile()) {
      for await (const b of createReadStream(part, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) running.update(b);
    }
    return new InlineSink(await fs.open(part, 'a'), running);
  }

  write(data: Uint8Array): void {
    this.running.update(data);
    this.queued += data.length;
    const fh = this.fh;
    this.writing = this.writing
      .then(async () => {
        if (this.error) return;
        for (let off = 0; off < data.length; ) off += (await fh.write(data, off, data.length - off, null)).bytesWritten; // a short write on a filling disk
        this.queued -= data.length;
      })
      .catch((e: unknown) => void (this.error ??= e));
  }

  async below(bytes: number): Promise<void> {
    if (this.queued > bytes) await this.writing;
    if (this.error) throw this.error;
  }

  async finish(): Promise<string> {
    await this.below(0);
    await this.fh.sync();
    await this.fh.close();
    return this.running.digest('hex');
  }

  async abort(): Promise<void> {
    await this.writing;
    await this.fh.close();
  }
}

/** On a worker thread: each chunk's buffer is moved there (copied only when it shares memory with other data). */
class WorkerSink implements Sink {
  private queued = 0;
  private error: Error | undefined;
  private waiters: Array<() => void> = [];
  private result: ((m: WriterReply | { t: 'failed' }) => void) | undefined;

  private constructor(private readonly worker: Worker, private readonly pool: BufferPool) {
    worker.on('message', (m: WriterReply) => {
      if (m.t === 'written') {
        this.queued -= m.len;
        pool.put(m.buf);
      } else if (m.t === 'error') this.error ??= new Error(m.message);
      else this.result?.(m);
      this.wake();
    });
    worker.on('error', (e) => {
      this.error ??= e;
      this.wake();
    });
    worker.on('exit', () => {
      this.error ??= new Error('the writer thread exited');
      this.wake();
    });
  }

  static async open(part: string, pool: BufferPool): Promise<WorkerSink> {
    const worker = startWorker(new URL('./part-writer.js', import.meta.url), { workerData: { part } });
    const sink = new WorkerSink(worker, pool);
    const first = await new Promise<WriterReply | { t: 'failed' }>((resolve) => {
      sink.result = resolve;
      sink.waiters.push(() => resolve({ t: 'failed' }));
    });
    if (first.t !== 'ready' || sink.error) {
      await worker.terminate();
      throw sink.error ?? new Error('the writer thread did not start');
    }
    return sink;
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  write(data: Uint8Array): void {
    if (this.error) return;
    const ab = data.buffer;
    // The buffer moves to the worker when nothing but this frame's header and data is in it (a big frame that
    // FrameDecoder assembled); otherwise the data is copied, since the rest of the buffer may still be read.
    const own = ab instanceof ArrayBuffer && data.byteOffset <= 64 && ab.byteLength === data.byteOffset + data.length;
    const buf = own ? ab : new Uint8Array(data).buffer;
    const off = own ? data.byteOffset : 0;
    this.queued += data.length;
    this.post({ t: 'data', buf: buf as ArrayBuffer, off, len: data.length }, [buf as ArrayBuffer]);
  }

  private post(m: WriterRequest, transfer?: ArrayBuffer[]): void {
    this.worker.postMessage(m, transfer);
  }

  async below(bytes: number): Promise<void> {
    while (!this.error && this.queued > bytes) await new Promise<void>((r) => this.waiters.push(r));
    if (this.error) throw this.error;
  }

  async finish(): Promise<string> {
    await this.below(0);
    const done = new Promise<WriterReply | { t: 'failed' }>((r) => (this.result = r));
    this.post({ t: 'finish' });
    const m = await Promise.race([done, this.below(-1).then(() => ({ t: 'failed' }) as const)]);
    if (this.error || m.t !== 'done') throw this.error ?? new Error('the writer thread failed');
    await this.worker.terminate();
    return m.hex;
  }

  async abort(): Promise<void> {
    if (!this.error) {
      await this.below(0).catch(() => {});
      const done = new Promise((r) => (this.result = r));
      this.post({ t: 'abort' });
      await Promise.race([done, new Promise((r) => setTimeout(r, 5_000))]);
    }
    await this.worker.terminate();
  }
}

/** One fetch's part file: every chunk verified against its hash before it is written; resumable. */
export class PartFile {
  have = 0;
  received = 0;
  size = -1;
  private sink: Sink | undefined;
  private digest: string | undefined;
  private readonly pool = new BufferPool();
  /** Where big frames are best assembled: buffers the writer thread has finished with. */
  readonly alloc = this.pool.alloc;

  private constructor(readonly part: string, readonly peerId: string, readonly hash: string, private readonly onProgress?: (p: FetchProgress) => void) {}

  /** Find how much an earlier attempt left (sent as the offset to resume from); nothing is read yet. */
  static async open(outPath: string, peerId: string, hash: string, onProgress?: (p: FetchProgress) => void): Promise<PartFile> {
    const p = new PartFile(`${outPath}.semsync-part`, peerId, hash, onProgress);
    await fs.mkdir(path.dirname(path.resolve(outPath)), { recursive: true });
    const st = await fs.stat(p.part).catch(() => undefined);
    if (st?.isFile()) p.have = st.size;
    else await fs.writeFile(p.part, ''); // the part file exists from the request on, as before
    return p;
  }

  /**
   * The size the sender announced: refused over `maxBytes` or when the rest cannot fit in the free space of the
   * target's disk (nothing is written then); the sink is chosen by how much is left.
   */
  async meta(size: number, maxBytes = MAX_FETCH_BYTES): Promise<void> {
    if (size > maxBytes) {
      await this.dropIfEmpty();
      throw new FetchError(`${this.peerId} announced ${size} bytes for ${this.hash}, over the ${maxBytes}-byte bound; refused`);
    }
    const need = size - this.have;
    const free = await freeBytes(path.dirname(this.part));
    if (free !== undefined && need > free - FREE_MARGIN) {
      await this.dropIfEmpty();
      throw new FetchError(
        `${this.hash} needs ${need} more bytes but ${path.dirname(this.part)} has ${free} free (keeping ${FREE_MARGIN} spare); free some space and fetch again`,
      );
    }
    this.size = size;
    this.sink = size - this.have >= WORKER_MIN_BYTES ? await WorkerSink.open(this.part, this.pool).catch(() => InlineSink.open(this.part)) : await InlineSink.open(this.part);
  }

  private async dropIfEmpty(): Promise<void> {
    if (this.have === 0) await fs.rm(this.part, { force: true });
  }

  async chunk(sha256: Uint8Array, data: Uint8Array): Promise<void> {
    if (this.size < 0 || !this.sink) throw new FetchError(`${this.peerId}: data before meta`);
    if (this.have + data.length > this.size) throw new FetchError(`${this.peerId}: more bytes than announced`);
    if (!Buffer.from(sha256.buffer, sha256.byteOffset, sha256.length).equals(createHash('sha256').update(data).digest())) throw new FetchError(`${this.peerId}: chunk at ${this.have} fails its hash`);
    const n = data.length;
    this.sink.write(data); // `data` may be moved to the writer thread: not touched after this
    await this.sink.below(MAX_QUEUED);
    this.have += n;
    this.received += n;
    this.onProgress?.({ hash: this.hash, peerId: this.peerId, received: this.have, size: this.size });
  }

  /** Wait for the writes, make them durable, and take the whole file's hash. */
  async flush(): Promise<void> {
    if (!this.sink) return;
    const sink = this.sink;
    this.sink = undefined;
    this.digest = await sink.finish();
  }

  async close(): Promise<void> {
    const sink = this.sink;
    this.sink = undefined;
    await sink?.abort();
  }

  /** After `end`: all bytes there and the whole file hashing to `hash`, then rename; else throw (a wrong file is removed). */
  async commit(outPath: string, done: boolean): Promise<void> {
    if (!done || this.have !== this.size || this.digest === undefined) throw new FetchError(`${this.peerId}: transfer of ${this.hash} interrupted at ${this.have} of ${this.size} bytes; fetch again to resume`);
    if (this.digest !== this.hash) {
      await fs.rm(this.part, { force: true });
      throw new FetchError(`${this.peerId}: content hashes to ${this.digest}, not ${this.hash}; the partial file was removed`);
    }
    await fs.rename(this.part, outPath);
  }
}
