// Documents: PDF (pdfjs-dist), ODF and OOXML (yauzl + saxes) → title, authors, subjects, description, language,
// created/modified dates and page count, as the query contract says.
import { open, type FileHandle } from 'node:fs/promises';
import type { NamedNode } from '@rdfjs/types';
import { DCTERMS, NFO } from '../../graph/vocab.js';
import { Describer } from '../describe.js';
import type { Extraction, Extractor, FileInput } from '../types.js';
import { openInput } from '../bytes.js';
import type { DocumentKind, DocumentMeta } from './meta.js';
import { ODF_KINDS, OOXML_KINDS, readOdf, readOoxml } from './office.js';
import { readPdf } from './pdf.js';

export { MAX_MEMBER_BYTES, ODF_KINDS, OOXML_KINDS } from './office.js';
export { pdfDate } from './pdf.js';
export { splitKeywords, splitPeople } from './meta.js';

/** Every MIME type the document family reads. */
export const DOCUMENT_MIMES: readonly string[] = ['application/pdf', ...Object.keys(ODF_KINDS), ...Object.keys(OOXML_KINDS)];

/** The Nepomuk classes of each kind (every document is also nfo:Document, the class rules know documents by). */
const CLASSES: Record<DocumentKind, string[]> = {
  text: ['PaginatedTextDocument', 'TextDocument'],
  pdf: ['PaginatedTextDocument'],
  spreadsheet: ['Spreadsheet'],
  presentation: ['Presentation'],
  drawing: [],
};

export const documentExtractor: Extractor = {
  name: 'document',
  accepts: (mime) => DOCUMENT_MIMES.includes(mime),
  async extract(file: FileInput, content: NamedNode): Promise<Extraction> {
    const d = new Describer(content, 'document');
    d.type(NFO('Document'));
    const kind: DocumentKind = file.mime === 'application/pdf' ? 'pdf' : ODF_KINDS[file.mime] ?? OOXML_KINDS[file.mime];
    for (const c of CLASSES[kind]) d.type(NFO(c));
    let fh: FileHandle | undefined;
    try {
      let meta: DocumentMeta;
      fh = await openInput(file, open);
      const size = file.bytes?.length ?? file.size;
      if (kind === 'pdf') {
        meta = await readPdf(fh, size);
      } else {
        const read = ODF_KINDS[file.mime] ? await readOdf(fh, size, kind) : await readOoxml(fh, size, kind);
        d.errors.push(...read.errors);
        meta = read.meta;
      }
      describeDocument(d, meta);
    } catch (e) {
      const what = kind === 'pdf' ? 'PDF' : ODF_KINDS[file.mime] ? 'OpenDocument file' : 'Office Open XML file';
      d.errors.push(`cannot read the ${what}: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
    } finally {
      await fh?.close();
    }
    return { quads: d.quads, errors: d.errors };
  },
};

function describeDocument(d: Describer, m: DocumentMeta): void {
  d.text(DCTERMS('title'), m.title);
  for (const c of m.creators) d.person(DCTERMS('creator'), c);
  for (const s of m.subjects) d.text(DCTERMS('subject'), s);
  d.text(DCTERMS('description'), m.description);
  d.text(DCTERMS('language'), m.language);
  const created = m.created !== undefined ? d.date(DCTERMS('created'), m.created) : undefined;
  const modified = m.modified !== undefined ? d.date(DCTERMS('modified'), m.modified) : undefined;
  // dcterms:date is the document's date (as an ebook's is its publication): when it was made, else last saved.
  const date = created ?? modified;
  if (date) d.add(DCTERMS('date'), date);
  if (m.pageCount !== undefined) d.integer(NFO('pageCount'), m.pageCount);
}
