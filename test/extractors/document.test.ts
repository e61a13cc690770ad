// Documents (PDF, ODF, OOXML) made by pandoc and LibreOffice (fixtures/documents/make.sh), read by our extractor and
// compared with exiftool's reading of the same files at test time: never with our own earlier output.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Quad } from '@rdfjs/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_MEMBER_BYTES } from '../../src/extractors/document/office.js';
import { readPdf } from '../../src/extractors/document/pdf.js';
import { memoryHandle } from '../../src/extractors/bytes.js';
import { describeContent } from '../../src/extractors/index.js';
import { DCTERMS, FOAF, NFO, contentIri } from '../../src/graph/vocab.js';
import { zip } from '../helpers/make-media.js';

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'documents');
const files = readdirSync(dir).filter((f) => /\.(pdf|odt|ods|odp|docx|xlsx|pptx)$/.test(f)).sort();

function exiftoolVersion(): string | undefined {
  try {
    return execFileSync('exiftool', ['-ver'], { encoding: 'utf8' }).trim();
  } catch {
    return undefined;
  }
}
const exiftool = exiftoolVersion();
if (!exiftool) console.log('document.test.ts: exiftool is not installed (Debian: libimage-exiftool-perl): the comparison is skipped');

/**
 * exiftool's reading, tag → values. `-args -a` rather than `-j`: JSON keeps one value per tag, and ODF files hold one
 * meta:keyword element per keyword (exiftool -j shows only the first).
 */
function exifRead(file: string): Map<string, string[]> {
  const out = execFileSync('exiftool', ['-a', '-G', '-args', '-charset', 'utf8', '-api', 'LargeFileSupport=1', file], { encoding: 'utf8' });
  const tags = new Map<string, string[]>();
  for (const line of out.split('\n')) {
    const m = /^-([\w-]+:[\w-]+)=(.*)$/.exec(line);
    if (!m) continue;
    tags.set(m[1], [...(tags.get(m[1]) ?? []), m[2]]);
  }
  return tags;
}

type Field = 'title' | 'creator' | 'subjects' | 'description' | 'language' | 'created' | 'modified' | 'pages';
const FIELDS: Field[] = ['title', 'creator', 'subjects', 'description', 'language', 'created', 'modified', 'pages'];

/** exiftool `2024:03:05 11:00:00Z` → `2024-03-05T11:00:00Z` (the form we write). */
function isoFromExif(v: string | undefined): string | undefined {
  const m = /^(\d{4}):(\d{2}):(\d{2})(?: (\d{2}:\d{2}:\d{2})(.*))?$/.exec(v ?? '');
  if (!m) return v;
  return m[4] ? `${m[1]}-${m[2]}-${m[3]}T${m[4]}${m[5].replace(/^([+-]\d{2})(\d{2})$/, '$1:$2')}` : `${m[1]}-${m[2]}-${m[3]}`;
}

/** Authors as one `;`-joined string (pandoc and LibreOffice write `A; B`), split the same way on both sides. */
const people = (vs: string[]) => vs.flatMap((v) => v.split(';')).map((s) => s.trim()).filter(Boolean).sort().join(' | ');
/**
 * Subject and keywords as a set of words: the keyword delimiter is not fixed (exiftool splits PDF keywords on commas,
 * else on spaces; LibreOffice writes OOXML keywords space-separated), so the comparison is of the words.
 */
const words = (vs: string[]) => [...new Set(vs.flatMap((v) => v.split(/[\s,;]+/)).filter(Boolean))].sort().join(' ');

/** exiftool's reading as our fields: ODF authorship is meta:initial-creator (dc:creator is the last editor). */
function theirs(t: Map<string, string[]>): Partial<Record<Field, string>> {
  const one = (...tags: string[]) => tags.map((k) => t.get(k)?.[0]).find((v) => v !== undefined && v !== '');
  const many = (...tags: string[]) => tags.flatMap((k) => t.get(k) ?? []).filter((v) => v !== '');
  const pdf = t.has('PDF:PDFVersion');
  const creators = pdf ? many('XMP:Creator').length ? many('XMP:Creator') : many('PDF:Author') : t.has('XMP:Initial-creator') ? many('XMP:Initial-creator') : many('XMP:Creator');
  const out: Partial<Record<Field, string>> = {
    title: one('XMP:Title', 'PDF:Title'),
    creator: creators.length ? people(creators) : undefined,
    subjects: words(many('XMP:Subject', 'PDF:Subject', 'XMP:Keyword', 'XMP:Keywords', 'XML:Keywords', 'PDF:Keywords')) || undefined,
    // A PDF's XMP dc:description mirrors its Info /Subject (the XMP mapping); we read /Subject as the subject.
    description: pdf && one('XMP:Description') === one('PDF:Subject') ? undefined : one('XMP:Description'),
    language: one('XMP:Language', 'PDF:Language'),
    created: isoFromExif(one('XMP:Creation-date', 'XML:CreateDate', 'PDF:CreateDate', 'XMP:CreateDate')),
    modified: isoFromExif(one(pdf ? 'PDF:ModifyDate' : 'XMP:Date', 'XML:ModifyDate', 'XMP:ModifyDate')),
    pages: one('PDF:PageCount', 'XMP:Document-statisticPage-count', 'XML:Pages', 'XML:Slides'),
  };
  return out;
}

