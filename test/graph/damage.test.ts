// A damaged store (issue 14, items 5 and 6): a torn append is dropped and said; a whole record damaged later, a
// damaged snapshot or paged part, a snapshot gone from under a compacted log are refused loudly with the file named,
// the damaged bytes are kept aside, a reader truncates nothing, and repairStore recovers the rest and says what is lost.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import n3 from 'n3';
import { afterEach, describe, expect, it } from 'vitest';
import { GraphStore, type OpenOptions } from '../../src/graph/store.js';
import { CorruptLogError, CorruptSnapshotError, MissingSnapshotError } from '../../src/graph/errors.js';
import { encodePatch } from '../../src/graph/patch.js';
import { queryReach } from '../../src/graph/reach.js';
import { repairStore } from '../../src/graph/repair.js';
import { adds, q, tempDir } from './helpers.js';

const { namedNode, quad } = n3.DataFactory;
const open: GraphStore[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close().catch(() => undefined);
});
async function openStore(dir: string, opts: Partial<OpenOptions> = {}): Promise<GraphStore> {
  const s = await GraphStore.open({ dir, nodeId: 'nodeA', ...opts });
  open.push(s);
  return s;
}
const TITLES = 'SELECT ?t WHERE { ?s <http://purl.org/dc/terms/title> ?t }';
const reader = (dir: string) => GraphStore.open({ dir, nodeId: 'nodeA', reach: queryReach(TITLES)! });
const segments = (dir: string) => fs.readdirSync(path.join(dir, 'log')).filter((n) => n.endsWith('.log')).sort().map((n) => path.join(dir, 'log', n));
const snapshotFile = (dir: string) => path.join(dir, fs.readdirSync(dir).find((n) => /^snapshot-\d+\.nq$/.test(n))!);

/** Five commits of ten statements each (patches 1..5), in one segment. */
async function build(dir: string, opts: Partial<OpenOptions> = {}): Promise<void> {
  const s = await GraphStore.open({ dir, nodeId: 'nodeA', ...opts });
  for (let i = 0; i < 5; i++) await s.commit(adds(i * 10, i * 10 + 10));
  await s.close();
}

