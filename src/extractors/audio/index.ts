// Audio files (music-metadata): title, artists, album, track/disc, genres, date, duration, codec, cover, MusicBrainz ids.
import { openAsBlob } from 'node:fs';
import type { NamedNode } from '@rdfjs/types';
import { parseBlob, parseBuffer, type IAudioMetadata } from 'music-metadata';
import { DCTERMS, NFO, NMM, SS, albumIri } from '../../graph/vocab.js';
import { Describer, textOf } from '../describe.js';
import type { Extraction, Extractor, FileInput } from '../types.js';
import { artistValues, composerValues } from './tags.js';

const AUDIO = /^audio\//;
const ALSO = new Set(['video/mp4', 'video/x-matroska', 'video/webm', 'video/x-ms-asf', 'application/ogg']);

const OGG = new Set(['audio/ogg', 'audio/opus', 'application/ogg', 'audio/x-speex', 'video/ogg']);

/** Whether Vorbis comments hold a picture (METADATA_BLOCK_PICTURE=, field names in any case). */
function hasVorbisPicture(bytes: Buffer): boolean {
  return bytes.indexOf('METADATA_BLOCK_PICTURE=', 0, 'latin1') >= 0 || bytes.indexOf('metadata_block_picture=', 0, 'latin1') >= 0;
}

export const audioExtractor: Extractor = {
  name: 'audio',
  accepts: (mime) => AUDIO.test(mime) || ALSO.has(mime),
  async extract(file: FileInput, content: NamedNode): Promise<Extraction> {
    const d = new Describer(content, 'audio');
    d.type(NFO('Audio'));
    d.type(NMM('MusicPiece'));
    let meta: IAudioMetadata;
    try {
      // A file-backed Blob: music-metadata reads only the parts it needs, with random access (ID3v1, APE at the end),
      // and parses by the sniffed type, not by the file name (a FLAC named .mp3 is read as FLAC).
      // A file already read whole is parsed from memory (parseBlob's reads cost 7-13 ms on a small file).
      const options = { duration: false, skipCovers: false, skipPostHeaders: false };
      if (file.bytes && OGG.has(file.mime) && !file.bytes.subarray(0, 128).includes('\x7fFLAC', 0, 'latin1')) {
        // music-metadata decodes a Vorbis cover's base64 a character at a time (~4 ms a file): skip covers, and see
        // whether one is there by its field name (not for Ogg FLAC, whose pictures are binary FLAC blocks).
        meta = await parseBuffer(file.bytes, { mimeType: file.mime, size: file.size }, { ...options, skipCovers: true });
        if (hasVorbisPicture(file.bytes)) meta.common.picture = [{ format: 'image/unknown', data: new Uint8Array(0) }];
      } else if (file.bytes) meta = await parseBuffer(file.bytes, { mimeType: file.mime, size: file.size }, options);
      else meta = await parseBlob(await openAsBlob(file.path, { type: file.mime }), options);
    } catch (e) {
      d.errors.push(`cannot read the audio: ${e instanceof Error ? e.message : String(e)}`);
      return { quads: d.quads, errors: d.errors };
    }
    describeAudio(d, meta, file.size);
    return { quads: d.quads, errors: d.errors };
  },
};

function describeAudio(d: Describer, meta: IAudioMetadata, size: number): void {
  const c = meta.common;
  const f = meta.format;
  d.text(DCTERMS('title'), c.title);
  const artists = artistValues(meta);
  for (const a of artists) d.person(DCTERMS('creator'), a);
  for (const who of composerValues(meta)) d.person(NMM('composer'), who);

  const albumTitle = textOf(c.album);
  if (albumTitle) {
    const albumArtist = textOf(c.albumartist) ?? textOf(artists[0]) ?? '';
    const album = albumIri(albumArtist, albumTitle);
    d.add(NMM('musicAlbum'), album);
    d.type(NMM('MusicAlbum'), album);
    d.text(DCTERMS('title'), albumTitle, album);
    if (textOf(c.albumartist)) d.person(NMM('albumArtist'), c.albumartist, album);
  }
  if (c.track?.no) d.integer(NMM('trackNumber'), c.track.no);
  if (c.track?.of) d.integer(SS('trackTotal'), c.track.of);
  if (c.disk?.no) d.integer(NMM('setNumber'), c.disk.no);
  if (c.disk?.of) d.integer(SS('discTotal'), c.disk.of);
  for (const g of c.genre ?? []) d.text(NFO('genre'), g);
  if (c.date) d.date(DCTERMS('date'), c.date);
  else if (c.year) d.date(DCTERMS('date'), String(c.year));
  for (const label of c.label ?? []) d.text(DCTERMS('publisher'), label);
  if (c.language) d.text(DCTERMS('language'), c.language);

  const duration = plausibleDuration(d, f, size);
  d.double(NFO('duration'), duration);
  if (f.codec) d.text(SS('codec'), f.codec);
  if (f.bitrate && Number.isFinite(f.bitrate) && f.bitrate > 0) d.integer(NFO('averageBitrate'), Math.round(f.bitrate));
  d.boolean(SS('hasCover'), (c.picture?.length ?? 0) > 0);

  const mb: Array<[string, string | string[] | undefined]> = [
    ['recording', c.musicbrainz_recordingid],
    ['track', c.musicbrainz_trackid],
    ['album', c.musicbrainz_albumid],
    ['releasegroup', c.musicbrainz_releasegroupid],
    ['artist', c.musicbrainz_artistid],
    ['albumartist', c.musicbrainz_albumartistid],
  ];
  for (const [kind, ids] of mb) {
    for (const id of Array.isArray(ids) ? ids : ids ? [ids] : []) {
      const t = textOf(id);
      if (t && /^[0-9a-f-]{36}$/i.test(t)) d.text(SS('musicBrainzId'), `${kind}:${t.toLowerCase()}`);
    }
  }
  // music-metadata's quality warnings (unknown PRIV owners, padding, odd tag lengths) are about files that read
  // fine: they are not errors, and reporting them would bury the real ones.
}

/**
 * The duration, checked against the bytes: a header that declares more audio than the file can hold (a truncated
 * file, a wrong TLEN) is replaced by the sample count, or else by size × 8 / bitrate, and the mismatch is noted.
 */
function plausibleDuration(d: Describer, f: IAudioMetadata['format'], size: number): number | undefined {
  const declared = f.duration;
  if (declared === undefined || !Number.isFinite(declared) || declared < 0) return undefined;
  const bySamples = f.numberOfSamples && f.sampleRate ? f.numberOfSamples / f.sampleRate : undefined;
  // A duration that is the sample count (Ogg granule, FLAC STREAMINFO, Xing frames) is exact: a nominal bitrate is not.
  if (bySamples !== undefined && Math.abs(bySamples - declared) < 0.01) return declared;
  const bitrate = f.bitrate;
  if (!bitrate || !Number.isFinite(bitrate) || bitrate <= 0) return declared;
  const maxSeconds = (size * 8) / bitrate;
  if (declared <= maxSeconds * 1.1) return declared;
  const estimate = bySamples !== undefined && bySamples <= maxSeconds * 1.1 ? bySamples : maxSeconds;
  d.errors.push(
    `declared duration ${declared.toFixed(3)} s does not fit in ${size} bytes at ${Math.round(bitrate)} b/s (truncated?): using ${estimate.toFixed(3)} s`,
  );
  return estimate;
}
