// Which native tag says who the artist is, per tag format, so that multiple values stay multiple and "/" stays text.
import type { IAudioMetadata } from 'music-metadata';
import { textOf } from '../describe.js';

/**
 * The artist frame of each tag format. music-metadata's `common.artists` prefers an ARTISTS tag (individual names)
 * over the credited artist and splits ID3v2.3 TPE1 on "/"; we keep the credited artist as written: ID3v2.4
 * NUL-separated values and repeated Vorbis fields stay separate values, an ID3v2.3 "/" stays inside one name
 * ("AC/DC").
 */
const ARTIST_TAG: Record<string, string> = {
  'ID3v2.4': 'TPE1', 'ID3v2.3': 'TPE1', 'ID3v2.2': 'TP1', vorbis: 'ARTIST', iTunes: '©ART', asf: 'Author',
  exif: 'IART', APEv2: 'ARTIST', ID3v1: 'artist', AIFF: 'AUTH', matroska: 'ARTIST',
};
const COMPOSER_TAG: Record<string, string> = {
  'ID3v2.4': 'TCOM', 'ID3v2.3': 'TCOM', 'ID3v2.2': 'TCM', vorbis: 'COMPOSER', iTunes: '©wrt', asf: 'WM/Composer',
  APEv2: 'COMPOSER',
};
/** Tag formats where music-metadata split one frame on "/": we join the pieces back. */
const SLASH_SPLIT = new Set(['ID3v2.3', 'ID3v2.2']);

function nativeValues(meta: IAudioMetadata, table: Record<string, string>): string[] | undefined {
  for (const type of meta.format.tagTypes ?? []) {
    const id = table[type];
    const tags = meta.native[type];
    if (!id || !tags) continue;
    const values = tags
      .filter((t) => t.id.toUpperCase() === id.toUpperCase())
      .map((t) => textOf(t.value))
      .filter((v): v is string => v !== undefined);
    if (values.length === 0) continue;
    return SLASH_SPLIT.has(type) ? [values.join('/')] : values;
  }
  return undefined;
}

function unique(values: Array<string | undefined>): string[] {
  return [...new Set(values.filter((v): v is string => v !== undefined))];
}

/** The credited artists, in tag order, without duplicates. */
export function artistValues(meta: IAudioMetadata): string[] {
  const c = meta.common;
  return unique(nativeValues(meta, ARTIST_TAG) ?? (c.artists?.length ? c.artists : [c.artist]).map(textOf));
}

/** The composers. */
export function composerValues(meta: IAudioMetadata): string[] {
  return unique(nativeValues(meta, COMPOSER_TAG) ?? (meta.common.composer ?? []).map(textOf));
}
