// The only list of extractors, and describeContent: sniff a file, pick its family, extract, never throw.
import { open } from 'node:fs/promises';
import type { NamedNode, Quad } from '@rdfjs/types';
import { audioExtractor } from './audio/index.js';
import { documentExtractor } from './document/index.js';
import { epubExtractor } from './epub/index.js';
import { genericExtractor } from './generic/index.js';
import { icalExtractor } from './ical/index.js';
import { photoExtractor } from './photo/index.js';
import { vcardExtractor } from './vcard/index.js';
import { mimeFromExtension } from '../base/index.js';
import { BINARY_MIME, EMPTY_MIME, HEAD_BYTES, sniffMime } from './sniff.js';
import type { Extractor } from './types.js';

/** Every extractor, most specific first; the generic one accepts anything and comes last. */
export const extractors: readonly Extractor[] = [epubExtractor, audioExtractor, photoExtractor, documentExtractor, vcardExtractor, icalExtractor, genericExtractor];

/** The extractor for a (canonical) MIME type: the first that accepts it. */
export function extractorFor(mime: string): Extractor {
  return extractors.find((e) => e.accepts(mime)) ?? genericExtractor;
}

/** What describeContent found: the sniffed MIME type, the family that read it, its quads and its problems. */
export interface ContentDescription {
  mime: string;
  extractor: string;
  quads: Quad[];
  errors: string[];
}

export interface DescribeOptions {
  size: number;
  /** The first bytes of the file (up to HEAD_BYTES), if the caller already read them (e.g. while hashing). */
  head?: Uint8Array;
  /** The whole file, if the caller already read it: extractors then read from memory instead of the disk. */
  bytes?: Buffer;
  /** Give up on an extractor after this long (default 30 s): the description then holds the generic facts. */
  timeoutMs?: number;
}

/** Reads the first `HEAD_BYTES` of a file. */
export async function readHead(path: string, size = HEAD_BYTES): Promise<Uint8Array> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(Math.min(HEAD_BYTES, Math.max(0, size)));
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Describes the content of the file at `path` as quads about `content` (its urn:sha256 resource). Never throws:
 * an unreadable, empty, truncated or mislabelled file yields what could be read plus `errors`.
 */
export async function describeContent(path: string, content: NamedNode, opts: DescribeOptions): Promise<ContentDescription> {
  const errors: string[] = [];
  let head = opts.head;
  if (!head || (head.length < HEAD_BYTES && head.length < opts.size)) {
    try {
      head = await readHead(path, opts.size);
    } catch (e) {
      errors.push(`cannot read the file: ${message(e)}`);
      head = new Uint8Array(0);
    }
  }
  let mime: string;
  if (opts.size === 0) {
    mime = EMPTY_MIME;
    errors.push('empty file (0 bytes): nothing to describe');
  } else if (head.length === 0) {
    mime = mimeFromExtension(path) ?? BINARY_MIME;
  } else {
    mime = await sniffMime(head, path, opts.size);
  }
  const extractor = opts.size === 0 ? genericExtractor : extractorFor(mime);
  const byName = mimeFromExtension(path);
  if (byName && opts.size > 0 && head.length > 0 && mislabelled(byName, mime)) {
    errors.push(`the content is ${mime}, but the name says ${byName}: read as ${mime}`);
  }
  const run = async (ex: Extractor) => {
    try {
      const out = await withTimeout(ex.extract({ path, size: opts.size, mime, head: head!, bytes: opts.bytes }, content), opts.timeoutMs ?? 30_000);
      return { extractor: ex.name, quads: out.quads, errors: out.errors };
    } catch (e) {
      return { extractor: ex.name, quads: [] as Quad[], errors: [`${ex.name} extractor failed: ${message(e)}`] };
    }
  };
  let result = await run(extractor);
  if (result.quads.length === 0 && extractor !== genericExtractor) {
    const fallback = await run(genericExtractor);
    result = { extractor: fallback.extractor, quads: fallback.quads, errors: [...result.errors, ...fallback.errors] };
  }
  return { mime, extractor: result.extractor, quads: result.quads, errors: [...errors, ...result.errors] };
}

const SAME_FORMAT = [['image/heic', 'image/heif'], ['audio/mp4', 'video/mp4'], ['audio/aac', 'audio/mp4']];

/** True when the name claims another format than the content has (a text file named .jpg, a FLAC named .mp3). */
function mislabelled(byName: string, mime: string): boolean {
  if (byName === mime) return false;
  if (mime === 'text/plain' && byName.startsWith('text/')) return false;
  return !SAME_FORMAT.some((g) => g.includes(byName) && g.includes(mime));
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`gave up after ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
