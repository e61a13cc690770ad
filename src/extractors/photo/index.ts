// Photos (exifr, plus our own header and XMP readers): size, camera, orientation, when taken, GPS, title/creator/keywords.
import { open, type FileHandle } from 'node:fs/promises';
import type { NamedNode } from '@rdfjs/types';
import exifr from 'exifr';
import { DCTERMS, GEO, NEXIF, NFO, SS } from '../../graph/vocab.js';
import { Describer, dateLiteral, normaliseOffset, textOf } from '../describe.js';
import type { Extraction, Extractor, FileInput } from '../types.js';
import { openInput } from '../bytes.js';
import { headerSize } from './dimensions.js';
import { describePlace } from './place.js';
import { readXmp, xmpCoordinate } from './xmp.js';

type Block = Record<string, unknown>;
interface Parsed {
  ifd0?: Block;
  exif?: Block;
  gps?: Block;
  iptc?: Block;
  ihdr?: Block;
  xmp?: string;
}

const OPTIONS = {
  tiff: true, ifd1: false, interop: false, makerNote: false, userComment: false, xmp: { parse: false }, iptc: true,
  icc: false, jfif: false, ihdr: true, mergeOutput: false, reviveValues: false, translateValues: false,
  translateKeys: true, multiSegment: true, sanitize: true,
};

