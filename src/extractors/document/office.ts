// ODF (meta.xml: ODT, ODS, ODP, ODG) and OOXML (docProps/core.xml and app.xml: DOCX, XLSX, PPTX) metadata.
import type { FileHandle } from 'node:fs/promises';
import { FailureError } from '../../base/index.js';
import { findAll, parseXml, xmlText, XmlReadError, type XmlElement } from '../xml.js';
import { ZipArchive, ZipReadError, type ZipLimits } from '../zip.js';
import { emptyMeta, splitKeywords, splitPeople, type DocumentKind, type DocumentMeta } from './meta.js';

const DC = 'http://purl.org/dc/elements/1.1/';
const DCTERMS = 'http://purl.org/dc/terms/';
const ODF_META = 'urn:oasis:names:tc:opendocument:xmlns:meta:1.0';
const CP = 'http://schemas.openxmlformats.org/package/2006/metadata/core-properties';
const EXTENDED = 'http://schemas.openxmlformats.org/officeDocument/2006/extended-properties';

/** A metadata member (meta.xml, docProps/core.xml) larger than this is refused, whatever its declared size says. */
export const MAX_MEMBER_BYTES = 4 * 1024 * 1024;
/** How many central directory entries are looked at before giving up on finding the members. */
export const MAX_ENTRIES = 20_000;
const OFFICE_ZIP_LIMITS: ZipLimits = { maxMemberBytes: MAX_MEMBER_BYTES, maxEntries: MAX_ENTRIES };
/** More elements than this in a metadata member is not metadata: refused. */
const MAX_ELEMENTS = 100_000;

/** A zip that cannot be read, or a member that breaks a bound (a zip bomb, a huge member). */
export class OfficeZipError extends FailureError {
  override name = 'OfficeZipError';
}

/** Malformed or oversized metadata XML. */
export class OfficeXmlError extends FailureError {
  override name = 'OfficeXmlError';
}

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

/** The members named in `wanted` that the archive holds (the central directory is walked only until all are found). */
async function readMembers(fh: FileHandle, size: number, wanted: readonly string[]): Promise<{ members: Map<string, Buffer>; problems: string[] }> {
  const members = new Map<string, Buffer>();
  let zip: ZipArchive | undefined;
  try {
    zip = await ZipArchive.open(fh, size, OFFICE_ZIP_LIMITS);
    for (const name of wanted) {
      const bytes = await zip.read(name);
      if (bytes) members.set(name, bytes);
    }
    return { members, problems: zip.problems };
  } catch (e) {
    throw e instanceof ZipReadError ? new OfficeZipError(e.message, { cause: e }) : e;
  } finally {
    zip?.close();
  }
}

/**
 * The elements of a metadata member in document order, each with its own text (children's not included). Read
 * strictly: malformed XML is an {@link OfficeXmlError}; entities beyond the five XML ones are never expanded.
 */
function metaElements(xml: string, member: string): XmlElement[] {
  try {
    return findAll(parseXml(xml, member, { strict: true, maxElements: MAX_ELEMENTS, maxText: 65_536 }), () => true);
  } catch (e) {
    throw e instanceof XmlReadError ? new OfficeXmlError(e.message, { cause: e }) : e;
  }
}

function first(els: XmlElement[], ns: string, local: string): string | undefined {
  const t = els.find((e) => e.ns === ns && e.local === local)?.text.trim();
  return t === '' ? undefined : t;
}

function all(els: XmlElement[], ns: string, local: string): string[] {
  return els.filter((e) => e.ns === ns && e.local === local).map((e) => e.text.trim()).filter((t) => t !== '');
}

function count(v: string | undefined): number | undefined {
  if (v === undefined || !/^\s*\d+\s*$/.test(v)) return undefined;
  const n = Number(v);
  return n > 0 ? n : undefined;
}

/** ODF `meta.xml`: the author is meta:initial-creator (dc:creator is whoever saved it last), else dc:creator. */
export async function readOdf(fh: FileHandle, size: number, kind: DocumentKind): Promise<{ meta: DocumentMeta; errors: string[] }> {
  const meta = emptyMeta(kind);
  const { members, problems: errors } = await readMembers(fh, size, ['meta.xml']);
  const xml = members.get('meta.xml');
  if (!xml) return { meta, errors: [...errors, 'meta.xml is missing: no document properties'] };
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
export async function readOoxml(fh: FileHandle, size: number, kind: DocumentKind): Promise<{ meta: DocumentMeta; errors: string[] }> {
  const meta = emptyMeta(kind);
  const { members, problems: errors } = await readMembers(fh, size, ['docProps/core.xml', 'docProps/app.xml']);
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
