// The fallback family: content no other extractor reads is typed nie:InformationElement (text also nfo:PlainTextDocument).
import type { NamedNode } from '@rdfjs/types';
import { NFO, NIE } from '../../graph/vocab.js';
import { Describer } from '../describe.js';
import type { Extraction, Extractor, FileInput } from '../types.js';

/**
 * The library writes the file-level facts (size, mtime, MIME, sha256) on the file; the content itself gets only a
 * type, so that every content resource has one: nie:InformationElement (nfo:FileDataObject is the file, not the
 * content), plus nfo:PlainTextDocument for text/*.
 */
export const genericExtractor: Extractor = {
  name: 'generic',
  accepts: () => true,
  async extract(file: FileInput, content: NamedNode): Promise<Extraction> {
    const d = new Describer(content, 'generic');
    d.type(NIE('InformationElement'));
    if (file.mime.startsWith('text/')) d.type(NFO('PlainTextDocument'));
    return { quads: d.quads, errors: d.errors };
  },
};
