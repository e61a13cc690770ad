import { copyFile, mkdtemp, mkdir, rename, rm, unlink, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import n3 from 'n3';
import { GraphStore } from '../../src/graph/store.js';
import { DescribePool, Indexer, ShareWatcher, fileIri, shareGraph, type Share } from '../../src/library/index.js';
import { DCTERMS, NFO, NIE, SS, contentIri } from '../../src/graph/vocab.js';
import { corpusDir, manifest } from '../helpers/corpus.js';

const { namedNode } = n3.DataFactory;
let tmp: string;
let store: GraphStore;
let pool: DescribePool;
let indexer: Indexer;
let share: Share;
const nodeId = 'test-node';

const entries = manifest();
const pick = (p: string) => entries.find((e) => e.path === p)!;
const files = ['epub/alice-gutenberg-epub2.epub', 'audio/id3v2.4.mp3', 'photos/IMG_5910.jpg', 'generated/gen-vorbis-multi.flac'];

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'semsync-index-'));
  const root = path.join(tmp, 'share');
  await mkdir(path.join(root, 'sub'), { recursive: true });
  for (const f of files) await copyFile(path.join(corpusDir, f), path.join(root, 'sub', path.basename(f)));
  store = await GraphStore.open({ dir: path.join(tmp, 'store'), nodeId });
  pool = new DescribePool(2);
  indexer = new Indexer(store, pool);
  share = { name: 'test', root };
});

afterAll(async () => {
  await pool?.close();
  await store?.close();
  await rm(tmp, { recursive: true, force: true });
});

const g = () => shareGraph(nodeId, 'test');
const described = (p: string) => store.match(fileIri(p), null, null, g());
const contentOf = (p: string) => store.match(fileIri(p), NIE('interpretedAs'), null, g())[0]?.object.value;

describe('Indexer', () => {
  it('describes every file with its file facts and content identity', async () => {
    const s = await indexer.scan(share);
    expect(s).toMatchObject({ files: 4, added: 4, changed: 0, removed: 0 });
    for (const f of files) {
      const p = path.join(share.root, 'sub', path.basename(f));
      expect(contentOf(p)).toBe(`urn:sha256:${pick(f).sha256}`);
      const size = store.match(fileIri(p), NFO('fileSize'), null, g())[0]?.object.value;
      expect(Number(size)).toBe(pick(f).size);
      expect(store.match(fileIri(p), SS('relativePath'), null, g())[0]?.object.value).toBe(`sub/${path.basename(f)}`);
      expect(store.match(fileIri(p), NIE('mimeType'), null, g())[0]?.object.value).toBe(pick(f).summary.mimeType);
    }
    const title = store.match(contentIri(pick('epub/alice-gutenberg-epub2.epub').sha256), DCTERMS('title'), null, g())[0];
    expect(title?.object.value).toBe(pick('epub/alice-gutenberg-epub2.epub').summary.title);
  });

  it('reads nothing again when nothing changed', async () => {
    const before = store.versionVector()[nodeId];
    const s = await indexer.scan(share);
    expect(s).toMatchObject({ files: 4, added: 0, changed: 0, removed: 0, unchanged: 4 });
    expect(store.versionVector()[nodeId]).toBe(before); // not one patch
  });

  it('keeps the content resource of a moved file, and forgets deleted ones with their content', async () => {
    const from = path.join(share.root, 'sub', 'id3v2.4.mp3');
    const to = path.join(share.root, 'moved.mp3');
    const content = contentOf(from)!;
    await rename(from, to);
    const flac = path.join(share.root, 'sub', 'gen-vorbis-multi.flac');
    const flacContent = contentOf(flac)!;
    await unlink(flac);
    const s = await indexer.scan(share);
    expect(s).toMatchObject({ added: 1, removed: 2, changed: 0 });
    expect(described(from)).toHaveLength(0);
    expect(contentOf(to)).toBe(content);
    expect(store.match(namedNode(content), null, null, g()).length).toBeGreaterThan(0);
    expect(store.match(namedNode(flacContent), null, null, g())).toHaveLength(0);
    // The people only the deleted file named are gone too; nothing names a missing resource.
    const names = store.match(null, null, null, g()).filter((q) => q.object.value.startsWith('https://w3id.org/semsync/id/person/'));
    for (const q of names) expect(store.match(q.object, null, null, g()).length).toBeGreaterThan(0);
  });

  it('re-reads a changed file', async () => {
    const p = path.join(share.root, 'sub', 'IMG_5910.jpg');
    await copyFile(path.join(corpusDir, 'photos/noexif.jpg'), p);
    await utimes(p, new Date(), new Date(Date.now() + 5000));
    const s = await indexer.scan(share);
    expect(s).toMatchObject({ changed: 1, added: 0, removed: 0 });
    expect(contentOf(p)).toBe(`urn:sha256:${pick('photos/noexif.jpg').sha256}`);
  });

  it('reports a bad file, records the error in the graph, and goes on', async () => {
    await writeFile(path.join(share.root, 'not-a-photo.jpg'), 'this is text, not a JPEG');
    await writeFile(path.join(share.root, 'empty.epub'), '');
    await writeFile(path.join(share.root, 'fake.epub'), 'PK but not really a zip');
    const s = await indexer.scan(share);
    expect(s.added).toBe(3);
    const bad = path.join(share.root, 'fake.epub');
    expect(described(bad).length).toBeGreaterThan(0);
    const errors = store.match(fileIri(bad), SS('extractionError'), null, g());
    expect(errors.length).toBeGreaterThan(0);
    expect(s.errors.some((e) => e.path === bad)).toBe(true);
  });

  it('keeps the graph current while watching', async () => {
    const watcher = new ShareWatcher(indexer, { debounceMs: 30 });
    await watcher.add(share);
    try {
      const p = path.join(share.root, 'new-book.epub');
      const t0 = Date.now();
      await copyFile(path.join(corpusDir, 'epub/wasteland.epub'), p);
      while (described(p).length === 0 && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 20));
      console.log(`watch: a new file was queryable after ${Date.now() - t0} ms`);
      expect(contentOf(p)).toBe(`urn:sha256:${pick('epub/wasteland.epub').sha256}`);
      await unlink(p);
      const t1 = Date.now();
      while (described(p).length > 0 && Date.now() - t1 < 10_000) await new Promise((r) => setTimeout(r, 20));
      expect(described(p)).toHaveLength(0);
    } finally {
      await watcher.close();
    }
  });

  it('forgets a whole share', async () => {
    await indexer.forget(share);
    expect(store.match(null, null, null, g())).toHaveLength(0);
  });
});
