// Test helper: maps a description's quads back to the corpus manifest's summary fields, and compares field values.
import type { Quad } from '@rdfjs/types';
import { DCTERMS, FOAF, GEO, NEXIF, NFO, NMM, RDF, SS } from '../../src/graph/vocab.js';

export type Fields = Record<string, unknown>;

const unique = (xs: string[]) => [...new Set(xs)];

/** Reads a content description in the shape of a manifest summary. */
export function toSummary(contentIri: string, mime: string, quads: Quad[]): Fields {
  const by = (s: string, p: string) => quads.filter((q) => q.subject.value === s && q.predicate.value === p).map((q) => q.object.value);
  const one = (p: string, s = contentIri) => by(s, p)[0];
  const names = (p: string, s = contentIri) => by(s, p).map((who) => by(who, FOAF('name').value)[0]);
  const types = by(contentIri, RDF('type').value);
  const type = types.includes(NFO('Audio').value) ? 'audio' : types.includes(NFO('Image').value) ? 'image' : types.includes(SS('EBook').value) ? 'ebook' : 'other';
  const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
  const f: Fields = { type, mimeType: mime };
  const set = (k: string, v: unknown) => {
    if (v !== undefined && !(Array.isArray(v) && v.length === 0)) f[k] = v;
  };
  set('title', one(DCTERMS('title').value));
  set('titleAll', [...by(contentIri, DCTERMS('title').value), ...by(contentIri, DCTERMS('alternative').value)]);
  const creators = names(DCTERMS('creator').value);
  set(type === 'audio' ? 'artist' : 'creator', creators);
  set('contributor', names(DCTERMS('contributor').value));
  set('composer', names(NMM('composer').value)[0]);
  const album = one(NMM('musicAlbum').value);
  if (album) {
    set('album', one(DCTERMS('title').value, album));
    set('albumArtist', names(NMM('albumArtist').value, album)[0]);
  }
  set('track', num(one(NMM('trackNumber').value)));
  set('trackTotal', num(one(SS('trackTotal').value)));
  set('disc', num(one(NMM('setNumber').value)));
  set('discTotal', num(one(SS('discTotal').value)));
  set('genre', by(contentIri, NFO('genre').value));
  set(type === 'image' ? 'dateTimeOriginal' : 'date', one(DCTERMS('date').value));
  set('dateAll', unique([...by(contentIri, DCTERMS('date').value), ...by(contentIri, DCTERMS('issued').value), ...by(contentIri, DCTERMS('created').value)]));
  set('offsetTimeOriginal', one(SS('offsetTime').value));
  set('durationSeconds', num(one(NFO('duration').value)));
  const langs = by(contentIri, DCTERMS('language').value);
  set('language', type === 'ebook' ? langs : langs[0]);
  set('subject', by(contentIri, DCTERMS('subject').value));
  const lat = one(GEO('lat').value);
  if (lat !== undefined) {
    const g: Fields = { latitude: Number(lat), longitude: Number(one(GEO('long').value)) };
    const alt = one(GEO('alt').value);
    if (alt !== undefined) g.altitude = Number(alt);
    f.gps = g;
  }
  set('make', one(NEXIF('make').value));
  set('model', one(NEXIF('model').value));
  set('orientation', num(one(NEXIF('orientation').value)));
  set('width', num(one(NFO('width').value)));
  set('height', num(one(NFO('height').value)));
  const cover = one(SS('hasCover').value);
  if (cover !== undefined) set(type === 'ebook' ? 'hasCoverMeta' : 'hasCoverArt', cover === 'true');
  const publishers = by(contentIri, DCTERMS('publisher').value);
  set('publisher', publishers[0]);
  set('publisherAll', publishers);
  const ids = by(contentIri, DCTERMS('identifier').value);
  // urn:isbn: values are derived from an identifier written another way; the manifest lists identifiers as written.
  set('identifier', ids.filter((id) => !(id.startsWith('urn:isbn:') && ids.some((o) => o !== id && o.replace(/[^\dX]/gi, '') === id.slice(9)))));
  set('description', one(DCTERMS('description').value));
  const rights = by(contentIri, DCTERMS('rights').value);
  set('rights', rights[0]);
  set('rightsAll', rights);
  set('series', one(SS('series').value));
  set('seriesIndex', num(one(SS('seriesIndex').value)));
  set('modified', one(DCTERMS('modified').value));
  set('epubVersion', one(SS('epubVersion').value));
  return f;
}

