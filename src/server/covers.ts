// Cover images read from the files themselves: music-metadata's embedded picture, the EPUB's cover image, a photo's
// embedded EXIF thumbnail (or the photo itself when small).
import { open, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { EPUB_ZIP_LIMITS, ZipArchive } from '../extractors/index.js';
import { opfPathFrom } from '../extractors/index.js';

export interface Cover {
  bytes: Buffer;
  type: string;
}

const IMAGE_TYPES: Record<string, string> = { '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.png': 'image/png', '.gif': 'image/gif', '.webp': 'image/webp', '.svg': 'image/svg+xml' };
const MAX_COVER = 16 << 20;

/** Photo types every browser shows. */
export const SHOWN_IMAGES = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp']);
const MAX_PHOTO_AS_COVER = 4 << 20;

/** The cover of an audio file, EPUB or photo, or undefined when it has none (or is none of these). */
export async function readCover(file: string, mime: string | undefined): Promise<Cover | undefined> {
  if (mime === 'application/epub+zip' || file.toLowerCase().endsWith('.epub')) return epubCover(file);
  if (mime && SHOWN_IMAGES.has(mime)) return photoCover(file, mime);
  if (mime?.startsWith('audio/') || /\.(mp3|m4a|flac|ogg|opus|wav|aac|wma)$/i.test(file)) return audioCover(file);
  return undefined;
}

/** A JPEG's EXIF thumbnail when it has one; else the picture itself if it is small enough to send as is. */
async function photoCover(file: string, mime: string): Promise<Cover | undefined> {
  if (mime === 'image/jpeg') {
    const exifr = (await import('exifr')).default;
    const thumb = await exifr.thumbnail(file).catch(() => undefined);
    if (thumb && thumb.length > 0) return { bytes: Buffer.from(thumb), type: 'image/jpeg' };
  }
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    if (size > MAX_PHOTO_AS_COVER) return undefined;
    return { bytes: await handle.readFile(), type: mime };
  } finally {
    await handle.close();
  }
}

async function audioCover(file: string): Promise<Cover | undefined> {
  const { parseFile } = await import('music-metadata');
  const meta = await parseFile(file, { skipPostHeaders: true, duration: false });
  const pic = meta.common.picture?.find((p) => /front/i.test(p.type ?? '')) ?? meta.common.picture?.[0];
  if (!pic || pic.data.length > MAX_COVER) return undefined;
  return { bytes: Buffer.from(pic.data), type: pic.format.includes('/') ? pic.format : `image/${pic.format}` };
}

function attr(tag: string, name: string): string | undefined {
  return new RegExp(`\\s${name}\\s*=\\s*(["'])(.*?)\\1`, 'i').exec(tag)?.[2];
}

/** The manifest item with the `cover-image` property (EPUB 3), or the one `<meta name="cover">` names (EPUB 2). */
export function coverHref(opf: string): string | undefined {
  const items = [...opf.matchAll(/<(?:\w+:)?item\b[^>]*>/gi)].map((m) => m[0]);
  const byProp = items.find((t) => (attr(t, 'properties') ?? '').split(/\s+/).includes('cover-image'));
  if (byProp) return attr(byProp, 'href');
  const meta = [...opf.matchAll(/<(?:\w+:)?meta\b[^>]*>/gi)].map((m) => m[0]).find((t) => attr(t, 'name') === 'cover');
  const id = meta && attr(meta, 'content');
  const byId = id ? items.find((t) => attr(t, 'id') === id) : undefined;
  if (byId) return attr(byId, 'href');
  return items.map((t) => attr(t, 'href')).find((h) => h && /cover\.(jpe?g|png|gif)$/i.test(h));
}

async function epubCover(file: string): Promise<Cover | undefined> {
  let fh: FileHandle | undefined;
  try {
    fh = await open(file, 'r');
    const zip = await ZipArchive.open(fh, (await fh.stat()).size, EPUB_ZIP_LIMITS);
    const container = await zip.read('META-INF/container.xml');
    const opfPath = (container && opfPathFrom(container.toString('utf8'))) || (await zip.find((n) => n.toLowerCase().endsWith('.opf')))?.name;
    const opf = opfPath ? await zip.read(opfPath) : undefined;
    const href = opf && coverHref(opf.toString('utf8'));
    if (!opfPath || !href) return undefined;
    const name = path.posix.normalize(path.posix.join(path.posix.dirname(opfPath), decodeURIComponent(href)));
    const type = IMAGE_TYPES[path.posix.extname(name).toLowerCase()];
    const entry = await zip.member(name);
    if (!type || !entry || entry.size > MAX_COVER) return undefined;
    const bytes = await zip.read(name);
    return bytes ? { bytes, type } : undefined;
  } finally {
    await fh?.close();
  }
}
