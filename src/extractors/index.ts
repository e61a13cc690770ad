// Owns: bytes → quads, one folder per family (epub, audio, photo, document, vcard, ical, generic); registry.ts is the only list; zip.ts and xml.ts (on yauzl and saxes) the only zip and XML readers.
// May import: graph/vocab, base.
export { describeContent, extractorFor, extractors, readHead } from './registry.js';
export type { ContentDescription, DescribeOptions } from './registry.js';
export { BINARY_MIME, EMPTY_MIME, HEAD_BYTES, TEXT_MIME, looksLikeText, sniffMime } from './sniff.js';
export { dateLiteral } from './describe.js';
export { ZipArchive, ZipReadError, type ZipLimits, type ZipMember } from './zip.js';
export { EPUB_ZIP_LIMITS } from './epub/index.js';
export { XmlReadError } from './xml.js';
export { ExtractionError } from './types.js';
export type { Extraction, Extractor, FileInput } from './types.js';
export { opfPathFrom } from './epub/opf.js';
export { propName, colonIndex, foldLine, valueOf } from './ical/lines.js';
export { readCalendars, readCalendarItemText } from './ical/read.js';
export { readVcards, readVcardLines } from './vcard/read.js';
export { unescapeIri } from './ical/quads.js';
export { ianaName, ianaOffsetAt } from './ical/timezones.js';
export type { PimItem, PimRead } from './vcard/read.js';
