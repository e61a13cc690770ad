// PDF metadata through pdfjs-dist (legacy build, no worker thread, no fonts, no eval): the Info dictionary, the
// XMP packet, the catalog's /Lang and the page count. Bytes are served on demand from the file (a range
// transport), so a 500 MB PDF costs only the reads of its cross-reference table and the objects named there.
import type { FileHandle } from 'node:fs/promises';
import { emptyMeta, splitKeywords, splitPeople, type DocumentMeta } from './meta.js';
import { FailureError } from '../../base/index.js';

type PdfJs = typeof import('pdfjs-dist/legacy/build/pdf.mjs');
let pdfjs: Promise<PdfJs> | undefined;

/** pdfjs is loaded on the first PDF only (it is ~2 MB of code). */
function loadPdfJs(): Promise<PdfJs> {
  pdfjs ??= import('pdfjs-dist/legacy/build/pdf.mjs');
  return pdfjs;
}

/** A PDF pdfjs could not open (not a PDF, damaged, encrypted without the password). */
export class PdfReadError extends FailureError {
  override name = 'PdfReadError';
}

/** `D:20240305110000+01'00'` → `2024-03-05T11:00:00+01:00` (precision kept: `D:2024` → `2024`); undefined if unreadable. */
export function pdfDate(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const m = /^(?:D:)?(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?\s*(Z|[+-]\d{2}'?\d{2}'?|[+-]\d{2})?/.exec(value.trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, tz] = m;
  if (!mo) return y;
  if (!d) return `${y}-${mo}`;
  if (!h) return `${y}-${mo}-${d}`;
  let offset = '';
  if (tz === 'Z') offset = 'Z';
  else if (tz) {
    const t = /^([+-])(\d{2})'?(\d{2})?/.exec(tz)!;
    offset = `${t[1]}${t[2]}:${t[3] ?? '00'}`;
  }
  return `${y}-${mo}-${d}T${h}:${mi ?? '00'}:${s ?? '00'}${offset}`;
}

function str(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined;
  const t = v.replace(/\u0000/g, '').trim();
  return t === '' ? undefined : t;
}

/** An XMP value as pdfjs gives it (a string, or a list for rdf:Bag/Seq/Alt). */
function xmpList(v: unknown): string[] {
  if (Array.isArray(v)) return v.map(str).filter((s): s is string => s !== undefined);
  const s = str(v);
  return s === undefined ? [] : [s];
}

interface Metadata {
  get(name: string): unknown;
}

function describe(numPages: number, info: Record<string, unknown>, xmp: Metadata | null): DocumentMeta {
  const meta = emptyMeta('pdf');
  const x = (name: string): string[] => (xmp ? xmpList(xmp.get(name)) : []);
  meta.title = x('dc:title')[0] ?? str(info.Title);
  const xmpCreators = x('dc:creator');
  meta.creators = xmpCreators.length ? xmpCreators.flatMap(splitPeople) : splitPeople(str(info.Author));
  // The Info /Subject is the document's subject (LibreOffice and Word write their subject property there).
  const subject = str(info.Subject);
  const keywords = x('dc:subject').length ? x('dc:subject').flatMap(splitKeywords) : splitKeywords(x('pdf:keywords')[0] ?? str(info.Keywords));
  meta.subjects = [...(subject ? [subject] : []), ...keywords];
  const description = x('dc:description')[0];
  if (description !== undefined && description !== subject) meta.description = description;
  meta.language = x('dc:language')[0] ?? str(info.Language);
  meta.created = pdfDate(info.CreationDate) ?? x('xmp:createdate')[0];
  meta.modified = pdfDate(info.ModDate) ?? x('xmp:modifydate')[0];
  meta.pageCount = numPages > 0 ? numPages : undefined;
  return meta;
}

/** The metadata of the PDF behind `fh` (`size` bytes). Throws PdfReadError when pdfjs cannot open it. */
export async function readPdf(fh: FileHandle, size: number): Promise<DocumentMeta> {
  const lib = await loadPdfJs();
  const initialLength = Math.min(size, 65_536);
  const initial = Buffer.alloc(initialLength);
  await fh.read(initial, 0, initialLength, 0);
  const range = new lib.PDFDataRangeTransport(size, new Uint8Array(initial));
  range.requestDataRange = (begin: number, end: number) => {
    const len = Math.max(0, Math.min(end, size) - begin);
    const chunk = Buffer.alloc(len);
    fh.read(chunk, 0, len, begin).then(
      ({ bytesRead }) => range.onDataRange(begin, new Uint8Array(chunk.subarray(0, bytesRead))),
      () => range.abort(),
    );
  };
  const task = lib.getDocument({
    range, length: size, rangeChunkSize: 65_536, disableAutoFetch: true, disableStream: true,
    isEvalSupported: false, disableFontFace: true, useSystemFonts: false, useWorkerFetch: false,
    isOffscreenCanvasSupported: false, stopAtErrors: false, verbosity: 0,
  });
  try {
    const doc = await task.promise;
    const { info, metadata } = await doc.getMetadata();
    return describe(doc.numPages, info as Record<string, unknown>, metadata as Metadata | null);
  } catch (e) {
    throw new PdfReadError(e instanceof Error ? e.message : String(e));
  } finally {
    await task.destroy();
  }
}
