// EPUB 2 and 3: reads container.xml and the OPF straight from the zip (no full read) and describes the book.
import { open, type FileHandle } from 'node:fs/promises';
import type { NamedNode } from '@rdfjs/types';
import { DCTERMS, NFO, RELATORS, SS } from '../../graph/vocab.js';
import { Describer } from '../describe.js';
import type { Extraction, Extractor, FileInput } from '../types.js';
import { openInput } from '../bytes.js';
import { xmlText } from '../xml.js';
import { isbnDigits, opfPathFrom, readOpf, type OpfMetadata } from './opf.js';
import { ZipArchive, type ZipLimits } from '../zip.js';

/** No member we read (container.xml, the OPF) may inflate past 16 MiB; a book may have up to 100,000 files. */
export const EPUB_ZIP_LIMITS: ZipLimits = { maxMemberBytes: 16 * 1024 * 1024, maxEntries: 100_000, recover: true };

/** dc:date events that have their own Dublin Core term. */
const EVENT_TERM: Record<string, string> = { publication: 'issued', creation: 'created', modification: 'modified' };

export const epubExtractor: Extractor = {
  name: 'epub',
  accepts: (mime) => mime === 'application/epub+zip',
  async extract(file: FileInput, content: NamedNode): Promise<Extraction> {
    const d = new Describer(content, 'epub');
    d.type(NFO('PaginatedTextDocument'));
    d.type(SS('EBook'));
    let fh: FileHandle | undefined;
    try {
      fh = await openInput(file, open);
      await readBook(d, await ZipArchive.open(fh, file.size, EPUB_ZIP_LIMITS));
    } catch (e) {
      d.errors.push(`cannot read the EPUB: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      await fh?.close();
    }
    return { quads: d.quads, errors: d.errors };
  },
};

/** container.xml, then the package document it names (else the first `.opf`), described. */
async function readBook(d: Describer, zip: ZipArchive): Promise<void> {
  try {
    if (zip.partial) d.errors.push('not a complete zip (no central directory): read what the local headers hold');
    const container = await zip.read('META-INF/container.xml');
    let opfPath = container ? opfPathFrom(xmlText(container), d.errors) : undefined;
    if (!container) d.errors.push('META-INF/container.xml is missing');
    if (!opfPath) opfPath = (await zip.find((n) => n.toLowerCase().endsWith('.opf')))?.name;
    const opf = opfPath ? await zip.read(opfPath) : undefined;
    if (!opf) d.errors.push(opfPath ? `package document ${opfPath} is missing` : 'no package document (.opf) found');
    else describeBook(d, readOpf(xmlText(opf), opfPath, d.errors));
  } finally {
    d.errors.push(...zip.problems);
    zip.close();
  }
}

function describeBook(d: Describer, md: OpfMetadata): void {
  if (md.version) d.text(SS('epubVersion'), md.version);
  const [title, ...others] = md.titles;
  d.text(DCTERMS('title'), title);
  for (const t of others) d.text(DCTERMS('alternative'), t);
  for (const p of md.people) {
    const roles = p.roles.length ? p.roles : [p.element === 'creator' ? 'aut' : 'ctb'];
    for (const r of roles) {
      if (r === 'aut') d.person(DCTERMS('creator'), p.name);
      else {
        d.person(DCTERMS('contributor'), p.name);
        if (r !== 'ctb') d.person(RELATORS(r), p.name);
      }
    }
  }
  for (const s of md.subjects) d.text(DCTERMS('subject'), s);
  for (const l of md.languages) d.text(DCTERMS('language'), l);
  const [first] = md.dates;
  if (first) d.date(DCTERMS('date'), first.value);
  for (const date of md.dates) {
    const term = date.event ? EVENT_TERM[date.event] : undefined;
    if (term && !(term === 'modified' && md.modified)) d.date(DCTERMS(term), date.value);
  }
  for (const p of md.publishers) d.text(DCTERMS('publisher'), p);
  for (const id of md.identifiers) {
    d.text(DCTERMS('identifier'), id.value);
    const digits = id.isbn ? isbnDigits(id.value) : undefined;
    if (digits) d.text(DCTERMS('identifier'), `urn:isbn:${digits}`);
  }
  const [description] = md.descriptions;
  if (description) d.text(DCTERMS('description'), description.replace(/<\/?(?:p|br|div|span|b|i|em|strong|a|ul|ol|li|h[1-6]|blockquote)\b[^<>]*>/gi, ' '));
  for (const r of md.rights) d.text(DCTERMS('rights'), r);
  if (md.modified) d.date(DCTERMS('modified'), md.modified);
  if (md.series) {
    d.text(SS('series'), md.series);
    d.decimal(SS('seriesIndex'), md.seriesIndex);
  }
  d.boolean(SS('hasCover'), md.hasCover);
}
