// Executing plans of real corpus files onto a real tmpfs: idempotence, catalog, explain, full device, interruptions.
import { createReadStream, promises as fsp, readFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CATALOG_FILE, claimDevice, DeviceFullError, DeviceIoError, executePlan, explainPath, LEGACY_CATALOG_FILE, LEGACY_PENDING_FILE, listDevice,
  PENDING_FILE, readCatalog, serializeCatalog, TEMP_PREFIX, walkDevice,
} from '../../src/devices/index.js';
import type { Operation } from '../../src/rules/types.js';
import { mountTmpfs, sha256Urn, tempDir, type Mounted, allFiles } from './mounts-helper.js';
import { corpusPlan, RULE } from './plan-helper.js';

const cleanups: (() => Promise<void>)[] = [];
let base: string;
beforeAll(async () => {
  base = await tempDir('semsync-exec-');
  cleanups.push(() => fsp.rm(base, { recursive: true, force: true }));
});
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch((e) => console.warn('cleanup failed:', e));
});

let n = 0;
async function device(size = '16m'): Promise<Mounted> {
  const m = await mountTmpfs(path.join(base, `dev ${++n}`), size);
  cleanups.push(() => m.unmount());
  await claimDevice(path.join(base, 'claims.json'), m.root, { user: 'alice' });
  return m;
}

