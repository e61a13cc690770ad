// The snapshot a paged graph stands on (paged-snapshot.ts): parts by predicate with their counts, read in slices and
// by index, every part checked against its checksum before anything of it is used, and merged with the changes.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import n3 from 'n3';
import { Changes } from '../../src/graph/changes.js';
import { CorruptSnapshotError } from '../../src/graph/errors.js';
import { PagedSnapshot } from '../../src/graph/paged-snapshot.js';
import { latestSnapshot } from '../../src/graph/snapshot.js';
import { GraphStore } from '../../src/graph/store.js';
import { G, adds, tempDir } from './helpers.js';

const { namedNode, literal, quad } = n3.DataFactory;
const TITLE = '<http://purl.org/dc/terms/title>';
const SIZE = '<http://ex.org/size>';

async function written(): Promise<{ file: string; snap: PagedSnapshot }> {
  const dir = tempDir('paged-snapshot');
  const s = await GraphStore.open({ dir, nodeId: 'nodeA' });
  await s.commit([...adds(0, 5), { op: 'A', quad: quad(namedNode('http://ex.org/thing/0'), namedNode('http://ex.org/size'), literal('12'), G) }]);
  await s.snapshot();
  await s.close();
  const latest = (await latestSnapshot(dir))!;
  return { file: latest.file, snap: new PagedSnapshot(latest.file, latest.parts!, latest.meta.quads) };
}

describe('PagedSnapshot', () => {
  it('groups its parts by predicate, reads them in slices and finds lines by index', async () => {
    const { snap } = await written();
    try {
      expect(snap.quads).toBe(6);
      expect(snap.count.get(TITLE)).toBe(5);
      expect(snap.count.get(SIZE)).toBe(1);
      const text = Buffer.concat([...snap.chunks(snap.byPredicate.get(SIZE)!)]).toString();
      expect(text).toBe(`<http://ex.org/thing/0> ${SIZE} "12" <${G.value}> .\n`);
      const [titles] = snap.read(snap.byPredicate.get(TITLE)!);
      expect(titles.find!('s', '<http://ex.org/thing/3>').map((l) => l.o)).toEqual(['"Title 3"']);
    } finally {
      snap.close();
    }
  });

  it('merges changes into its parts: deleted lines go, added ones join their part or make a new one', async () => {
    const { snap } = await written();
    try {
      const changes = new Changes();
      changes.record([`<http://ex.org/thing/1> ${TITLE} "Title 1" <${G.value}>`], [`<http://ex.org/thing/9> ${TITLE} "Title 9" <${G.value}>`, `<http://ex.org/thing/9> <http://ex.org/new> "x" <${G.value}>`]);
      const merged = [...snap.merged(changes)].map((p) => String(p.data)).join('');
      expect(merged).not.toContain('"Title 1"');
      expect(merged).toContain('"Title 9"');
      expect(merged).toContain('<http://ex.org/new> "x"');
      expect(merged.split('\n').filter(Boolean)).toHaveLength(7);
    } finally {
      snap.close();
    }
  });

  it('refuses a part whose bytes do not match its checksum, before anything of it is read', async () => {
    const { file, snap } = await written();
    const part = snap.byPredicate.get(TITLE)![0];
    const bytes = fs.readFileSync(file);
    bytes[part[1] + 30] ^= 0x01; // a letter flipped inside the part
    fs.writeFileSync(file, bytes);
    const fresh = new PagedSnapshot(file, snap.parts, snap.quads);
    snap.close();
    try {
      expect(() => [...fresh.chunks([part])]).toThrow(CorruptSnapshotError);
      expect(() => fresh.read([part])).toThrow(new RegExp(path.basename(file)));
      expect(() => [...fresh.chunks(fresh.byPredicate.get(SIZE)!)]).not.toThrow(); // the other part is whole
    } finally {
      fresh.close();
    }
  });
});
