// Bad input: mislabelled, empty, non-zip and truncated files are described with what could be read plus errors, never a throw.
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeContent } from '../../src/extractors/index.js';
import { DCTERMS, contentIri } from '../../src/graph/vocab.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const corpus = path.resolve(repoRoot, '..', 'shared', 'corpus');
let dir: string;

function truncated(from: string, to: string, bytes: number): void {
  writeFileSync(path.join(dir, to), readFileSync(path.join(corpus, from)).subarray(0, bytes));
}

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'semsync-bad-'));
  writeFileSync(path.join(dir, 'text.jpg'), 'This is not a picture, just some text.\n');
  copyFileSync(path.join(corpus, 'audio/flac.flac'), path.join(dir, 'flac-named.mp3'));
  writeFileSync(path.join(dir, 'empty.mp3'), '');
  writeFileSync(path.join(dir, 'not-a-zip.epub'), 'PK? no, this is a plain text file pretending to be an EPUB.\n');
  truncated("audio/MusicBrainz - Beth Hart - Sinner's Prayer [id3v2.4].V2.mp3", 'truncated.mp3', 20_000);
  truncated('photos/IMG_5910.jpg', 'truncated.jpg', 3_000);
  truncated('epub/alice-gutenberg-epub2.epub', 'truncated.epub', 200_000); // cut before its OPF (at the end)
  truncated('epub/regime-anticancer-arabic.epub', 'truncated-after-opf.epub', 50_000); // OPF within the first 1.5 KB
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function describeFile(name: string) {
  const file = path.join(dir, name);
  return describeContent(file, contentIri('ab'.repeat(32)), { size: statSync(file).size, timeoutMs: 10_000 });
}

describe('bad input', () => {
  it('a .jpg that is text is text/plain, with an error naming the mismatch', async () => {
    const d = await describeFile('text.jpg');
    expect(d.mime).toBe('text/plain');
    expect(d.extractor).toBe('generic');
    expect(d.errors.join('\n')).toMatch(/name says image\/jpeg/);
  });

  it('a FLAC named .mp3 is sniffed and read as FLAC', async () => {
    const d = await describeFile('flac-named.mp3');
    expect(d.mime).toBe('audio/flac');
    expect(d.extractor).toBe('audio');
    expect(d.quads.some((q) => q.predicate.equals(DCTERMS('title')) && q.object.value === 'Brian Eno')).toBe(true);
    expect(d.errors.join('\n')).toMatch(/name says audio\/mpeg/);
  });

  it('a zero-byte file is described as empty, with an error', async () => {
    const d = await describeFile('empty.mp3');
    expect(d.mime).toBe('application/x-empty');
    expect(d.quads.length).toBeGreaterThan(0);
    expect(d.errors.length).toBeGreaterThan(0);
  });

  it('an EPUB that is not a zip is described as what it is, with an error', async () => {
    const d = await describeFile('not-a-zip.epub');
    expect(d.mime).toBe('text/plain');
    expect(d.errors.join('\n')).toMatch(/application\/epub\+zip/);
  });

  it.each(['truncated.mp3', 'truncated.jpg', 'truncated.epub'])('%s yields what could be read plus errors', async (name) => {
    const d = await describeFile(name);
    expect(d.mime).toMatch(/^(audio|image|application)\//);
    expect(d.quads.length).toBeGreaterThan(0);
    expect(d.errors.length).toBeGreaterThan(0);
  });

  it('a truncated EPUB still gives its title from the local headers when the OPF survived', async () => {
    const d = await describeFile('truncated-after-opf.epub');
    expect(d.errors.join('\n')).toMatch(/no central directory/);
    expect(d.mime).toBe('application/epub+zip');
    expect(d.quads.some((q) => q.predicate.equals(DCTERMS('title')))).toBe(true);
  });

  it('a missing file is an error, not a throw', async () => {
    const d = await describeContent(path.join(dir, 'gone.jpg'), contentIri('cd'.repeat(32)), { size: 10 });
    expect(d.errors.length).toBeGreaterThan(0);
  });
});
