// MIME type from content (file-type on the head bytes), falling back to the extension, in one canonical name per type.
import { extname } from 'node:path';
import { fileTypeFromBuffer } from 'file-type';

/** How many bytes of a file are read for sniffing (what file-type needs). */
export const HEAD_BYTES = 4100;

/** The MIME type of an empty file. */
export const EMPTY_MIME = 'application/x-empty';
/** Content that is text in an unknown format. */
export const TEXT_MIME = 'text/plain';
/** Content in an unknown binary format. */
export const BINARY_MIME = 'application/octet-stream';

/**
 * Canonical names, as the corpus manifest (exiftool) writes them: one name per type, whatever the sniffer or the
 * extension says. audio/mp4 for M4A/AAC in MP4, audio/ogg for every Ogg (Vorbis, Opus, FLAC), audio/flac,
 * audio/mpeg, audio/x-wav, audio/x-ms-wma, image/heic for HEIC brands and image/heif for other HEIF files.
 */
const ALIASES: Record<string, string> = {
  'audio/x-m4a': 'audio/mp4',
  'audio/m4a': 'audio/mp4',
  'audio/aac-mp4': 'audio/mp4',
  'audio/opus': 'audio/ogg',
  'audio/vorbis': 'audio/ogg',
  'application/ogg': 'audio/ogg',
  'audio/x-flac': 'audio/flac',
  'audio/wav': 'audio/x-wav',
  'audio/wave': 'audio/x-wav',
  'audio/vnd.wave': 'audio/x-wav',
  'audio/mp3': 'audio/mpeg',
  'audio/x-mp3': 'audio/mpeg',
  'audio/x-aiff': 'audio/aiff',
  'image/jpg': 'image/jpeg',
  'image/pjpeg': 'image/jpeg',
  'image/x-png': 'image/png',
  'image/tif': 'image/tiff',
  'image/heic-sequence': 'image/heic',
  'image/heif-sequence': 'image/heif',
  'text/x-vcard': 'text/vcard',
  'text/directory': 'text/vcard',
};

const BY_EXTENSION: Record<string, string> = {
  '.mp3': 'audio/mpeg', '.m4a': 'audio/mp4', '.m4b': 'audio/mp4', '.aac': 'audio/aac', '.flac': 'audio/flac',
  '.ogg': 'audio/ogg', '.oga': 'audio/ogg', '.opus': 'audio/ogg', '.wav': 'audio/x-wav', '.wma': 'audio/x-ms-wma',
  '.aif': 'audio/aiff', '.aiff': 'audio/aiff', '.ape': 'audio/ape', '.wv': 'audio/wavpack', '.mka': 'audio/x-matroska',
  '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.jpe': 'image/jpeg', '.png': 'image/png', '.gif': 'image/gif',
  '.tif': 'image/tiff', '.tiff': 'image/tiff', '.heic': 'image/heic', '.heif': 'image/heif', '.avif': 'image/avif',
  '.webp': 'image/webp', '.bmp': 'image/bmp', '.dng': 'image/x-adobe-dng', '.cr2': 'image/x-canon-cr2',
  '.nef': 'image/x-nikon-nef', '.epub': 'application/epub+zip', '.kepub': 'application/epub+zip',
  '.zip': 'application/zip', '.pdf': 'application/pdf', '.mp4': 'video/mp4', '.m4v': 'video/mp4',
  '.mkv': 'video/x-matroska', '.webm': 'video/webm', '.wmv': 'video/x-ms-wmv', '.asf': 'video/x-ms-asf',
  '.txt': 'text/plain', '.md': 'text/markdown', '.html': 'text/html', '.htm': 'text/html', '.xml': 'application/xml',
  '.json': 'application/json', '.csv': 'text/csv', '.vcf': 'text/vcard', '.vcard': 'text/vcard', '.ics': 'text/calendar',
  '.ifb': 'text/calendar', '.ttl': 'text/turtle', '.nq': 'application/n-quads', '.nt': 'application/n-triples',
  '.odt': 'application/vnd.oasis.opendocument.text', '.ods': 'application/vnd.oasis.opendocument.spreadsheet',
  '.odp': 'application/vnd.oasis.opendocument.presentation', '.odg': 'application/vnd.oasis.opendocument.graphics',
  '.docx': 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  '.xlsx': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  '.pptx': 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
};

