// The package as a library: createNode, share, scan, query, close; no CLI involved.
import { cp, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { createNode, vocab } from '../src/index.js';
import { corpusDir, manifest } from './helpers/corpus.js';

it('opens a home, describes a share and answers SPARQL', async () => {
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'semsync-lib-'));
  try {
    const book = manifest().find((e) => e.path === 'epub/wasteland.epub')!;
    await cp(path.join(corpusDir, book.path), path.join(tmp, 'books', 'w.epub'), { recursive: true });
    const node = await createNode({ home: path.join(tmp, 'home'), workers: 0 });
    try {
      await node.addShare(path.join(tmp, 'books'), 'Books');
      const [summary] = await node.scan(undefined);
      expect(summary).toMatchObject({ files: 1, added: 1, errors: [] });
      const out = node.store.query(`SELECT ?t WHERE { ?c <${vocab.DCTERMS('title').value}> ?t }`);
      expect(out.kind === 'bindings' && out.rows.map((r) => r.t.value)).toEqual([book.summary.title]);
    } finally {
      await node.close();
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
});
