// The part file of a fetch, on both of its writers (this thread for small transfers, a worker for big ones):
// resumes from what is there, checks every chunk, takes the whole-file hash, renames only a matching file.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FetchError, PartFile, WORKER_MIN_BYTES } from '../../src/peers/part-file.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'semsync-part-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest();

/** Chunks of `bytes` from `from`, alternately in buffers of their own (moved to a worker) and slices of a shared one (copied). */
function chunks(bytes: Buffer, from: number, size = 256 * 1024): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let pos = from, i = 0; pos < bytes.length; pos += size, i++) {
    const piece = bytes.subarray(pos, Math.min(pos + size, bytes.length));
    if (i % 2 === 0) {
      const own = new Uint8Array(new ArrayBuffer(33 + piece.length), 33, piece.length);
      own.set(piece);
      out.push(own);
    } else {
      const shared = Buffer.alloc(piece.length + 100);
      piece.copy(shared, 10);
      out.push(shared.subarray(10, 10 + piece.length));
    }
  }
  return out;
}

describe('part file', () => {
  for (const [name, total, resumeAt] of [
    ['this thread', 3 * 1024 * 1024 + 5, 1024 * 1024 + 1],
    ['a worker thread', WORKER_MIN_BYTES + 2 * 1024 * 1024 + 7, 1024 * 1024 + 3],
  ] as const) {
    it(`resumes, checks and renames on ${name}`, async () => {
      const bytes = randomBytes(total);
      const hash = sha(bytes).toString('hex');
      const out = path.join(dir, `${name}.bin`);
      await writeFile(`${out}.semsync-part`, bytes.subarray(0, resumeAt));
      const p = await PartFile.open(out, 'peer', hash);
      expect(p.have).toBe(resumeAt);
      await p.meta(total);
      for (const c of chunks(bytes, resumeAt)) {
        const h = sha(c); // before the chunk may be moved away
        await p.chunk(h, c);
      }
      await p.flush();
      await p.close();
      await p.commit(out, true);
      expect(p.received).toBe(total - resumeAt);
      expect((await readFile(out)).equals(bytes)).toBe(true);
      await expect(stat(`${out}.semsync-part`)).rejects.toThrow();
    });

    it(`refuses a bad chunk and removes a file with the wrong whole hash on ${name}`, async () => {
      const bytes = randomBytes(total);
      const out = path.join(dir, `${name}-bad.bin`);
      const p = await PartFile.open(out, 'peer', sha(bytes).toString('hex'));
      await p.meta(total);
      const cs = chunks(bytes, 0);
      await expect(p.chunk(new Uint8Array(32), cs[0])).rejects.toThrow(FetchError);
      await p.close();
      expect((await stat(`${out}.semsync-part`)).size).toBe(0);

      const wrong = path.join(dir, `${name}-wrong.bin`);
      const q = await PartFile.open(wrong, 'peer', 'f'.repeat(64));
      await q.meta(total);
      for (const c of chunks(bytes, 0)) await q.chunk(sha(c), c);
      await q.flush();
      await q.close();
      await expect(q.commit(wrong, true)).rejects.toThrow(/hashes to .*removed/);
      await expect(stat(`${wrong}.semsync-part`)).rejects.toThrow();
      await expect(stat(wrong)).rejects.toThrow();
    });
  }

  it('keeps the part file and says where it stopped when the end never came', async () => {
    const bytes = randomBytes(WORKER_MIN_BYTES + 1);
    const out = path.join(dir, 'cut.bin');
    const p = await PartFile.open(out, 'peer', sha(bytes).toString('hex'));
    await p.meta(bytes.length);
    const cs = chunks(bytes, 0);
    for (const c of cs.slice(0, 3)) await p.chunk(sha(c), c);
    await p.flush();
    await p.close();
    await expect(p.commit(out, false)).rejects.toThrow(/interrupted at 786432 of/);
    expect((await readFile(`${out}.semsync-part`)).equals(bytes.subarray(0, 786432))).toBe(true);
  });
});

describe('announced sizes (issue 14, item 17)', () => {
  it('refuses a size past the bound before writing anything', async () => {
    const out = path.join(dir, 'huge.bin');
    const p = await PartFile.open(out, 'peerX', 'ab'.repeat(32));
    await expect(p.meta(2 ** 41)).rejects.toThrow(FetchError);
    await expect(p.meta(2 ** 41)).rejects.toThrow(/peerX announced 2199023255552 bytes for a*b.*over the 1099511627776-byte bound; refused/);
    await expect(stat(`${out}.semsync-part`)).rejects.toThrow(/ENOENT/);
  });

  it('refuses a file that cannot fit in the free space of its disk (a 2 MB tmpfs), and a resumed part stays', async () => {
    const { mountTmpfs } = await import('../devices/mounts-helper.js');
    const m = await mountTmpfs(path.join(dir, 'small-disk'), '2m');
    try {
      if (m.kind !== 'tmpfs') return console.warn('cannot mount a tmpfs here: skipped');
      const out = path.join(m.root, 'big.bin');
      const p = await PartFile.open(out, 'peerY', 'cd'.repeat(32));
      await expect(p.meta(10 * 1024 * 1024)).rejects.toThrow(/needs 10485760 more bytes but .*small-disk has \d+ free .*free some space and fetch again/);
      await expect(stat(`${out}.semsync-part`)).rejects.toThrow(/ENOENT/); // nothing written
      // a part from an earlier attempt is kept for the resume
      await writeFile(`${out}.semsync-part`, randomBytes(1000));
      const q = await PartFile.open(out, 'peerY', 'cd'.repeat(32));
      await expect(q.meta(10 * 1024 * 1024)).rejects.toThrow(/needs 10484760 more bytes/);
      expect((await stat(`${out}.semsync-part`)).size).toBe(1000);
      // what fits is accepted
      const r = await PartFile.open(path.join(m.root, 'small.bin'), 'peerY', 'ef'.repeat(32));
      await r.meta(100 * 1024);
      await r.close();
    } finally {
      await m.unmount();
    }
  });
});