/** Fields a value in a list-valued field must match as a set; the `*All` fields are compared as sets too. */
const LISTS = new Set(['artist', 'creator', 'contributor', 'genre', 'subject', 'titleAll', 'dateAll', 'publisherAll', 'rightsAll', 'identifier']);
/** Summary fields we do not extract, by design (see the report): not counted. */
export const NOT_EXTRACTED = new Set(['comment', 'rating', 'durationConflict']);

const nfc = (v: unknown) => (typeof v === 'string' ? v.normalize('NFC') : v);

/** A date as [core (no offset), offset or undefined], with EXIF colons turned into ISO dashes. */
function dateParts(v: string): [string, string | undefined] {
  let s = v.trim().replace(/^(\d{4}):(\d{2}):(\d{2})/, '$1-$2-$3').replace(' ', 'T');
  s = s.replace(/^(\d{4})(\d{2})(\d{2})$/, '$1-$2-$3');
  const m = /(Z|[+-]\d{2}:?\d{2})$/.exec(s);
  const tz = m ? (m[1] === 'Z' ? '+00:00' : m[1].replace(/^([+-]\d{2})(\d{2})$/, '$1:$2')) : undefined;
  return [m ? s.slice(0, -m[1].length) : s, tz];
}

/** Dates agree by value at the coarser of the two precisions, and by offset when both give one. */
export function sameDate(a: string, b: string): boolean {
  const [ca, ta] = dateParts(a);
  const [cb, tb] = dateParts(b);
  const n = Math.min(ca.length, cb.length);
  if (ca.slice(0, n) !== cb.slice(0, n) || n < 4) return false;
  return !(ta && tb && n > 10 && ta !== tb);
}

/** undefined when the values agree, else a short reason. */
export function compareField(key: string, expected: unknown, actual: unknown): string | undefined {
  if (actual === undefined) return 'missing';
  if (expected === undefined) return 'extra (the manifest has none)';
  if (key === 'durationSeconds') {
    return Math.abs(Number(actual) - Number(expected)) <= 0.1 ? undefined : `off by ${(Number(actual) - Number(expected)).toFixed(3)} s`;
  }
  if (key === 'gps') {
    const e = expected as Fields;
    const a = actual as Fields;
    for (const k of ['latitude', 'longitude', 'altitude']) {
      if (e[k] === undefined && a[k] === undefined) continue;
      if (e[k] === undefined || a[k] === undefined) return `${k} ${e[k] === undefined ? 'extra' : 'missing'}`;
      if (Math.abs(Number(e[k]) - Number(a[k])) > (k === 'altitude' ? 1e-3 : 1e-6)) return `${k} differs`;
    }
    return undefined;
  }
  if (key === 'date' || key === 'dateTimeOriginal' || key === 'modified') {
    return sameDate(String(expected), String(actual)) ? undefined : 'different date';
  }
  if (key === 'dateAll') {
    const e = (expected as string[]).map(String);
    const a = (actual as string[]).map(String);
    const ok = e.length === a.length && e.every((x) => a.some((y) => sameDate(x, y)));
    return ok ? undefined : 'different set of dates';
  }
  if (LISTS.has(key) || (key === 'language' && Array.isArray(expected))) {
    const e = (expected as unknown[]).map(nfc);
    const a = (Array.isArray(actual) ? actual : [actual]).map(nfc);
    if (e.length === new Set(a).size && e.every((x) => a.includes(x))) return undefined;
    // exiftool joins multiple values with '/' (the manifest does not split them): ours joined the same way agree.
    if (e.length === 1 && a.join('/') === e[0]) return undefined;
    return 'different values';
  }
  return nfc(expected) === nfc(actual) ? undefined : 'different value';
}
