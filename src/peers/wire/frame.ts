// Length-prefixed frames: an unsigned varint length, then that many bytes; bounded, and strict about it.
import { FailureError } from '../../base/index.js';

export class WireError extends FailureError {
  override name = 'WireError';
}

/** The largest frame either side sends or accepts (payload bytes, after the length prefix). */
export const DEFAULT_MAX_FRAME = 4 * 1024 * 1024;
const MAX_VARINT_BYTES = 5;
/** A frame at least this long is assembled in its own buffer as pieces arrive (one copy, however small the pieces). */
const ASSEMBLE_MIN = 64 * 1024;

export function encodeVarint(n: number): Uint8Array {
  if (!Number.isSafeInteger(n) || n < 0 || n > 0xffffffff) throw new WireError(`varint out of range: ${n}`);
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return Uint8Array.from(out);
}

/** One frame: varint(payload.length) + payload. */
export function encodeFrame(payload: Uint8Array, maxFrame = DEFAULT_MAX_FRAME): Uint8Array {
  if (payload.length === 0) throw new WireError('empty frame');
  if (payload.length > maxFrame) throw new WireError(`frame of ${payload.length} bytes exceeds the limit of ${maxFrame}`);
  const len = encodeVarint(payload.length);
  const out = new Uint8Array(len.length + payload.length);
  out.set(len, 0);
  out.set(payload, len.length);
  return out;
}

/**
 * Incremental frame decoder: push bytes as they arrive, get whole frames back. Throws {@link WireError} on a
 * malformed length (over 5 bytes, not minimal, zero) or a frame over `maxFrame`, as soon as the length is
 * known, before buffering the body. Buffers at most one frame.
 */
export class FrameDecoder {
  private chunks: Uint8Array[] = [];
  private buffered = 0;
  private failed = false;
  /** A big frame's body being filled in place (its length prefix already read), and how much of it is. */
  private body: Buffer | undefined;
  private bodyFill = 0;

  /**
   * `alloc` gives the buffer a big frame is assembled in (e.g. one reused from a pool); every byte is overwritten.
   * `copyRetained`: the caller reuses the buffers it pushes (a socket's `onread` buffer), so bytes kept between
   * pushes are copied, and no frame returned refers to a pushed buffer.
   */
  constructor(readonly maxFrame = DEFAULT_MAX_FRAME, private readonly alloc: (n: number) => Buffer = Buffer.allocUnsafe, private readonly copyRetained = false) {}

  /** Bytes received but not yet returned as a frame. */
  get pending(): number {
    return this.buffered + this.bodyFill;
  }

  push(chunk: Uint8Array): Uint8Array[] {
    if (this.failed) throw new WireError('decoder already failed');
    const frames: Uint8Array[] = [];
    if (this.body) {
      const k = Math.min(chunk.length, this.body.length - this.bodyFill);
      this.body.set(chunk.subarray(0, k), this.bodyFill);
      this.bodyFill += k;
      if (this.bodyFill < this.body.length) return frames;
      frames.push(this.body);
      this.body = undefined;
      this.bodyFill = 0;
      chunk = chunk.subarray(k);
    }
    if (chunk.length > 0) {
      this.chunks.push(this.copyRetained ? Uint8Array.prototype.slice.call(chunk) : chunk);
      this.buffered += chunk.length;
      if (this.chunks.length > 64) this.chunks = [Buffer.concat(this.chunks)];
    }
    try {
      for (;;) {
        const f = this.next();
        if (!f) break;
        frames.push(f);
      }
    } catch (err) {
      this.failed = true;
      this.chunks = [];
      this.buffered = 0;
      this.body = undefined;
      this.bodyFill = 0;
      throw err;
    }
    return frames;
  }

  private byteAt(i: number): number {
    for (const c of this.chunks) {
      if (i < c.length) return c[i];
      i -= c.length;
    }
    return -1;
  }

  private next(): Uint8Array | undefined {
    let len = 0;
    let mul = 1;
    let i = 0;
    for (;;) {
      if (i >= MAX_VARINT_BYTES) throw new WireError('frame length prefix longer than 5 bytes');
      const b = this.byteAt(i);
      if (b < 0) return undefined;
      len += (b & 0x7f) * mul;
      mul *= 128;
      i++;
      if ((b & 0x80) === 0) {
        if (b === 0 && i > 1) throw new WireError('frame length prefix is not minimal');
        break;
      }
    }
    if (len === 0) throw new WireError('empty frame');
    if (len > this.maxFrame) throw new WireError(`frame of ${len} bytes exceeds the limit of ${this.maxFrame}`);
    if (this.buffered < i + len) {
      if (len >= ASSEMBLE_MIN) {
        // Start the body's own buffer now: later pieces are copied into it once, never concatenated.
        this.take(i);
        const body = this.alloc(len); // filled by push() before it is returned
        let off = 0;
        for (const c of this.chunks) {
          body.set(c, off);
          off += c.length;
        }
        this.chunks = [];
        this.buffered = 0;
        this.body = body;
        this.bodyFill = off;
      }
      return undefined;
    }
    const all = this.take(i + len);
    return all.subarray(i);
  }

  private take(n: number): Uint8Array {
    const first = this.chunks[0];
    let out: Uint8Array;
    if (first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
    } else {
      out = Buffer.allocUnsafe(n); // every byte is written below
      let off = 0;
      while (off < n) {
        const c = this.chunks[0];
        const k = Math.min(c.length, n - off);
        out.set(c.subarray(0, k), off);
        off += k;
        if (k === c.length) this.chunks.shift();
        else this.chunks[0] = c.subarray(k);
      }
    }
    this.buffered -= n;
    return out;
  }
}
