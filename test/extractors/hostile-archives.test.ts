// Hostile archives in a share: a scan describes every file, gives each hostile one a clear error naming the file and
// the member at fault, and goes on to the next file.
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphStore } from '../../src/graph/store.js';
import { DescribePool, Indexer, shareGraph, type ScanSummary } from '../../src/library/index.js';
import { DCTERMS } from '../../src/graph/vocab.js';
import { corpusDir, manifest } from '../helpers/corpus.js';
import { CONTAINER, LAUGHS_DOCTYPE, bombOpf, book, crowded, cutInCentralDirectory, deep, epub, lieAboutSize, opf } from './hostile.js';

const ODT = 'application/vnd.oasis.opendocument.text';
const META = `<office:document-meta xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><office:meta><dc:title>Crowd</dc:title></office:meta></office:document-meta>`;
const GOOD = 'epub/alice-calibre-epub3-nocover.epub';

const files: Record<string, Buffer> = {
  'bomb.epub': book(bombOpf(3 << 20)),
  'liar.epub': lieAboutSize(book(bombOpf(3 << 20)), 'OEBPS/content.opf', 100),
  'climbing.epub': epub([['../../evil.opf', opf('Evil')], ['META-INF/container.xml', CONTAINER], ['OEBPS/content.opf', opf('Climbing')]]),
  'cut.epub': cutInCentralDirectory(book(opf('Cut'))),
  'laughs.epub': book(opf('&j;', { doctype: LAUGHS_DOCTYPE })),
  'deep.epub': book(opf('Deep', { extra: deep(10_000) })),
  'crowded.odt': crowded(20_001, [['meta.xml', META]], [['mimetype', ODT]]),
};

let tmp: string;
let store: GraphStore;
let pool: DescribePool;
let summary: ScanSummary;
const nodeId = 'test-node';

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'semsync-hostile-'));
  const root = path.join(tmp, 'share');
  await mkdir(root);
  for (const [name, bytes] of Object.entries(files)) await writeFile(path.join(root, name), bytes);
  await copyFile(path.join(corpusDir, GOOD), path.join(root, 'good.epub'));
  store = await GraphStore.open({ dir: path.join(tmp, 'store'), nodeId });
  pool = new DescribePool(2);
  summary = await new Indexer(store, pool).scan({ name: 'hostile', root });
}, 120_000);

afterAll(async () => {
  await pool?.close();
  await store?.close();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

const errorsOf = (name: string) => summary.errors.filter((e) => path.basename(e.path) === name).map((e) => e.message).join('\n');
const titles = () => store.match(null, DCTERMS('title'), null, shareGraph(nodeId, 'hostile')).map((q) => q.object.value);

describe('hostile archives in a scan', () => {
  it('describes every file: the hostile ones do not stop the scan', () => {
    expect(summary).toMatchObject({ files: Object.keys(files).length + 1, added: Object.keys(files).length + 1 });
    expect(titles()).toContain(manifest().find((e) => e.path === GOOD)!.summary.title);
  });

  it('a zip bomb is refused by its compression ratio, and a liar while inflating, naming the member', () => {
    expect(errorsOf('bomb.epub')).toMatch(/cannot read the EPUB: OEBPS\/content\.opf would inflate \d+ bytes to \d+ \(more than 100×\): refused \(a zip bomb\?\)/);
    expect(errorsOf('liar.epub')).toMatch(/cannot read the EPUB: OEBPS\/content\.opf inflates past 1048576 bytes: refused \(a zip bomb\?\)/);
    expect(titles()).not.toContain('Bomb');
  });

  it('a member named to climb out of the archive is skipped and named; the book is still read', () => {
    expect(errorsOf('climbing.epub')).toMatch(/skipped the member named "\.\.\/\.\.\/evil\.opf": invalid relative path/);
    expect(titles()).toContain('Climbing');
    expect(titles()).not.toContain('Evil');
  });

  it('an archive cut inside its central directory is read from its local headers, with an error', () => {
    expect(errorsOf('cut.epub')).toMatch(/not a complete zip \(no central directory\)/);
    expect(titles()).toContain('Cut');
  });

  it('a billion laughs is never expanded and is reported; deep nesting is refused, naming the member', () => {
    expect(errorsOf('laughs.epub')).toMatch(/OEBPS\/content\.opf declares entities in its DOCTYPE: not expanded/);
    expect(titles()).toContain('&j;');
    expect(errorsOf('deep.epub')).toMatch(/cannot read the EPUB: OEBPS\/content\.opf nests elements more than 256 deep: refused/);
  });

  it('an office file crowded with more members than the limit says so', () => {
    expect(errorsOf('crowded.odt')).toMatch(/OfficeZipError: more than 20000 members: stopped looking/);
  });
});
