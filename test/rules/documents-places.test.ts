// Documents and photo places through the default rules, from what our extractors really say about real files:
// documents are filed under <Category>/ on host targets (the Documents folder), a reader that lists PDF gets PDFs, and a GPS
// photo gets its place as a category (rule:photo-place) and in `{place}`.
import { statSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import n3 from 'n3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeContent } from '../../src/extractors/index.js';
import { contentIri } from '../../src/graph/vocab.js';
import { KINDS, categorise, loadDefaultRules, loadRules, defaultRulesFile, plan, type Operation } from '../../src/rules/index.js';
import { PREFIXES, graphOf, hash, profile } from './helpers.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const docs = path.join(here, '..', 'extractors', 'fixtures', 'documents');
const corpusPhotos = path.resolve(here, '..', '..', '..', 'shared', 'corpus', 'photos');
const rules = loadDefaultRules();
const copies = (ops: Operation[]) => ops.flatMap((o) => (o.kind === 'copy' ? [o.target] : [])).sort();

/** Our extractor's quads for each file, plus the file facts the library writes, as Turtle-free N-Triples. */
async function described(files: string[]): Promise<string> {
  const writer = new n3.Writer({ format: 'N-Triples' });
  const lines: string[] = [];
  for (const f of files) {
    const size = statSync(f).size;
    const content = contentIri(hash(f));
    const d = await describeContent(f, content, { size });
    expect(d.errors, f).toEqual([]);
    lines.push(writer.quadsToString(d.quads));
    const iri = pathToFileURL(f).href;
    lines.push(`<${iri}> <http://www.semanticdesktop.org/ontologies/2007/01/19/nie#interpretedAs> <${content.value}> .`);
    lines.push(`<${iri}> <http://www.semanticdesktop.org/ontologies/2007/01/19/nie#mimeType> ${JSON.stringify(d.mime)} .`);
    lines.push(`<${iri}> <http://www.semanticdesktop.org/ontologies/2007/03/22/nfo#fileSize> "${size}"^^<http://www.w3.org/2001/XMLSchema#integer> .`);
    lines.push(`<${iri}> <https://w3id.org/semsync/ns#relativePath> ${JSON.stringify(path.basename(f))} .`);
  }
  return lines.join('\n');
}

describe('documents through the default rules', () => {
  const names = ['report-lo.pdf', 'report-pandoc.odt', 'budget.xlsx', 'slides.pptx'];
  let g: ReturnType<typeof graphOf>;
  beforeAll(async () => {
    g = graphOf(PREFIXES + (await described(names.map((n) => path.join(docs, n)))));
  });

  it('a host target (every kind, POSIX names) files them under <Category>/<Title>.<ext> (the target is the Documents folder)', () => {
    const target = profile({ accepts: [...KINDS], filesystem: 'posix' });
    const ops = plan({ graph: g, rules, profile: target, listing: [], sources: new Map() });
    expect(ops.filter((o) => o.kind === 'skip')).toEqual([]);
    // Categories come from the subject and keywords; the first by label is the folder.
    expect(copies(ops)).toEqual([
      'Astronomy/Orbital Mechanics of Small Satellites.odt',
      'Astronomy/Orbital Mechanics of Small Satellites.pdf',
      'Budget Household/Household Budget 2024.xlsx',
      'Programming/Rust for Embedded Systems.pptx', // LibreOffice wrote the keywords as one: "Rust Embedded"
    ]);
    const copy = ops.find((o) => o.kind === 'copy' && o.target.endsWith('.pdf')) as Operation & { kind: 'copy' };
    expect(copy.rule).toBe('https://w3id.org/semsync/rules/default#place-document');
  });

  it('documents without subject or keywords fall back to their kind', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'semsync-docrule-'));
    try {
      const { zip } = await import('../helpers/make-media.js');
      const bare = (mime: string, title: string) => zip([['mimetype', mime], ['meta.xml', `<office:document-meta xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><office:meta><dc:title>${title}</dc:title></office:meta></office:document-meta>`]]);
      writeFileSync(path.join(dir, 'a.ods'), bare('application/vnd.oasis.opendocument.spreadsheet', 'Sheet'));
      writeFileSync(path.join(dir, 'b.odt'), bare('application/vnd.oasis.opendocument.text', 'Letter'));
      const g2 = graphOf(PREFIXES + (await described([path.join(dir, 'a.ods'), path.join(dir, 'b.odt')])));
      const ops = plan({ graph: g2, rules, profile: profile({ accepts: [...KINDS], filesystem: 'posix' }), listing: [], sources: new Map() });
      expect(copies(ops)).toEqual(['General/Letter.odt', 'Spreadsheets/Sheet.ods']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a reader whose ebook formats list PDF receives the PDFs (in its ebook folder), and no other document', () => {
    const reader = profile({ accepts: ['ebook'], formats: { ebook: ['application/epub+zip', 'application/pdf'] }, folders: { ebook: 'Books' } });
    const ops = plan({ graph: g, rules, profile: reader, listing: [], sources: new Map() });
    expect(copies(ops)).toEqual(['Books/Astronomy/Orbital Mechanics of Small Satellites.pdf']);
    expect(ops.filter((o) => o.kind === 'skip')).toEqual([]);
    // Without a folder of its own: the ebook placement rule's folder, not loose category folders at the root.
    const plain = profile({ accepts: ['ebook'], formats: { ebook: ['application/pdf'] } });
    expect(copies(plan({ graph: g, rules, profile: plain, listing: [], sources: new Map() }))).toEqual(['eBooks/Astronomy/Orbital Mechanics of Small Satellites.pdf']);
  });

  it('a device that does not list a document format, or takes music only, gets no documents', () => {
    for (const p of [profile(), profile({ accepts: ['ebook'], formats: { ebook: ['application/epub+zip'] } }), profile({ accepts: ['music'] })]) {
      expect(plan({ graph: g, rules, profile: p, listing: [], sources: new Map() })).toEqual([]);
    }
  });
});

describe('photo places through the rules', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'semsync-placerule-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a GPS photo gets its town as a category (rule:photo-place) and lands under {place}', async () => {
    const photo = path.join(corpusPhotos, 'IMG_5910.jpg'); // GPS 37.8711 N, 122.2568 W: the UC Berkeley campus
    const g = graphOf(PREFIXES + (await described([photo])));
    const categories = [...categorise(g, rules).values()].flat();
    expect(categories).toContain('Berkeley');
    const mine = path.join(dir, 'places.ttl');
    writeFileSync(mine, `@prefix ss: <https://w3id.org/semsync/ns#> .
<#by-place> a ss:PlacementRule ; ss:kind "photo" ; ss:folder "Pictures" ; ss:priority 10 ; ss:template "{place}/{year}/{filename}" .
`);
    const withMine = loadRules([defaultRulesFile(), mine]);
    const ops = plan({ graph: g, rules: withMine, profile: profile(), listing: [], sources: new Map() });
    expect(copies(ops)).toEqual(['Pictures/Berkeley/2015/IMG_5910.jpg']);
  });
});