describe('a damaged change log', () => {
  it('flipped byte in the last acknowledged record: refused with file and offset, kept aside, never truncated; repair recovers the rest', async () => {
    const dir = tempDir('dmg-last');
    await build(dir);
    const [seg] = segments(dir);
    const buf = fs.readFileSync(seg);
    const last = buf.lastIndexOf('SSP2');
    buf[buf.length - 30] ^= 0x01; // inside the last record's payload
    fs.writeFileSync(seg, buf);
    for (const open of [() => GraphStore.open({ dir, nodeId: 'nodeA' }), () => reader(dir)]) {
      const err = await open().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CorruptLogError);
      expect((err as CorruptLogError).message).toContain(`${seg} is damaged at byte ${last}`);
      expect((err as CorruptLogError).offset).toBe(last);
      expect(fs.readFileSync((err as CorruptLogError).kept)).toEqual(buf.subarray(last));
    }
    expect(fs.readFileSync(seg)).toEqual(buf); // nothing truncated by the writer or the reader
    const report = await repairStore({ dir, nodeId: 'nodeA', damagedDir: path.join(dir, 'damaged') });
    expect(report.logDamage).toMatchObject({ file: seg, offset: last });
    expect(report.lost).toEqual([{ author: 'nodeA', from: 5, to: 5, why: 'the damaged record' }]);
    expect(fs.readFileSync(report.logDamage!.keptAt)).toEqual(buf.subarray(last));
    expect(report.statements).toBe(40);
    const s = await openStore(dir);
    expect(s.size).toBe(40);
    expect((await s.commit(adds(100, 101)))?.seq).toBe(6); // patch 5 may be held by peers: its number is not reused
  });

  it('damage before the end: refused; repair cuts there and lists the whole records after it as lost', async () => {
    const dir = tempDir('dmg-mid');
    await build(dir);
    const [seg] = segments(dir);
    const buf = fs.readFileSync(seg);
    buf[200] ^= 0xff;
    fs.writeFileSync(seg, buf);
    await expect(GraphStore.open({ dir, nodeId: 'nodeA' })).rejects.toThrow(/damaged at byte 0: .*4 whole records follow the damage/);
    const report = await repairStore({ dir, nodeId: 'nodeA', damagedDir: path.join(dir, 'damaged') });
    expect(report.lost).toEqual([{ author: 'nodeA', from: 1, to: 1, why: 'the damaged record' }, { author: 'nodeA', from: 2, to: 5, why: 'after the damage in 000000000001.log' }]);
    expect((await openStore(dir)).versionVector()).toEqual({ nodeA: 5 });
  });

  it('a torn append (never acknowledged) is dropped and said: cut by a writer, only skipped by a reader', async () => {
    const dir = tempDir('dmg-torn');
    await build(dir);
    const [seg] = segments(dir);
    const size = fs.statSync(seg).size;
    fs.truncateSync(seg, size - 7);
    const r = await reader(dir);
    expect(r.recoveredTornTail).toMatchObject({ file: seg, truncated: false });
    expect(r.query(TITLES)).toMatchObject({ kind: 'bindings', rows: expect.arrayContaining([]) });
    expect((r.query(TITLES) as { rows: unknown[] }).rows).toHaveLength(40);
    expect(r.size).toBe(40);
    await r.close();
    expect(fs.statSync(seg).size).toBe(size - 7); // the reader cut nothing
    const s = await openStore(dir);
    expect(s.recoveredTornTail).toMatchObject({ file: seg, truncated: true, reason: 'the file ends inside a record' });
    expect(s.versionVector()).toEqual({ nodeA: 4 });
    expect(fs.statSync(seg).size).toBeLessThan(size - 7);
  });

  it('still opens a log written before records had a header checksum and commit marker, and appends the new form after', async () => {
    const dir = tempDir('dmg-v1');
    fs.mkdirSync(path.join(dir, 'log'), { recursive: true });
    const frames = [1, 2].map((seq) => {
      const payload = Buffer.from(encodePatch({ author: 'nodeA', seq, hlc: `${1000 + seq}.0`, changes: adds(seq * 10, seq * 10 + 3) }));
      const h = Buffer.alloc(12);
      h.write('SSPL', 0, 'latin1');
      h.writeUInt32BE(payload.length, 4);
      h.writeUInt32BE(zlib.crc32(payload), 8);
      return Buffer.concat([h, payload]);
    });
    fs.writeFileSync(path.join(dir, 'log', '000000000001.log'), Buffer.concat(frames));
    const s = await openStore(dir);
    expect(s.size).toBe(6);
    await s.commit([{ op: 'A', quad: q(99) }]);
    await s.close();
    const r = await openStore(dir);
    expect(r.versionVector()).toEqual({ nodeA: 3 });
    expect(fs.readFileSync(segments(dir)[0]).includes('SSP2')).toBe(true);
  });
});

