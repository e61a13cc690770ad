// MIME type from content (file-type on the head bytes), falling back to the extension, in one canonical name per type
// (the names and aliases are base/mime.ts's).
import { fileTypeFromBuffer } from 'file-type';
import { canonicalMime, extensionMime, mimeFromExtension } from '../base/index.js';

/** How many bytes of a file are read for sniffing (what file-type needs). */
export const HEAD_BYTES = 4100;

/** The MIME type of an empty file. */
export const EMPTY_MIME = 'application/x-empty';
/** Content that is text in an unknown format. */
export const TEXT_MIME = 'text/plain';
/** Content in an unknown binary format. */
export const BINARY_MIME = 'application/octet-stream';

/** Office formats that are zips: a zip the sniffer could not tell apart by its head is one of these by its name. */
const OFFICE_ZIPS = new Set(['odt', 'ods', 'odp', 'odg', 'docx', 'xlsx', 'pptx'].map(extensionMime));
/** OOXML parts a zip's first members name (a DOCX's head may hold only `[Content_Types].xml` and `_rels/`). */
const OOXML_HINTS: Array<[string, string]> = [
  ['word/', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'],
  ['xl/', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'],
  ['ppt/', 'application/vnd.openxmlformats-officedocument.presentationml.presentation'],
];

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