/** Office formats that are zips: a zip the sniffer could not tell apart by its head is one of these by its name. */
const OFFICE_ZIPS = new Set(Object.values(BY_EXTENSION).filter((m) => m.startsWith('application/vnd.o')));
/** OOXML parts a zip's first members name (a DOCX's head may hold only `[Content_Types].xml` and `_rels/`). */
const OOXML_HINTS: Array<[string, string]> = [
  ['word/', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'],
  ['xl/', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'],
  ['ppt/', 'application/vnd.openxmlformats-officedocument.presentationml.presentation'],
];

/** The canonical form of a MIME type: parameters dropped, lower case, aliases resolved. */
export function canonicalMime(mime: string): string {
  const bare = mime.split(';')[0].trim().toLowerCase();
  return ALIASES[bare] ?? bare;
}

/** The MIME type the file name suggests, or undefined. */
export function mimeFromExtension(path: string): string | undefined {
  return BY_EXTENSION[extname(path).toLowerCase()];
}

/** True when the bytes look like text: no NUL, and valid UTF-8 (a multi-byte sequence cut at the end is allowed). */
export function looksLikeText(head: Uint8Array): boolean {
  if (head.length === 0) return false;
  let i = 0;
  let control = 0;
  while (i < head.length) {
    const b = head[i];
    if (b === 0) return false;
    if (b < 0x80) {
      if (b < 0x20 && b !== 9 && b !== 10 && b !== 13 && b !== 12 && b !== 27) control++;
      i++;
      continue;
    }
    const n = b >= 0xf0 && b <= 0xf4 ? 3 : b >= 0xe0 ? 2 : b >= 0xc2 && b < 0xe0 ? 1 : -1;
    if (n < 0 || b > 0xf4) return false;
    for (let k = 1; k <= n; k++) {
      if (i + k >= head.length) return true;
      if ((head[i + k] & 0xc0) !== 0x80) return false;
    }
    i += n + 1;
  }
  return control * 50 < head.length;
}

const ZIP_EPUB_HINTS = ['mimetypeapplication/epub+zip', 'META-INF/container.xml'];

/**
 * The MIME type of a file from its first bytes (`head`, up to {@link HEAD_BYTES}) and, only where the content says
 * nothing, its name. A zip is an EPUB when it says so (`mimetype` member, or a container.xml near the start) or
 * when it is named `.epub`; an ASF is WMA unless named as video. Text content under a binary name is text/plain.
 */
export async function sniffMime(head: Uint8Array, path: string, size = head.length): Promise<string> {
  if (size === 0 || head.length === 0) return EMPTY_MIME;
  const byName = mimeFromExtension(path);
  let found: string | undefined;
  try {
    found = (await fileTypeFromBuffer(head))?.mime;
  } catch {
    found = undefined;
  }
  if (found) {
    const mime = canonicalMime(found);
    if (mime === 'application/zip') {
      const latin = Buffer.from(head.buffer, head.byteOffset, head.length).toString('latin1');
      if (byName === 'application/epub+zip' || ZIP_EPUB_HINTS.some((h) => latin.includes(h))) return 'application/epub+zip';
      if (byName && OFFICE_ZIPS.has(byName)) return byName;
      const names = zipMemberNames(head);
      const hint = names.includes('[Content_Types].xml') ? OOXML_HINTS.find(([part]) => names.some((n) => n.startsWith(part))) : undefined;
      if (hint) return hint[1];
    }
    if (mime === 'application/vnd.ms-asf') {
      return byName === 'video/x-ms-wmv' || byName === 'video/x-ms-asf' ? byName : 'audio/x-ms-wma';
    }
    return mime;
  }
  const pim = pimTextMime(head);
  if (pim) return pim;
  if (looksLikeText(head)) {
    return byName && (byName.startsWith('text/') || byName.startsWith('application/')) && byName !== 'application/epub+zip' && byName !== 'application/zip' && byName !== 'application/pdf'
      ? byName
      : TEXT_MIME;
  }
  return byName ?? BINARY_MIME;
}

/** The names in the zip local headers found in `head` (a zip's first members). */
function zipMemberNames(head: Uint8Array): string[] {
  const b = Buffer.from(head.buffer, head.byteOffset, head.length);
  const names: string[] = [];
  for (let pos = 0; pos + 30 <= b.length && b.readUInt32LE(pos) === 0x04034b50 && names.length < 64; ) {
    const nameLen = b.readUInt16LE(pos + 26);
    const extraLen = b.readUInt16LE(pos + 28);
    names.push(b.toString('utf8', pos + 30, Math.min(b.length, pos + 30 + nameLen)));
    pos += 30 + nameLen + extraLen + b.readUInt32LE(pos + 18);
  }
  return names;
}

/**
 * vCard / iCalendar by content when file-type misses it (it only looks for `BEGIN:` at offset 0): a BOM, blank lines
 * or lower case before `BEGIN:VCARD` / `BEGIN:VCALENDAR`.
 */
export function pimTextMime(head: Uint8Array): string | undefined {
  const start = Buffer.from(head.buffer, head.byteOffset, Math.min(head.length, 256)).toString('latin1');
  const m = /^(?:\xEF\xBB\xBF)?\s*BEGIN:(VCARD|VCALENDAR)\s*[\r\n]/i.exec(start);
  return m ? (m[1].toUpperCase() === 'VCARD' ? 'text/vcard' : 'text/calendar') : undefined;
}
