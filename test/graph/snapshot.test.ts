// Writing snapshots (snapshot.ts) through base's one atomic writer: the file appears whole or not at all, a failed
// write leaves no temp file, leftovers of a write cut short are swept on open, and a snapshot that does not read back
// is set aside as `.unverified` while the older one stays.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import oxigraph from 'oxigraph';
import { tempNameFor } from '../../src/base/index.js';
import { latestSnapshot, readParts, verifySnapshot, writeSnapshot, writeSnapshotParts } from '../../src/graph/snapshot.js';
import { tempDir } from './helpers.js';

/** verifySnapshot made to fail once asked: a write that does not read back (a disk that lies). */
const hooks = vi.hoisted(() => ({ failVerify: false }));
vi.mock('../../src/graph/snapshot-format.js', async (original) => {
  const m = await original<typeof import('../../src/graph/snapshot-format.js')>();
  return {
    ...m,
    verifySnapshot: (file: string) => {
      if (hooks.failVerify) throw new Error(`${file} reads back wrong`);
      return m.verifySnapshot(file);
    },
  };
});

const LINE = '<http://ex.org/a> <http://ex.org/p> "x" <http://ex.org/g> .\n';

function store(n: number): oxigraph.Store {
  const s = new oxigraph.Store();
  for (let i = 0; i < n; i++) s.load(LINE.replace('"x"', `"x${i}"`), { format: 'application/n-quads' });
  return s;
}

describe('writeSnapshot', () => {
  it('writes the header, the parts and their index, checked, and removes the older snapshot', async () => {
    const dir = tempDir('snapshot');
    const first = await writeSnapshot(dir, store(2), { vv: { a: 1 }, hlc: '1.0' });
    const second = await writeSnapshot(dir, store(3), { vv: { a: 2 }, hlc: '2.0' });
    expect(fs.existsSync(first.file)).toBe(false);
    expect(verifySnapshot(second.file)).toBe(true);
    expect(readParts(second.file, second.meta)).toEqual([['<http://ex.org/p>', expect.any(Number), 3 * LINE.length + 3, 3, '<http://ex.org/g>', expect.any(Number)]]);
    expect(fs.readdirSync(dir).sort()).toEqual([path.basename(second.file)]);
  });

  it('leaves nothing behind when the parts do not add up, and the older snapshot stays', async () => {
    const dir = tempDir('snapshot-fail');
    const first = await writeSnapshot(dir, store(1), { vv: { a: 1 }, hlc: '1.0' });
    await expect(writeSnapshotParts(dir, { vv: { a: 2 }, hlc: '2.0', quads: 5 }, [{ graph: '', predicate: '', data: LINE }])).rejects.toThrow(/5 quads was given 1 lines/);
    expect(fs.readdirSync(dir)).toEqual([path.basename(first.file)]);
  });

  it('sweeps the temp files of a write cut short, and an older version\'s `.nq.tmp`', async () => {
    const dir = tempDir('snapshot-sweep');
    const { file } = await writeSnapshot(dir, store(1), { vv: { a: 1 }, hlc: '1.0' });
    const cut = tempNameFor(path.join(dir, 'snapshot-000000000002.nq'));
    fs.writeFileSync(cut, 'half');
    fs.writeFileSync(path.join(dir, 'snapshot-000000000003.nq.tmp'), 'half');
    fs.writeFileSync(path.join(dir, 'other.txt'), 'kept');
    expect((await latestSnapshot(dir))?.file).toBe(file);
    expect(fs.readdirSync(dir).sort()).toEqual(['other.txt', path.basename(file)].sort());
  });

  it('sets a snapshot that does not read back aside as .unverified, keeping the older one', async () => {
    const dir = tempDir('snapshot-unverified');
    const first = await writeSnapshot(dir, store(1), { vv: { a: 1 }, hlc: '1.0' });
    hooks.failVerify = true;
    try {
      await expect(writeSnapshot(dir, store(2), { vv: { a: 2 }, hlc: '2.0' })).rejects.toThrow(/reads back wrong/);
    } finally {
      hooks.failVerify = false;
    }
    expect(fs.readdirSync(dir).sort()).toEqual([path.basename(first.file), 'snapshot-000000000002.nq.unverified']);
    expect((await latestSnapshot(dir))?.file).toBe(first.file);
  });
});
