// The contract every extractor family implements. Families live in one folder each; registry.ts lists them.
import type { NamedNode, Quad } from '@rdfjs/types';
import { FailureError } from '../base/index.js';

/** What an extractor is given about one file. `head` is the first bytes (up to 4100), already read for sniffing. */
export interface FileInput {
  path: string;
  size: number;
  /** The MIME type found by sniffing the content (falling back to the extension). */
  mime: string;
  head: Uint8Array;
  /** The whole file, when the caller already read it (small files: hashed and extracted from one read). */
  bytes?: Buffer;
}

/** What an extractor found. Quads describe `content` (the urn:sha256 resource) and the derived resources it names. */
export interface Extraction {
  quads: Quad[];
  /** Problems met while reading; the quads hold whatever could still be read. */
  errors: string[];
}

export interface Extractor {
  /** The family name, recorded as ss:extractor: 'epub', 'audio', 'photo', 'generic', ... */
  readonly name: string;
  accepts(mime: string): boolean;
  /** Must not throw for a bad file: report it in `errors` with what could be read. */
  extract(file: FileInput, content: NamedNode): Promise<Extraction>;
}

/** A file that no extractor could read at all. */
export class ExtractionError extends FailureError {
  override name = 'ExtractionError';
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`${path}: ${message}`);
  }
}
