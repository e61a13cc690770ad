// Contacts (.vcf: vCard 2.1, 3.0, 4.0, read with ical.js): each VCARD becomes a contact the file's content ss:contains.
import { readFile } from 'node:fs/promises';
import type { NamedNode } from '@rdfjs/types';
import { SS } from '../../graph/vocab.js';
import { QuadList, addPimItems, pimContent } from '../ical/quads.js';
import type { Extraction, Extractor, FileInput } from '../types.js';
import { readVcards } from './read.js';

/** Files larger than this are not read (a contacts file this large is not one). */
export const MAX_PIM_BYTES = 64 * 1024 * 1024;

export const vcardExtractor: Extractor = {
  name: 'vcard',
  accepts: (mime) => mime === 'text/vcard',
  async extract(file: FileInput, content: NamedNode): Promise<Extraction> {
    const q = new QuadList();
    pimContent(q, content, 'vcard', SS('AddressBook'));
    if (file.size > MAX_PIM_BYTES) return { quads: q.quads, errors: [`larger than ${MAX_PIM_BYTES} bytes: not read as contacts`] };
    const r = readVcards(file.bytes ?? (await readFile(file.path)));
    const errors = [...r.errors];
    addPimItems(q, content, r.items, errors);
    return { quads: q.quads, errors };
  },
};

export { readVcards, readVcardLines } from './read.js';
export type { PimItem, PimRead } from './read.js';
