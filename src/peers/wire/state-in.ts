// A full state arriving from a peer: its checked N-Quads text, bounded in bytes, held in memory or, past a size,
// spilled to a temp file until state-end (so a big or hostile transfer is not held as objects while it arrives).
import { createReadStream } from 'node:fs';
import { mkdir, open, rm, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import n3 from 'n3';
import type { Quad } from '@rdfjs/types';
import { ProtocolError } from './errors.js';

export interface StateSpillOptions {
  /** A folder for the temp files (the node home's tmp/). */
  dir: string;
  /** Spill once the state passes this many bytes (default 16 MiB). */
  aboveBytes?: number;
}

export class IncomingState {
  private texts: string[] = [];
  private bytes = 0;
  private quads = 0;
  private file: { path: string; handle: FileHandle } | undefined;

  constructor(
    readonly seq: number,
    readonly hlc: string,
    readonly declared: number,
    private readonly maxBytes: number,
    private readonly spill?: StateSpillOptions,
  ) {}

  /** One checked chunk (`quads` statements in `text`). Throws ProtocolError past the announced count or the byte bound. */
  async add(text: string, quads: number): Promise<void> {
    this.quads += quads;
    if (this.quads > this.declared) throw new ProtocolError('state carries more quads than announced');
    this.bytes += Buffer.byteLength(text);
    if (this.bytes > this.maxBytes) throw new ProtocolError(`state of more than ${this.maxBytes} bytes is over the limit`);
    if (!this.file && this.spill && this.bytes > (this.spill.aboveBytes ?? 16 << 20)) {
      await mkdir(this.spill.dir, { recursive: true });
      const file = path.join(this.spill.dir, `state-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}.nq`);
      this.file = { path: file, handle: await open(file, 'wx', 0o600) };
      const held = this.texts.join('');
      this.texts = [];
      await this.file.handle.write(held);
    }
    if (this.file) await this.file.handle.write(text);
    else this.texts.push(text);
  }

  /** Whether the text waits in a temp file (and which). */
  get spilledTo(): string | undefined {
    return this.file?.path;
  }

  /** The state's quads, once it carried exactly what it announced. */
  async finish(): Promise<Quad[]> {
    if (this.quads !== this.declared) throw new ProtocolError(`state announced ${this.declared} quads, carried ${this.quads}`);
    if (!this.file) return this.texts.flatMap((t) => new n3.Parser({ format: 'N-Quads' }).parse(t));
    await this.file.handle.close();
    const out: Quad[] = [];
    let rest = '';
    for await (const block of createReadStream(this.file.path, { encoding: 'utf8', highWaterMark: 4 << 20 })) {
      const text = rest + (block as string);
      const end = text.lastIndexOf('\n') + 1;
      for (const q of new n3.Parser({ format: 'N-Quads' }).parse(text.slice(0, end))) out.push(q);
      rest = text.slice(end);
    }
    if (rest.trim()) for (const q of new n3.Parser({ format: 'N-Quads' }).parse(rest)) out.push(q);
    return out;
  }

  /** Drops what is held: the temp file goes (after state-end, and when the session closes midway). */
  async discard(): Promise<void> {
    this.texts = [];
    const f = this.file;
    this.file = undefined;
    if (!f) return;
    await f.handle.close().catch(() => {});
    await rm(f.path, { force: true });
  }
}
