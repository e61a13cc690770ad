// Template field values of one content, with the documented fallbacks (see FIELDS in template.ts).
import { basename, extname } from 'node:path';
import { canonicalMime, extensionFor } from '../base/index.js';
import { cleanText, nameKey } from '../graph/vocab.js';
import type { ContentFacts } from './graph.js';
import { dateParts, labelFromValue } from './match.js';
import { FIELDS, type Field } from './template.js';

/** MIME types are compared in base/mime.ts's canonical form (the one the graph stores). */
export { canonicalMime };

/** The content's MIME type: the first its files (or the content) declare, in a stable order. */
export function contentMime(f: ContentFacts): string | undefined {
  const fromFiles = f.files.map((x) => x.mime).filter((m): m is string => !!m);
  const m = fromFiles[0] ?? f.values.mime[0];
  return m === undefined ? undefined : canonicalMime(m);
}

/** One name for several people: `A`, `A & B`, `A et al.` (names in sorted order, so the result is stable). */
function people(all: string[]): string {
  // One person may carry several spellings of a name (the person IRI is keyed by the case-folded name).
  const byKey = new Map<string, string>();
  for (const n of all) if (!byKey.has(nameKey(n)) && nameKey(n) !== '') byKey.set(nameKey(n), cleanText(n));
  const names = [...byKey.values()];
  if (names.length === 0) return '';
  if (names.length === 1) return names[0];
  if (names.length === 2) return `${names[0]} & ${names[1]}`;
  return `${names[0]} et al.`;
}

function twoDigits(v: string | undefined): string {
  if (v === undefined) return '';
  const n = Number.parseInt(v, 10);
  if (!Number.isFinite(n) || n < 0) return '';
  return String(n).padStart(2, '0');
}

function number(v: string | undefined): string {
  if (v === undefined) return '';
  const n = Number(v);
  return Number.isFinite(n) ? String(n) : v;
}

/**
 * Every field's value for `f`, fallbacks applied. `sourcePath` (the local file, if any) names the file
 * (`filename`, `ext`) before the graph's paths do; `category` is the category the placement uses.
 */
export function fieldValues(f: ContentFacts, category: string | undefined, sourcePath: string | undefined): Record<Field, string> {
  const v = f.values;
  const fileName = basename(sourcePath ?? f.files[0]?.path ?? '').normalize('NFC');
  const rawExt = extname(fileName);
  const mime = contentMime(f);
  const ext = (rawExt.length > 1 ? rawExt.slice(1) : (mime && extensionFor(mime)) || '').toLowerCase();
  const baseName = rawExt ? fileName.slice(0, -rawExt.length) : fileName;
  const date = dateParts(v.date[0]);
  const creator = people(v.creator);
  const raw: Record<Field, string> = {
    kind: f.kind,
    category: category ?? '',
    title: v.title[0] ?? '',
    creator,
    author: creator,
    artist: creator,
    albumartist: v.albumArtist[0] ?? '',
    album: v.album[0] ?? '',
    track: twoDigits(v.track[0]),
    disc: number(v.disc[0]),
    genre: v.genre[0] !== undefined ? labelFromValue(v.genre[0]) : '',
    year: date.year,
    month: date.month,
    day: date.day,
    place: v.place[0] ?? '',
    language: v.language[0] ?? '',
    series: v.series[0] ?? '',
    seriesindex: number(v.seriesIndex[0]),
    filename: fileName,
    basename: baseName,
    ext,
  };
  const out = { ...raw };
  for (const k of Object.keys(FIELDS) as Field[]) if (out[k].trim() === '') out[k] = FIELDS[k];
  // The chained fallbacks.
  if (raw.title.trim() === '') out.title = baseName || 'Untitled';
  if (raw.albumartist.trim() === '') out.albumartist = raw.artist || 'Unknown Artist';
  if (raw.filename === '') out.filename = `${out.title}${ext ? '.' + ext : ''}`;
  if (raw.basename === '') out.basename = out.title;
  return out;
}
