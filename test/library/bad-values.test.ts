// Issue 14, item 7: one file's unstorable description (a relative IRI, broken text) never fails the batch it is in.
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import n3 from 'n3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphStore } from '../../src/graph/store.js';
import { DescribePool, Indexer, fileIri, shareGraph, type DescribeResult, type Share } from '../../src/library/index.js';
import { storableQuads } from '../../src/library/quads.js';
import { NFO, SS, VCARD } from '../../src/graph/vocab.js';

const { namedNode, literal, quad, blankNode } = n3.DataFactory;
const nodeId = 'bad-values-node';
let tmp: string;
let store: GraphStore;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'semsync-badvalues-'));
  store = await GraphStore.open({ dir: path.join(tmp, 'store'), nodeId });
});
afterAll(async () => {
  await store?.close();
  await rm(tmp, { recursive: true, force: true });
});

/** A pool that describes files for real, except that it lets through what an extractor with a bug would say. */
class BuggyPool extends DescribePool {
  constructor(private readonly bad: Record<string, string>) {
    super(0);
  }
  override async describe(task: { path: string }): Promise<DescribeResult> {
    const r = await super.describe(task);
    const extra = this.bad[path.basename(task.path)];
    return extra === undefined ? r : { ...r, nquads: r.nquads + extra.replaceAll('CONTENT', `urn:sha256:${r.sha256}`) };
  }
}

describe('unstorable extractor output', () => {
  it('storableQuads keeps a relative object IRI as text, drops a blank node or a relative subject, and says so', () => {
    const s = namedNode('urn:sha256:00');
    const r = storableQuads([
      quad(s, VCARD('url'), namedNode('homepage')),
      quad(s, VCARD('fn'), literal('Ann')),
      quad(s, VCARD('note'), blankNode('b0')),
      quad(namedNode('relative'), VCARD('fn'), literal('x')),
    ]);
    expect(r.quads.map((q) => `${q.object.termType} ${q.object.value}`)).toEqual(['Literal homepage', 'Literal Ann']);
    expect(r.notes.join('\n')).toMatch(/"homepage" \(for http:\/\/www\.w3\.org\/2006\/vcard\/ns#url\) is not an absolute IRI: kept as text/);
    expect(r.notes.join('\n')).toMatch(/blank node/);
    expect(r.notes.join('\n')).toMatch(/subject is not an absolute IRI: "relative"/);
  });

  it('a scan commits every other file of the batch and names the bad ones; they keep their file facts', async () => {
    const root = path.join(tmp, 'share');
    await mkdir(root, { recursive: true });
    for (let i = 0; i < 8; i++) await writeFile(path.join(root, `note-${i}.txt`), `note ${i}\n`);
    await writeFile(path.join(root, 'relative.txt'), 'relative IRI\n');
    await writeFile(path.join(root, 'broken.txt'), 'broken text\n');
    const pool = new BuggyPool({
      'relative.txt': '<CONTENT> <http://www.w3.org/2006/vcard/ns#url> <homepage> .\n',
      'broken.txt': '<CONTENT> <http://example.org/p> "unterminated .\n',
    });
    const errors: Array<{ path: string; message: string }> = [];
    const indexer = new Indexer(store, pool, { onError: (e) => errors.push(e) });
    const share: Share = { name: 'bad', root };
    const s = await indexer.scan(share);
    expect(s).toMatchObject({ files: 10, added: 10 });
    const g = shareGraph(nodeId, 'bad');
    const files = store.match(null, NFO('fileSize'), null, g).map((q) => path.basename(q.subject.value));
    expect(files.sort()).toEqual(['broken.txt', 'note-0.txt', 'note-1.txt', 'note-2.txt', 'note-3.txt', 'note-4.txt', 'note-5.txt', 'note-6.txt', 'note-7.txt', 'relative.txt']);
    for (const bad of ['relative.txt', 'broken.txt']) {
      const p = path.join(root, bad);
      expect(s.errors.some((e) => e.path === p && /could not be stored/.test(e.message)), bad).toBe(true);
      expect(errors.some((e) => e.path === p), bad).toBe(true);
      expect(store.match(fileIri(p), SS('extractionError'), null, g).map((q) => q.object.value).join('\n')).toMatch(/could not be stored/);
    }
    expect(store.match(null, VCARD('url'), null)).toEqual([]);
    // a rescan reads nothing again and changes nothing
    const again = await indexer.scan(share);
    expect(again).toMatchObject({ added: 0, changed: 0, removed: 0, unchanged: 10 });
  });
});
