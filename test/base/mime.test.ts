// The one MIME table: canonical names are the ones the graph stores (exiftool's), and every user of MIME types folds through it.
import { describe, expect, it } from 'vitest';
import { canonicalMime, extensionFor, extensionMime, mimeFromExtension } from '../../src/base/index.js';
import { canonicalMime as rulesCanonical } from '../../src/rules/index.js';
import { sniffMime } from '../../src/extractors/index.js';

/** A minimal RIFF/WAVE header (what file-type needs to call it audio/wav). */
function wavHead(): Uint8Array {
  const b = Buffer.alloc(44);
  b.write('RIFF', 0, 'latin1');
  b.writeUInt32LE(36, 4);
  b.write('WAVEfmt ', 8, 'latin1');
  b.writeUInt32LE(16, 16);
  b.writeUInt16LE(1, 20);
  b.writeUInt16LE(1, 22);
  b.writeUInt32LE(8000, 24);
  b.writeUInt32LE(8000, 28);
  b.writeUInt16LE(1, 32);
  b.writeUInt16LE(8, 34);
  b.write('data', 36, 'latin1');
  return b;
}

describe('canonicalMime', () => {
  it('folds every WAV spelling to audio/x-wav, the name the graph stores (as exiftool writes it)', () => {
    for (const m of ['audio/wav', 'audio/wave', 'audio/vnd.wave', 'audio/x-wav', 'Audio/WAV; codecs=1']) {
      expect(canonicalMime(m)).toBe('audio/x-wav');
    }
  });

  it('drops parameters, lower-cases, and resolves the other aliases', () => {
    expect(canonicalMime(' Audio/MP3 ; q=1')).toBe('audio/mpeg');
    expect(canonicalMime('audio/mpeg3')).toBe('audio/mpeg');
    expect(canonicalMime('audio/x-m4a')).toBe('audio/mp4');
    expect(canonicalMime('application/ogg')).toBe('audio/ogg');
    expect(canonicalMime('audio/opus')).toBe('audio/ogg');
    expect(canonicalMime('image/jpg')).toBe('image/jpeg');
    expect(canonicalMime('image/heic-sequence')).toBe('image/heic');
    expect(canonicalMime('text/x-vcard')).toBe('text/vcard');
    expect(canonicalMime('application/x-mobi8-ebook')).toBe('application/x-mobipocket-ebook');
    expect(canonicalMime('application/epub+zip')).toBe('application/epub+zip');
  });

  it('is idempotent: an alias never leads to another alias', () => {
    const samples = ['audio/wav', 'audio/x-flac', 'audio/x-vorbis+ogg', 'image/x-png', 'image/tif', 'text/directory', 'audio/x-aiff'];
    for (const m of samples) expect(canonicalMime(canonicalMime(m))).toBe(canonicalMime(m));
  });
});

describe('extensions', () => {
  it('gives the canonical type of a file name, by its extension only', () => {
    expect(mimeFromExtension('/music/a.WAV')).toBe('audio/x-wav');
    expect(mimeFromExtension('book.kepub')).toBe('application/epub+zip');
    expect(mimeFromExtension('x.tar.gz')).toBeUndefined();
    expect(mimeFromExtension('/home/u/.ogg')).toBeUndefined(); // a dot file has no extension, as path.extname says
    expect(mimeFromExtension('README')).toBeUndefined();
  });

  it('gives the type of a bare extension, with or without its dot', () => {
    expect(extensionMime('JPEG')).toBe('image/jpeg');
    expect(extensionMime('.wav')).toBe('audio/x-wav');
    expect(extensionMime('nope')).toBeUndefined();
  });

  it('gives the usual extension of a type under any of its names', () => {
    expect(extensionFor('audio/x-wav')).toBe('wav');
    expect(extensionFor('audio/wav')).toBe('wav');
    expect(extensionFor('image/jpg')).toBe('jpg');
    expect(extensionFor('application/x-mobi8-ebook')).toBe('mobi');
    expect(extensionFor('application/x-unknown')).toBeUndefined();
  });

  it('round-trips: a type\'s usual extension names that type again', () => {
    const types = ['audio/mpeg', 'audio/flac', 'audio/ogg', 'audio/mp4', 'audio/x-wav', 'audio/aiff', 'image/jpeg', 'image/tiff', 'application/epub+zip', 'application/pdf'];
    for (const t of types) expect(extensionMime(extensionFor(t)!)).toBe(t);
  });
});

describe('one table for everyone', () => {
  it('rules compare MIME types in the form the sniffer stores (no more audio/wav vs audio/x-wav)', async () => {
    const stored = await sniffMime(wavHead(), 'a.wav', 44);
    expect(stored).toBe('audio/x-wav');
    for (const m of ['audio/wav', 'audio/x-wav', 'audio/wave']) expect(rulesCanonical(m)).toBe(stored);
  });
});
