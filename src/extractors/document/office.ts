// ODF (meta.xml: ODT, ODS, ODP, ODG) and OOXML (docProps/core.xml and app.xml: DOCX, XLSX, PPTX) metadata.
import { xmlText } from '../xml.js';
import { emptyMeta, splitKeywords, splitPeople, type DocumentKind, type DocumentMeta } from './meta.js';
import { metaElements, type MetaElement } from './xml.js';
import { readMembers } from './zip.js';

const DC = 'http://purl.org/dc/elements/1.1/';
const DCTERMS = 'http://purl.org/dc/terms/';
const ODF_META = 'urn:oasis:names:tc:opendocument:xmlns:meta:1.0';
const CP = 'http://schemas.openxmlformats.org/package/2006/metadata/core-properties';
const EXTENDED = 'http://schemas.openxmlformats.org/officeDocument/2006/extended-properties';

/** The document kind of each ODF and OOXML MIME type. */
export const ODF_KINDS: Record<string, DocumentKind> = {
  'application/vnd.oasis.opendocument.text': 'text',
  'application/vnd.oasis.opendocument.spreadsheet': 'spreadsheet',
  'application/vnd.oasis.opendocument.presentation': 'presentation',
  'application/vnd.oasis.opendocument.graphics': 'drawing',
};
export const OOXML_KINDS: Record<string, DocumentKind> = {
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'text',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'spreadsheet',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation': 'presentation',
};

function first(els: MetaElement[], ns: string, local: string): string | undefined {
  const t = els.find((e) => e.ns === ns && e.local === local)?.text.trim();
  return t === '' ? undefined : t;
}

function all(els: MetaElement[], ns: string, local: string): string[] {
  return els.filter((e) => e.ns === ns && e.local === local).map((e) => e.text.trim()).filter((t) => t !== '');
}

function count(v: string | undefined): number | undefined {
  if (v === undefined || !/^\s*\d+\s*$/.test(v)) return undefined;
  const n = Number(v);
  return n > 0 ? n : undefined;
}

/** ODF `meta.xml`: the author is meta:initial-creator (dc:creator is whoever saved it last), else dc:creator. */
export async function readOdf(source: string | Buffer, kind: DocumentKind): Promise<{ meta: DocumentMeta; errors: string[] }> {
  const meta = emptyMeta(kind);
  const errors: string[] = [];
  const { members } = await readMembers(source, ['meta.xml']);
  const xml = members.get('meta.xml');
  if (!xml) return { meta, errors: ['meta.xml is missing: no document properties'] };
  const els = metaElements(xmlText(xml), 'meta.xml');
  meta.title = first(els, DC, 'title');
  meta.creators = splitPeople(first(els, ODF_META, 'initial-creator') ?? first(els, DC, 'creator'));
  const subject = first(els, DC, 'subject');
  meta.subjects = [...(subject ? [subject] : []), ...all(els, ODF_META, 'keyword').flatMap(splitKeywords)];
  meta.description = first(els, DC, 'description');
  meta.language = first(els, DC, 'language');
  meta.created = first(els, ODF_META, 'creation-date');
  meta.modified = first(els, DC, 'date');
  const stats = els.find((e) => e.ns === ODF_META && e.local === 'document-statistic');
  meta.pageCount = count(stats?.attrs[`{${ODF_META}}page-count`]);
  return { meta, errors };
}

/** OOXML `docProps/core.xml` (Dublin Core) and `docProps/app.xml` (Pages for DOCX, Slides for PPTX). */
export async function readOoxml(source: string | Buffer, kind: DocumentKind): Promise<{ meta: DocumentMeta; errors: string[] }> {
  const meta = emptyMeta(kind);
  const errors: string[] = [];
  const { members } = await readMembers(source, ['docProps/core.xml', 'docProps/app.xml']);
  const core = members.get('docProps/core.xml');
  if (!core) errors.push('docProps/core.xml is missing: no document properties');
  else {
    const els = metaElements(xmlText(core), 'docProps/core.xml');
    meta.title = first(els, DC, 'title');
    meta.creators = splitPeople(first(els, DC, 'creator'));
    const subject = first(els, DC, 'subject');
    meta.subjects = [...(subject ? [subject] : []), ...splitKeywords(first(els, CP, 'keywords'))];
    meta.description = first(els, DC, 'description');
    meta.language = first(els, DC, 'language');
    meta.created = first(els, DCTERMS, 'created');
    meta.modified = first(els, DCTERMS, 'modified');
  }
  const app = members.get('docProps/app.xml');
  if (app) {
    const els = metaElements(xmlText(app), 'docProps/app.xml');
    meta.pageCount = count(first(els, EXTENDED, kind === 'presentation' ? 'Slides' : 'Pages'));
  }
  return { meta, errors };
}