export const photoExtractor: Extractor = {
  name: 'photo',
  accepts: (mime) => mime.startsWith('image/'),
  async extract(file: FileInput, content: NamedNode): Promise<Extraction> {
    const d = new Describer(content, 'photo');
    d.type(NFO('Image'));
    let fh: FileHandle | undefined;
    try {
      fh = await openInput(file, open);
      let parsed: Parsed = {};
      try {
        parsed = ((await exifr.parse(file.bytes ?? file.path, OPTIONS)) as Parsed | undefined) ?? {};
      } catch (e) {
        d.errors.push(`cannot read the image metadata: ${e instanceof Error ? e.message : String(e)}`);
      }
      if (file.mime === 'image/png' && !parsed.ifd0) {
        const exifChunk = await pngExifChunk(fh, file.size);
        if (exifChunk) {
          try {
            const more = ((await exifr.parse(exifChunk, OPTIONS)) as Parsed | undefined) ?? {};
            parsed = { ...parsed, ifd0: more.ifd0, exif: more.exif, gps: more.gps };
          } catch (e) {
            d.errors.push(`cannot read the PNG eXIf chunk: ${e instanceof Error ? e.message : String(e)}`);
          }
        }
      }
      let size;
      try {
        size = await headerSize(fh, file.mime, file.head, file.size);
      } catch (e) {
        d.errors.push(`cannot read the image size: ${e instanceof Error ? e.message : String(e)}`);
      }
      describePhoto(d, parsed, size);
    } catch (e) {
      d.errors.push(`cannot read the image: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      await fh?.close();
    }
    return { quads: d.quads, errors: d.errors };
  },
};

function num(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (v instanceof Uint8Array && v.length > 0) return v[0];
  if (Array.isArray(v) && typeof v[0] === 'number') return v[0];
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return undefined;
}

/** IPTC strings written as UTF-8 without the UTF-8 marker come out as Latin-1: re-read them when that is valid UTF-8. */
function iptcText(v: unknown): string | undefined {
  if (typeof v !== 'string') return textOf(v);
  if (/[\u00c2-\u00f4][\u0080-\u00bf]/.test(v) && !/[^\u0000-\u00ff]/.test(v)) {
    const bytes = Buffer.from(v, 'latin1');
    const utf8 = bytes.toString('utf8');
    if (!utf8.includes('\ufffd')) return textOf(utf8);
  }
  return textOf(v);
}

function list(v: unknown): unknown[] {
  return Array.isArray(v) ? v : v === undefined || v === null ? [] : [v];
}

function describePhoto(d: Describer, p: Parsed, header: { width: number; height: number } | undefined): void {
  const ifd0 = p.ifd0 ?? {};
  const exif = p.exif ?? {};
  const gps = p.gps ?? {};
  const iptc = p.iptc ?? {};
  const png = p.ihdr ?? {};
  let xmp = new Map<string, string[]>();
  if (typeof p.xmp === 'string') {
    try {
      xmp = readXmp(p.xmp.slice(p.xmp.indexOf('<')), d.errors);
    } catch (e) {
      d.errors.push(`cannot read XMP: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  const x = (k: string) => xmp.get(k) ?? [];

  const width = header?.width ?? num(ifd0.ImageWidth) ?? num(png.ImageWidth) ?? num(exif.ExifImageWidth);
  const height = header?.height ?? num(ifd0.ImageHeight) ?? num(png.ImageHeight) ?? num(exif.ExifImageHeight);
  if (width && height) {
    d.integer(NFO('width'), width);
    d.integer(NFO('height'), height);
  } else d.errors.push('image size not found');

  d.text(NEXIF('make'), ifd0.Make ?? x('tiff:Make')[0]);
  d.text(NEXIF('model'), ifd0.Model ?? x('tiff:Model')[0]);
  d.integer(NEXIF('orientation'), num(ifd0.Orientation) ?? num(x('tiff:Orientation')[0]));

  // When taken: EXIF DateTimeOriginal (+ OffsetTimeOriginal), then digitized, then XMP, then IPTC date + time.
  const exifDate = (date: unknown, offset: unknown) => {
    const t = textOf(date);
    const tz = normaliseOffset(textOf(offset));
    return t ? { lit: dateLiteral(t, tz), tz } : undefined;
  };
  const iptcTime = textOf(iptc.TimeCreated);
  const iptcDate = textOf(iptc.DateCreated);
  const candidates = [
    exifDate(exif.DateTimeOriginal, exif.OffsetTimeOriginal ?? exif.OffsetTime),
    exifDate(exif.CreateDate ?? exif.DateTimeDigitized, exif.OffsetTimeDigitized ?? exif.OffsetTime),
    exifDate(x('exif:DateTimeOriginal')[0], undefined),
    exifDate(x('photoshop:DateCreated')[0], undefined),
    exifDate(x('xmp:CreateDate')[0], undefined),
    iptcDate ? exifDate(iptcTime ? `${iptcDate} ${iptcTime.slice(0, 2)}:${iptcTime.slice(2, 4)}:${iptcTime.slice(4, 6)}` : iptcDate, iptcTime?.slice(6)) : undefined,
  ];
  const taken = candidates.find((c) => c?.lit);
  if (taken?.lit) {
    d.add(DCTERMS('date'), taken.lit);
    const tz = /([+-]\d{2}:\d{2}|Z)$/.exec(taken.lit.value)?.[1];
    if (tz) d.text(SS('offsetTime'), tz === 'Z' ? '+00:00' : tz);
  } else if (candidates.some((c) => c)) d.errors.push('unreadable date taken');

  // GPS: exifr signs latitude/longitude from the Ref tags; altitude is negative only with GPSAltitudeRef = 1.
  let lat = num(gps.latitude);
  let long = num(gps.longitude);
  if (lat === undefined || long === undefined) {
    lat = xmpCoordinate(x('exif:GPSLatitude')[0]);
    long = xmpCoordinate(x('exif:GPSLongitude')[0]);
  }
  if (lat !== undefined && long !== undefined && Math.abs(lat) <= 90 && Math.abs(long) <= 180) {
    d.double(GEO('lat'), lat);
    d.double(GEO('long'), long);
    const alt = num(gps.GPSAltitude) ?? rational(x('exif:GPSAltitude')[0]);
    const ref = num(gps.GPSAltitudeRef) ?? num(x('exif:GPSAltitudeRef')[0]);
    if (alt !== undefined) d.double(GEO('alt'), ref === 1 ? -Math.abs(alt) : alt);
    if (!(lat === 0 && long === 0)) {
      try {
        describePlace(d, lat, long);
      } catch (e) {
        d.errors.push(`cannot name the place: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  }

  // Title, description, creator, keywords: XMP first, then IPTC, then EXIF / PNG text.
  d.text(DCTERMS('title'), x('dc:title')[0] ?? iptcText(iptc.ObjectName) ?? textOf(png.Title) ?? textOf(ifd0.XPTitle));
  d.text(
    DCTERMS('description'),
    x('dc:description')[0] ?? iptcText(iptc.Caption) ?? textOf(ifd0.ImageDescription) ?? textOf(png.Description),
  );
  const creators = x('dc:creator').length ? x('dc:creator') : list(iptc.Byline).map(iptcText);
  const fallbackCreators = creators.length ? creators : [textOf(ifd0.Artist) ?? textOf(png.Author)];
  for (const c of fallbackCreators) d.person(DCTERMS('creator'), c);
  const keywords = x('dc:subject').length ? x('dc:subject') : list(iptc.Keywords).map(iptcText);
  for (const k of keywords) d.text(DCTERMS('subject'), k);
}

function rational(s: string | undefined): number | undefined {
  const m = /^\s*(-?\d+(?:\.\d+)?)(?:\/(\d+(?:\.\d+)?))?\s*$/.exec(s ?? '');
  if (!m) return undefined;
  const v = Number(m[1]) / (m[2] ? Number(m[2]) : 1);
  return Number.isFinite(v) ? v : undefined;
}

/** The payload of a PNG eXIf chunk (a TIFF structure), walking chunk headers only; exifr stops at IDAT. */
async function pngExifChunk(fh: FileHandle, size: number): Promise<Buffer | undefined> {
  let pos = 8;
  const h = Buffer.alloc(8);
  for (let guard = 0; guard < 100_000 && pos + 8 <= size; guard++) {
    const { bytesRead } = await fh.read(h, 0, 8, pos);
    if (bytesRead < 8) return undefined;
    const len = h.readUInt32BE(0);
    const type = h.toString('latin1', 4, 8);
    if (type === 'eXIf' && len > 8 && len < 16 * 1024 * 1024) {
      const buf = Buffer.alloc(len);
      const r = await fh.read(buf, 0, len, pos + 8);
      return buf.subarray(0, r.bytesRead);
    }
    if (type === 'IEND') return undefined;
    pos += 12 + len;
  }
  return undefined;
}