function ours(quads: Quad[]): Partial<Record<Field, string>> {
  const of = (p: string, s?: string) => quads.filter((q) => q.predicate.value === p && (s === undefined || q.subject.value === s)).map((q) => q.object.value);
  const content = quads[0]?.subject.value;
  const creators = of(DCTERMS('creator').value, content).flatMap((who) => of(FOAF('name').value, who));
  const out: Partial<Record<Field, string>> = {
    title: of(DCTERMS('title').value, content)[0],
    creator: creators.length ? people(creators) : undefined,
    subjects: words(of(DCTERMS('subject').value, content)) || undefined,
    description: of(DCTERMS('description').value, content)[0],
    language: of(DCTERMS('language').value, content)[0],
    created: of(DCTERMS('created').value, content)[0],
    modified: of(DCTERMS('modified').value, content)[0],
    pages: of(NFO('pageCount').value, content)[0],
  };
  return out;
}

describe.skipIf(!exiftool)('documents against exiftool', () => {
  it(`agree with exiftool ${exiftool ?? ''} on at least 98% of the fields`, async () => {
    expect(files.length).toBeGreaterThanOrEqual(12);
    let compared = 0;
    const disagreements: string[] = [];
    for (const name of files) {
      const file = path.join(dir, name);
      const d = await describeContent(file, contentIri('cd'.repeat(32)), { size: statSync(file).size });
      expect(d.extractor, `${name}: ${d.errors.join('; ')}`).toBe('document');
      expect(d.errors, name).toEqual([]);
      const a = theirs(exifRead(file));
      const b = ours(d.quads);
      for (const f of FIELDS) {
        if (a[f] === undefined && b[f] === undefined) continue;
        compared++;
        if (a[f] !== b[f]) disagreements.push(`${name} ${f}: exiftool ${JSON.stringify(a[f])}, ours ${JSON.stringify(b[f])}`);
      }
    }
    const agreement = (compared - disagreements.length) / compared;
    console.log(`documents: ${compared - disagreements.length} of ${compared} fields agree with exiftool (${(agreement * 100).toFixed(1)}%)`);
    for (const line of disagreements) console.log(`  disagreement: ${line}`);
    expect(compared).toBeGreaterThanOrEqual(80);
    expect(agreement).toBeGreaterThanOrEqual(0.98);
  });
});

