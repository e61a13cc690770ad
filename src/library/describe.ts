// One file → its description: the content's hash and what its extractor says, as N-Quads text (worker-safe).
import n3 from 'n3';
import { describeContent } from '../extractors/index.js';
import { contentIri } from '../graph/vocab.js';
import { hashFile } from './hash.js';

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
  const content = contentIri(sha256);
  const found = await describeContent(task.path, content, { size, head, bytes });
  const writer = new n3.Writer({ format: 'N-Quads' });
  const nquads = writer.quadsToString(found.quads);
  return {
    path: task.path,
    sha256,
    size,
    mime: found.mime,
    extractor: found.extractor,
    nquads,
    errors: found.errors,
  };
}
