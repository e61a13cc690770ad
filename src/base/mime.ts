// The one MIME table: the canonical name of each type, the type a file extension suggests, a type's usual extension.
//
// Canonical names are the ones the graph stores in nie:mimeType (the query contract), which follow exiftool's (the
// corpus ground truth): audio/mp4 for M4A/AAC in MP4, audio/ogg for every Ogg (Vorbis, Opus, FLAC), audio/flac,
// audio/mpeg, audio/x-wav, audio/x-ms-wma, image/heic for HEIC brands and image/heif for other HEIF files.
// Everything that compares MIME types (sniffing, device formats, vCard media) folds both sides through
// canonicalMime, so a device profile saying `audio/wav` accepts what the graph stores as `audio/x-wav`.
import { extname } from 'node:path';

/** Other spellings of a type → its canonical name. No alias is itself the target of another. */
const ALIASES: Readonly<Record<string, string>> = {
  'audio/x-m4a': 'audio/mp4',
  'audio/m4a': 'audio/mp4',
  'audio/aac-mp4': 'audio/mp4',
  'audio/opus': 'audio/ogg',
  'audio/vorbis': 'audio/ogg',
  'audio/x-vorbis+ogg': 'audio/ogg',
  'application/ogg': 'audio/ogg',
  'audio/x-flac': 'audio/flac',
  'audio/wav': 'audio/x-wav',
  'audio/wave': 'audio/x-wav',
  'audio/vnd.wave': 'audio/x-wav',
  'audio/mp3': 'audio/mpeg',
  'audio/x-mp3': 'audio/mpeg',
  'audio/mpeg3': 'audio/mpeg',
  'audio/x-mpeg': 'audio/mpeg',
  'audio/x-aiff': 'audio/aiff',
  'application/x-ogg': 'audio/ogg',
  'audio/x-ogg': 'audio/ogg',
  'audio/x-vorbis': 'audio/ogg',
  'audio/x-flac+ogg': 'audio/flac',
  'audio/x-mpeg-3': 'audio/mpeg',
  'audio/mpg': 'audio/mpeg',
  'audio/wma': 'audio/x-ms-wma',
  'image/jpg': 'image/jpeg',
  'image/pjpeg': 'image/jpeg',
  'image/x-png': 'image/png',
  'image/tif': 'image/tiff',
  'image/heic-sequence': 'image/heic',
  'image/heif-sequence': 'image/heif',
  'text/x-vcard': 'text/vcard',
  'text/directory': 'text/vcard',
  'application/x-mobi8-ebook': 'application/x-mobipocket-ebook',
};

/** File extension (lower case, with its dot) → canonical type. */
const BY_EXTENSION: Readonly<Record<string, string>> = {
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

/** Canonical type → the extension (no dot) a file of that type is usually given, for content named by no file. */
const EXTENSION_OF: Readonly<Record<string, string>> = {
  'application/epub+zip': 'epub',
  'application/pdf': 'pdf',
  'application/vnd.oasis.opendocument.text': 'odt',
  'application/vnd.oasis.opendocument.spreadsheet': 'ods',
  'application/vnd.oasis.opendocument.presentation': 'odp',
  'application/vnd.oasis.opendocument.graphics': 'odg',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'docx',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'xlsx',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation': 'pptx',
  'application/x-mobipocket-ebook': 'mobi',
  'application/vnd.amazon.ebook': 'azw',
  'application/x-fictionbook+xml': 'fb2',
  'image/vnd.djvu': 'djvu',
  'audio/mpeg': 'mp3',
  'audio/flac': 'flac',
  'audio/ogg': 'ogg',
  'audio/mp4': 'm4a',
  'audio/aac': 'aac',
  'audio/x-wav': 'wav',
  'audio/x-ms-wma': 'wma',
  'audio/aiff': 'aiff',
  'image/jpeg': 'jpg',
  'image/png': 'png',
  'image/heic': 'heic',
  'image/heif': 'heif',
  'image/tiff': 'tif',
  'image/webp': 'webp',
  'image/gif': 'gif',
  'image/avif': 'avif',
  'image/x-adobe-dng': 'dng',
};

/** The canonical form of a MIME type: parameters dropped, lower case, aliases resolved. */
export function canonicalMime(mime: string): string {
  const bare = mime.split(';')[0].trim().toLowerCase();
  return ALIASES[bare] ?? bare;
}

/** The canonical type a file name suggests (by its extension, as `path.extname` finds it), or undefined. */
export function mimeFromExtension(path: string): string | undefined {
  return BY_EXTENSION[extname(path).toLowerCase()];
}

/** The canonical type of an extension given alone (`wav` or `.WAV`), or undefined. */
export function extensionMime(ext: string): string | undefined {
  const e = ext.toLowerCase();
  return BY_EXTENSION[e.startsWith('.') ? e : `.${e}`];
}

/** The extension (no dot) usually given to a file of this type (any alias), or undefined. */
export function extensionFor(mime: string): string | undefined {
  return EXTENSION_OF[canonicalMime(mime)];
}