describe('hostile documents', () => {
  let tmp: string;
  beforeAll(() => {
    tmp = mkdtempSync(path.join(tmpdir(), 'semsync-doc-'));
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  async function read(name: string, bytes: Buffer) {
    const file = path.join(tmp, name);
    writeFileSync(file, bytes);
    return describeContent(file, contentIri('ef'.repeat(32)), { size: bytes.length, timeoutMs: 20_000 });
  }
  const ODT = 'application/vnd.oasis.opendocument.text';
  const meta = (inner: string) =>
    `<?xml version="1.0"?><office:document-meta xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><office:meta>${inner}</office:meta></office:document-meta>`;

  it('a meta.xml that inflates past the cap (a zip bomb) is refused with a clear error', async () => {
    const bomb = meta(`<dc:title>Bomb</dc:title><dc:description>${'A'.repeat(MAX_MEMBER_BYTES + 1000)}</dc:description>`);
    const d = await read('bomb.odt', zip([['mimetype', ODT], ['meta.xml', bomb]]));
    expect(d.extractor).toBe('document');
    expect(d.errors.join('\n')).toMatch(/meta\.xml is \d+ bytes \(more than 4194304\): refused/);
  });

  it('a member whose declared size lies is stopped at the cap while inflating', async () => {
    const big = zip([['mimetype', ODT], ['meta.xml', meta(`<dc:title>${'B'.repeat(MAX_MEMBER_BYTES + 10)}</dc:title>`)]]);
    // Rewrite meta.xml's declared uncompressed size (local header and central directory) to 100 bytes.
    const at = big.indexOf('meta.xml');
    big.writeUInt32LE(100, at - 30 + 22);
    const central = big.lastIndexOf('meta.xml');
    big.writeUInt32LE(100, central - 46 + 24);
    const d = await read('liar.odt', big);
    expect(d.errors.join('\n')).toMatch(/meta\.xml|zip/);
    expect(d.quads.some((q) => q.predicate.equals(DCTERMS('title')))).toBe(false);
  });

  it('entities are never expanded (no billion laughs) and malformed XML is an error naming the member', async () => {
    const laughs = `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>` + meta('<dc:title>&b;</dc:title>').replace(/^<\?xml version="1.0"\?>/, '');
    const d = await read('laughs.odt', zip([['mimetype', ODT], ['meta.xml', laughs]]));
    expect(d.errors.join('\n')).toMatch(/meta\.xml is not well-formed XML/);
    const bad = await read('bad.odt', zip([['mimetype', ODT], ['meta.xml', '<office:document-meta><dc:title>x</office:document-meta>']]));
    expect(bad.errors.join('\n')).toMatch(/meta\.xml is not well-formed XML/);
  });

  it('a damaged PDF and a truncated office file give an error, never a throw', async () => {
    const pdf = readFileSync(path.join(dir, 'report-lo.pdf'));
    const cut = await read('cut.pdf', pdf.subarray(0, 600));
    expect(cut.errors.join('\n')).toMatch(/cannot read the PDF/);
    const junk = await read('junk.pdf', Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(5000, 0x41)]));
    expect(junk.errors.join('\n')).toMatch(/cannot read the PDF/);
    const docx = readFileSync(path.join(dir, 'report-pandoc.docx'));
    const half = await read('half.docx', docx.subarray(0, docx.length >> 1));
    expect(half.errors.join('\n')).toMatch(/cannot read the Office Open XML file: OfficeZipError/);
  });

  it('a PDF with XMP: XMP wins over the Info dictionary, /Lang and the page count are read', async () => {
    const d = await read('xmp.pdf', minimalPdf());
    const of = (p: string) => d.quads.filter((q) => q.predicate.value === p && q.subject.value.startsWith('urn:sha256:')).map((q) => q.object.value);
    expect(d.errors).toEqual([]);
    expect(of(DCTERMS('title').value)).toEqual(['Le titre XMP']);
    expect(of(DCTERMS('description').value)).toEqual(['Une description']);
    expect(of(DCTERMS('subject').value)).toEqual(['Sujet', 'alpha', 'beta']);
    expect(of(DCTERMS('language').value)).toEqual(['fr-CA']);
    expect(of(DCTERMS('created').value)).toEqual(['2021-04-05T06:07:08+02:00']);
    expect(of(NFO('pageCount').value)).toEqual(['1']);
    expect(d.quads.filter((q) => q.predicate.equals(FOAF('name'))).map((q) => q.object.value)).toEqual(['Marie Curie']);
  });

  it('a 64 MB PDF costs the reads of its trailer, cross-reference table and the objects it names, not its size', async () => {
    const big = minimalPdf(64 * 1024 * 1024);
    let read = 0;
    const handle = memoryHandle(big);
    const counting = { ...handle, read: async (b: Uint8Array, o?: number, l?: number, p?: number | null) => {
      const r = await handle.read(b, o, l, p);
      read += r.bytesRead;
      return r;
    } } as unknown as typeof handle;
    const meta = await readPdf(counting, big.length);
    expect(meta.title).toBe('Le titre XMP');
    expect(read).toBeLessThan(1024 * 1024);
  });

  it('a PDF is read through byte ranges served from the file: the page count still comes out', async () => {
    const pdf = readFileSync(path.join(dir, 'slides.pdf'));
    const d = await read('slides-copy.pdf', pdf);
    expect(d.quads.find((q) => q.predicate.equals(NFO('pageCount')))?.object.value).toBe('3');
  });
});

/** A one-page PDF written by hand: Info says one thing, the XMP packet another (XMP wins), /Lang on the catalog. */
function minimalPdf(padding = 0): Buffer {
  const xmp = `<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:pdf="http://ns.adobe.com/pdf/1.3/">
<dc:title><rdf:Alt><rdf:li xml:lang="x-default">Le titre XMP</rdf:li></rdf:Alt></dc:title>
<dc:creator><rdf:Seq><rdf:li>Marie Curie</rdf:li></rdf:Seq></dc:creator>
<dc:description><rdf:Alt><rdf:li xml:lang="x-default">Une description</rdf:li></rdf:Alt></dc:description>
<dc:subject><rdf:Bag><rdf:li>alpha</rdf:li><rdf:li>beta</rdf:li></rdf:Bag></dc:subject>
</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>`;
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R /Metadata 4 0 R /Lang (fr-CA) >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>',
    `<< /Type /Metadata /Subtype /XML /Length ${Buffer.byteLength(xmp)} >>\nstream\n${xmp}\nendstream`,
    "<< /Title (Info title) /Author (Pierre Curie) /Subject (Sujet) /Keywords (gamma) /CreationDate (D:20210405060708+02'00') >>",
    `<< /Length ${padding} >>\nstream\n${'x'.repeat(padding)}\nendstream`, // an object nothing refers to: bulk
  ];
  let out = '%PDF-1.7\n';
  const offsets: number[] = [];
  objects.forEach((o, i) => {
    offsets.push(Buffer.byteLength(out));
    out += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = Buffer.byteLength(out);
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const off of offsets) out += `${String(off).padStart(10, '0')} 00000 n \n`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R /Info 5 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'utf8');
}
