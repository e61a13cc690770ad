// One file → its description: the content's hash and what its extractor says, as N-Quads text (worker-safe).
import n3 from 'n3';
import { describeContent, type ContentDescription } from '../extractors/index.js';
import { contentIri } from '../graph/vocab.js';
import { hashFile } from './hash.js';
import { storableQuads } from './quads.js';

export interface DescribeTask {
  path: string;
}

export interface DescribeResult {
  path: string;
  sha256: string;
  size: number;
  mime: string;
  extractor: string;
  /** The content's quads (default graph) as N-Quads text, so it crosses threads cheaply. */
  nquads: string;
  errors: string[];
}

/** Hashes and describes one file. Throws only when the file cannot be read at all (gone, no permission). */
export async function describeFile(task: DescribeTask): Promise<DescribeResult> {
  const { sha256, head, size, bytes } = await hashFile(task.path);
  const found = await describeContent(task.path, contentIri(sha256), { size, head, bytes });
  return describeResult(task.path, sha256, size, found);
}

/** What an extractor found, made storable (see storableQuads: its notes join the file's errors) and written as text. */
export function describeResult(file: string, sha256: string, size: number, found: ContentDescription): DescribeResult {
  const { quads, notes } = storableQuads(found.quads);
  const writer = new n3.Writer({ format: 'N-Quads' });
  return {
    path: file,
    sha256,
    size,
    mime: found.mime,
    extractor: found.extractor,
    nquads: writer.quadsToString(quads),
    errors: [...found.errors, ...notes],
  };
}
