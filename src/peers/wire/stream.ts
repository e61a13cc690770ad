// Frames over a libp2p stream: bounded reads with a FrameDecoder, writes that respect back-pressure.
import type { Stream } from '@libp2p/interface';
import { encodeFrame, FrameDecoder, DEFAULT_MAX_FRAME } from './frame.js';

/** Yield whole frames from a stream; throws WireError on a malformed or oversize frame. */
export async function* readFrames(stream: Stream, maxFrame = DEFAULT_MAX_FRAME, alloc?: (n: number) => Buffer): AsyncGenerator<Uint8Array[]> {
  const decoder = new FrameDecoder(maxFrame, alloc);
  for await (const chunk of stream) {
    // A list's pieces go in one by one: concatenating them first would copy every byte once more.
    const frames: Uint8Array[] = [];
    if (chunk instanceof Uint8Array) frames.push(...decoder.push(chunk));
    else for (const piece of chunk) frames.push(...decoder.push(piece));
    if (frames.length > 0) yield frames;
  }
}

/** Send one frame, waiting for the stream to drain when its buffer is full. */
export async function sendFrame(stream: Stream, payload: Uint8Array, maxFrame = DEFAULT_MAX_FRAME): Promise<void> {
  if (stream.writableNeedsDrain) await stream.onDrain();
  const ok = stream.send(encodeFrame(payload, maxFrame));
  if (!ok) await stream.onDrain();
}

/** Send a payload that is already a whole frame (see allocChunkFrame), waiting for the stream to drain when full. */
export async function sendFramed(stream: Stream, frame: Uint8Array): Promise<void> {
  if (stream.writableNeedsDrain) await stream.onDrain();
  if (!stream.send(frame)) await stream.onDrain();
}

/** Close gracefully (flushing what was sent), falling back to abort. */
export async function closeStream(stream: Stream, err?: Error): Promise<void> {
  if (err) {
    stream.abort(err);
    return;
  }
  try {
    await stream.close({ signal: AbortSignal.timeout(5_000) });
  } catch (e) {
    stream.abort(e instanceof Error ? e : new Error(String(e)));
  }
}