describe('a damaged snapshot', () => {
  it('a letter flipped in a literal: refused with the file named, by a writer and a reader; repair rebuilds it from the log', async () => {
    const dir = tempDir('dmg-snap');
    const s = await openStore(dir);
    await s.commit(adds(0, 20));
    await s.snapshot();
    await s.close();
    const file = snapshotFile(dir);
    const text = fs.readFileSync(file, 'utf8');
    fs.writeFileSync(file, text.replace('"Title 7"', '"Title 8"'));
    await expect(GraphStore.open({ dir, nodeId: 'nodeA', pagedAbove: Infinity })).rejects.toThrow(CorruptSnapshotError);
    await expect(GraphStore.open({ dir, nodeId: 'nodeA', pagedAbove: Infinity })).rejects.toThrow(new RegExp(`${file} is damaged: its 20 statements of <http://purl.org/dc/terms/title>`));
    await expect(reader(dir)).rejects.toThrow(new RegExp(`${file} is damaged`));
    const report = await repairStore({ dir, nodeId: 'nodeA', damagedDir: path.join(dir, 'damaged') });
    expect(report.snapshot?.file).toBe(file);
    expect(fs.readFileSync(report.snapshot!.movedTo, 'utf8')).toContain('"Title 8"');
    expect(report.lost).toEqual([]);
    const r = await openStore(dir);
    expect(r.query('ASK { ?s ?p "Title 7" }')).toMatchObject({ kind: 'boolean', value: true }); // the true value, from the log
    expect(r.size).toBe(20);
  });

  it('a broken line in a paged part: the query names the file, export fails, no snapshot is written and no log segment deleted', async () => {
    const dir = tempDir('dmg-paged');
    const s = await openStore(dir, { pagedAbove: 0, segmentBytes: 400, keepSegments: 0 });
    await s.commit(adds(0, 30));
    await s.snapshot();
    await s.close();
    const file = snapshotFile(dir);
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('"Title 3" ', '"Title 3  ')); // an unterminated literal, same length
    const p = await openStore(dir, { pagedAbove: 0, segmentBytes: 400, keepSegments: 0 });
    // a few segments the next snapshot would cover (of another predicate: a commit of titles must read the damaged part, and fails)
    for (let i = 0; i < 4; i++) await p.commit(adds(100 + i * 3, 103 + i * 3).map((c) => ({ op: c.op, quad: quad(c.quad.subject, namedNode('http://purl.org/dc/terms/creator'), c.quad.object, c.quad.graph) })));
    await expect(p.commit(adds(200, 201))).rejects.toThrow(CorruptSnapshotError);
    const before = segments(dir);
    expect(before.length).toBeGreaterThan(1);
    expect(() => p.query(TITLES)).toThrow(new RegExp(`${file} is damaged: its 30 statements of <http://purl.org/dc/terms/title>`));
    await expect(p.exportTo(path.join(dir, 'out.nq'), 'nquads')).rejects.toThrow(CorruptSnapshotError);
    expect(fs.existsSync(path.join(dir, 'out.nq'))).toBe(false);
    await expect(p.snapshot()).rejects.toThrow(CorruptSnapshotError);
    expect(segments(dir)).toEqual(before);
    expect(snapshotFile(dir)).toBe(file);
  });

  it('a deleted snapshot under a compacted log: says so and what repair saves; repair rebuilds from the log and lists the loss', async () => {
    const dir = tempDir('dmg-gone');
    const s = await openStore(dir, { segmentBytes: 300, keepSegments: 0 });
    for (let i = 0; i < 4; i++) await s.commit(adds(i * 5, i * 5 + 5));
    await s.snapshot(); // covers 1..4; the segments holding them are deleted
    for (let i = 4; i < 6; i++) await s.commit(adds(i * 5, i * 5 + 5));
    await s.close();
    fs.rmSync(snapshotFile(dir));
    const err = await GraphStore.open({ dir, nodeId: 'nodeA' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MissingSnapshotError);
    expect((err as Error).message).toMatch(/has no snapshot, but its change log was compacted: it starts nodeA's patches after \d, so patches 1\.\.\d were only in a snapshot that is gone.*semsync repair/);
    const report = await repairStore({ dir, nodeId: 'nodeA', damagedDir: path.join(dir, 'damaged') });
    expect(report.rebuilt).toBe(true);
    expect(report.lost[0]).toMatchObject({ author: 'nodeA', from: 1, why: 'only in the snapshot that is gone' });
    const r = await openStore(dir);
    expect(r.versionVector()).toEqual({ nodeA: 6 });
    expect(r.size).toBeGreaterThanOrEqual(10);
  });
});