describe('executePlan on a tmpfs', () => {
  it('copies corpus files atomically, records them, and a second run copies nothing', async () => {
    const m = await device();
    const plan = corpusPlan({ all: true });
    const progress: number[] = [];
    const r1 = await executePlan(m.root, plan, { onProgress: (p) => progress.push(p.done) });
    expect(r1).toMatchObject({ copied: plan.length, removed: 0, skipped: 0, errors: [] });
    expect(r1.bytes).toBe(plan.reduce((s, o) => s + o.size, 0));
    expect(progress.at(-1)).toBe(plan.length);
    for (const op of plan) expect(readFileSync(path.join(m.root, op.target)).equals(readFileSync(op.source!))).toBe(true);
    expect((await allFiles(m.root)).some((f) => path.basename(f).startsWith(TEMP_PREFIX))).toBe(false);
    await expect(fsp.stat(path.join(m.root, PENDING_FILE))).rejects.toThrow();

    const catalog = await readCatalog(m.root);
    expect(catalog).toHaveLength(plan.length);
    const one = plan.find((o) => o.target.includes('Ñandú'))!;
    expect(catalog).toContainEqual({ path: one.target, size: one.size, content: one.content, placedBy: RULE });
    const why = await explainPath(m.root, one.target);
    expect(why).toMatchObject({ rule: RULE, values: one.values, content: one.content, size: one.size });
    expect(Date.parse(why!.placedAt)).toBeGreaterThan(0);
    expect(why!.device).toMatch(/^https:\/\/w3id\.org\/semsync\/id\/device\//);
    expect(await explainPath(m.root, path.join(m.root, one.target))).toMatchObject({ rule: RULE });
    expect(await explainPath(m.root, '../etc/passwd')).toBeUndefined();

    const r2 = await executePlan(m.root, plan);
    expect(r2).toMatchObject({ copied: 0, bytes: 0, skipped: plan.length, errors: [] });
  });

  it('lists the device merged with the catalog; removes only its own files', async () => {
    const m = await device();
    const plan = corpusPlan();
    await executePlan(m.root, plan);
    const dir = path.dirname(path.join(m.root, plan[0].target));
    await fsp.writeFile(path.join(dir, 'my own notes.txt'), 'mine');
    const listing = await listDevice(m.root);
    expect(listing.find((e) => e.path.endsWith('my own notes.txt'))).toEqual({ path: path.relative(m.root, path.join(dir, 'my own notes.txt')), size: 4 });
    expect(listing.find((e) => e.path === plan[0].target)).toMatchObject({ placedBy: RULE, content: plan[0].content });
    expect(listing.some((e) => e.path.startsWith('.semsync'))).toBe(false);

    const ops: Operation[] = [
      { kind: 'remove', target: plan[0].target, reason: 'no longer matches' },
      { kind: 'remove', target: path.relative(m.root, path.join(dir, 'my own notes.txt')), reason: 'planner bug' },
      { kind: 'skip', content: plan[1].content, reason: 'format not accepted' },
    ];
    const r = await executePlan(m.root, ops);
    expect(r.removed).toBe(1);
    expect(r.skipped).toBe(2);
    expect(r.skips.map((s) => s.reason).join('|')).toMatch(/not placed by semsync.*\|format not accepted/);
    await expect(fsp.stat(path.join(m.root, plan[0].target))).rejects.toThrow();
    expect(await fsp.readFile(path.join(dir, 'my own notes.txt'), 'utf8')).toBe('mine');
    expect((await readCatalog(m.root)).map((e) => e.path)).not.toContain(plan[0].target);
    // A copy onto a user's file is refused, not overwritten.
    const clash = { ...plan[0], target: path.relative(m.root, path.join(dir, 'my own notes.txt')) };
    const r2 = await executePlan(m.root, [clash]);
    expect(r2.errors).toMatchObject([{ code: 'EEXIST' }]);
    expect(await fsp.readFile(path.join(dir, 'my own notes.txt'), 'utf8')).toBe('mine');
  });

  it('refuses targets that leave the device', async () => {
    const m = await device();
    const op = corpusPlan()[0];
    const r = await executePlan(m.root, [{ ...op, target: '../escape.mp3' }, { ...op, target: '/abs.mp3' }, { ...op, target: '.semsync/device.ttl' }]);
    expect(r.errors.map((e) => e.code)).toEqual(['EUNSAFE', 'EUNSAFE', 'EUNSAFE']);
    expect(r.copied).toBe(0);
    await expect(fsp.stat(path.join(m.root, '..', 'escape.mp3'))).rejects.toThrow();
  });

  it('refuses a plan that does not fit with DeviceFullError before writing anything', async () => {
    const m = await device('1m');
    if (m.kind !== 'tmpfs') return console.warn('[devices test] skipped the full-device test: no tmpfs (see above)');
    const before = await allFiles(m.root);
    const plan = corpusPlan({ all: true });
    const err = await executePlan(m.root, plan).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeviceFullError);
    expect((err as DeviceFullError).need).toBeGreaterThan((err as DeviceFullError).free);
    expect((err as Error).message).toMatch(/needs \d+ bytes, \d+ bytes are free/);
    expect(await allFiles(m.root)).toEqual(before);
  });

  it('a source failing halfway leaves no partial file; the next run completes', async () => {
    const m = await device();
    const plan = corpusPlan().map(({ source: _s, ...op }) => op);
    const src = new Map(corpusPlan().map((o) => [o.content, o.source!]));
    const broken = plan[2];
    const r1 = await executePlan(m.root, plan, {
      readSource: (content) => {
        if (content !== broken.content) return createReadStream(src.get(content)!, { highWaterMark: 4096 });
        return Readable.from((async function* () {
          const data = readFileSync(src.get(content)!);
          yield data.subarray(0, data.length >> 1);
          throw Object.assign(new Error('peer went away'), { code: 'ECONNRESET' });
        })());
      },
    });
    expect(r1.copied).toBe(plan.length - 1);
    expect(r1.errors).toMatchObject([{ target: broken.target, code: 'ECONNRESET' }]);
    await expect(fsp.stat(path.join(m.root, broken.target))).rejects.toThrow();
    expect((await allFiles(m.root)).some((f) => path.basename(f).startsWith(TEMP_PREFIX))).toBe(false);
    const r2 = await executePlan(m.root, plan, { readSource: (c) => src.get(c) });
    expect(r2).toMatchObject({ copied: 1, skipped: plan.length - 1, errors: [] });
    expect(readFileSync(path.join(m.root, broken.target)).equals(readFileSync(src.get(broken.content)!))).toBe(true);
  });

  it('a stream with the wrong bytes is caught by its hash and not placed', async () => {
    const m = await device();
    const op = corpusPlan()[0];
    const r = await executePlan(m.root, [{ ...op, source: undefined }], { readSource: () => Buffer.alloc(op.size, 1) });
    expect(r.errors).toMatchObject([{ code: 'VerifyError' }]);
    await expect(fsp.stat(path.join(m.root, op.target))).rejects.toThrow();
  });

  it('the device filling up mid-copy (ENOSPC) stops cleanly with no partial file; the next run finishes', async () => {
    const m = await device('2m');
    if (m.kind !== 'tmpfs') return console.warn('[devices test] skipped the ENOSPC test: no tmpfs (see above)');
    const plan = corpusPlan().map(({ source: _s, ...op }) => op);
    const src = new Map(corpusPlan().map((o) => [o.content, o.source!]));
    const filler = path.join(m.root, 'filler.bin');
    let filled = false;
    const err = await executePlan(m.root, plan, {
      concurrency: 1,
      readSource: (content) =>
        Readable.from((async function* () {
          const data = readFileSync(src.get(content)!);
          yield data.subarray(0, data.length >> 1);
          if (!filled) {
            filled = true; // someone else fills the device while we copy
            const st = await fsp.statfs(m.root);
            await fsp.writeFile(filler, Buffer.alloc(st.bavail * st.bsize)).catch(() => undefined);
          }
          yield data.subarray(data.length >> 1);
        })()),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeviceIoError);
    expect((err as DeviceIoError).code).toBe('ENOSPC');
    const done = (err as DeviceIoError).result.copied;
    expect(done).toBeLessThan(plan.length);
    const files = await allFiles(m.root);
    expect(files.some((f) => path.basename(f).startsWith(TEMP_PREFIX))).toBe(false);
    for (const op of plan) {
      const f = path.join(m.root, op.target);
      const st = await fsp.stat(f).catch(() => undefined);
      if (st) expect(readFileSync(f).equals(readFileSync(src.get(op.content)!))).toBe(true); // whole or absent
    }
    await fsp.rm(filler);
    const r2 = await executePlan(m.root, plan, { readSource: (c) => src.get(c) });
    expect(r2.copied + r2.recovered).toBe(plan.length - done);
    expect(r2.errors).toEqual([]);
    expect((await readCatalog(m.root)).length).toBe(plan.length);
  });

  it.each(['TriG', 'JSON (versions before the TriG catalog)'])('catalogues files an interrupted run renamed into place, and removes its temp files (pending list: %s)', async (format) => {
    const m = await device();
    const plan = corpusPlan();
    const [a, b] = plan;
    // What a run killed after renaming `a` (before writing the catalog) and while writing `b` leaves behind.
    await fsp.mkdir(path.dirname(path.join(m.root, a.target)), { recursive: true });
    await fsp.mkdir(path.dirname(path.join(m.root, b.target)), { recursive: true });
    await fsp.copyFile(a.source!, path.join(m.root, a.target));
    const tmp = path.join(path.dirname(path.join(m.root, b.target)), `${TEMP_PREFIX}0123456789abcdef`);
    await fsp.writeFile(tmp, 'half');
    if (format === 'TriG') {
      const records = [a, b].map(({ target, content, size, rule, values }) => ({ path: target, content, size, rule, values, placedAt: '2025-01-01T00:00:00.000Z' }));
      await fsp.writeFile(path.join(m.root, PENDING_FILE), serializeCatalog('x', records));
    } else {
      const pending = { dirs: [path.dirname(a.target), path.dirname(b.target)], copies: [a, b].map(({ target, content, size, rule, values }) => ({ target, content, size, rule, values })) };
      await fsp.writeFile(path.join(m.root, LEGACY_PENDING_FILE), JSON.stringify(pending));
    }
    const r = await executePlan(m.root, [a, b]);
    expect(r).toMatchObject({ recovered: 1, tempRemoved: 1, copied: 1, skipped: 1 });
    await expect(fsp.stat(tmp)).rejects.toThrow();
    expect((await readCatalog(m.root)).map((e) => e.path).sort()).toEqual([a.target, b.target].sort());
    expect((await walkDevice(m.root)).map((e) => e.path).sort()).toEqual([a.target, b.target].sort());
    expect(sha256Urn(path.join(m.root, a.target))).toBe(a.content);
    for (const f of [PENDING_FILE, LEGACY_PENDING_FILE]) await expect(fsp.stat(path.join(m.root, f))).rejects.toThrow();
  });

  it('reads an N-Quads catalog an older version left, and replaces it with the TriG catalog keeping its records', async () => {
    const m = await device();
    const [a, b] = corpusPlan();
    // `a` was placed by an older version: its file and an N-Quads catalog that lists it.
    await fsp.mkdir(path.dirname(path.join(m.root, a.target)), { recursive: true });
    await fsp.copyFile(a.source!, path.join(m.root, a.target));
    const g = '<https://w3id.org/semsync/id/device/dev-old>';
    const nq = (p: string, o: string) => `_:old <${p}> ${o} ${g} .\n`;
    await fsp.writeFile(path.join(m.root, LEGACY_CATALOG_FILE), [
      nq('https://w3id.org/semsync/ns#relativePath', JSON.stringify(a.target)),
      nq('http://www.semanticdesktop.org/ontologies/2007/01/19/nie#interpretedAs', `<${a.content}>`),
      nq('http://www.semanticdesktop.org/ontologies/2007/03/22/nfo#fileSize', `"${a.size}"^^<http://www.w3.org/2001/XMLSchema#integer>`),
      nq('https://w3id.org/semsync/ns#placedBy', `<${a.rule}>`),
      nq('https://w3id.org/semsync/ns#placedAt', '"2024-05-06T07:08:09.000Z"^^<http://www.w3.org/2001/XMLSchema#dateTime>'),
      nq('https://w3id.org/semsync/ns#templateValues', `${JSON.stringify(JSON.stringify(a.values))}^^<http://www.w3.org/1999/02/22-rdf-syntax-ns#JSON>`),
    ].join(''));
    expect(await readCatalog(m.root)).toEqual([{ path: a.target, size: a.size, content: a.content, placedBy: a.rule }]);
    expect((await listDevice(m.root)).find((e) => e.path === a.target)).toMatchObject({ content: a.content, placedBy: a.rule });
    expect(await explainPath(m.root, a.target)).toMatchObject({ content: a.content, rule: a.rule, values: a.values, placedAt: '2024-05-06T07:08:09.000Z' });
    const r = await executePlan(m.root, [a, b]);
    expect(r).toMatchObject({ copied: 1, skipped: 1, errors: [] });
    await expect(fsp.stat(path.join(m.root, LEGACY_CATALOG_FILE))).rejects.toThrow();
    expect((await fsp.readFile(path.join(m.root, CATALOG_FILE), 'utf8')).startsWith('@prefix')).toBe(true);
    expect(await explainPath(m.root, a.target)).toMatchObject({ content: a.content, placedAt: '2024-05-06T07:08:09.000Z' });
    expect((await readCatalog(m.root)).map((e) => e.path).sort()).toEqual([a.target, b.target].sort());
  });
});
