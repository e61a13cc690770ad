// A real FAT filesystem: a vfat image mounted with fusefat; skipped, with the reason printed, where that is impossible.
import { spawnSync } from 'node:child_process';
import { promises as fsp, readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimDevice, DeviceIoError, executePlan, listDevice, listDevices, readCatalog, readDeviceProfile, TEMP_PREFIX } from '../../src/devices/index.js';
import { fatUnavailable, isMountPoint, mountFat, tempDir, type FatMount } from './mounts-helper.js';
import { corpusPlan, RULE } from './plan-helper.js';

const why = fatUnavailable();
if (why) console.warn(`[devices test] skipping the FAT tests: ${why}`);

describe.skipIf(!!why)('executePlan on a fusefat-mounted FAT image', () => {
  let base: string;
  let m: FatMount | undefined;
  let mountError: string | undefined;
  beforeAll(async () => {
    base = await tempDir('semsync-fat-');
    try {
      m = await mountFat(path.join(base, 'card.img'), path.join(base, 'media', 'SD CARD'));
    } catch (e) {
      mountError = (e as Error).message;
      console.warn(`[devices test] skipping the FAT tests: cannot mount with fusefat: ${mountError}`);
    }
  });
  afterAll(async () => {
    await m?.unmount();
    await fsp.rm(base, { recursive: true, force: true });
  });

  it('is seen as a vfat device, claimed, and filled with names that have spaces (and non-ASCII where fusefat allows)', async (ctx) => {
    if (!m) return ctx.skip(`fusefat mount failed: ${mountError}`);
    const claims = path.join(base, 'claims.json');
    const listed = (await listDevices({ claims, mediaRoots: [path.join(base, 'media')], user: 'alice' })).find((d) => d.root === m!.root);
    expect(listed).toMatchObject({ state: 'unclaimed', filesystem: 'vfat', fsType: 'fuse.fusefat', kind: 'mount' });
    expect(listed!.free).toBeGreaterThan(1_000_000);
    await claimDevice(claims, m.root, { name: 'Card', user: 'alice' });
    expect((await readDeviceProfile(m.root))!.filesystem).toBe('vfat');

    const ascii = corpusPlan({ all: true, ascii: true });
    const r1 = await executePlan(m.root, ascii, { claims, user: 'alice' });
    expect(r1.errors).toEqual([]);
    expect(r1.copied).toBe(ascii.length);
    for (const op of ascii) expect(readFileSync(path.join(m.root, op.target)).equals(readFileSync(op.source!))).toBe(true);
    const r2 = await executePlan(m.root, ascii, { claims, user: 'alice' });
    expect(r2).toMatchObject({ copied: 0, skipped: ascii.length, errors: [] });
    expect((await readCatalog(m.root)).filter((e) => e.placedBy === RULE)).toHaveLength(ascii.length);

    // Non-ASCII names: placed whole, or refused per file (fusefat rejects non-ASCII long names with EPERM), never partial.
    const uni = corpusPlan().map((o) => ({ ...o, target: o.target.replace('Music/', 'Música/') }));
    const r3 = await executePlan(m.root, uni, { claims, user: 'alice' });
    if (r3.errors.length) console.warn(`[devices test] fusefat refused ${r3.errors.length} non-ASCII names (${r3.errors[0].code}): a fusefat limitation, not semsync's`);
    expect(r3.copied + r3.errors.length).toBe(uni.length);
    const files = await listDevice(m.root);
    expect(files.some((f) => f.path.split('/').pop()!.startsWith(TEMP_PREFIX))).toBe(false);
    for (const op of uni) {
      const f = files.find((x) => x.path === op.target);
      if (f) expect(f).toMatchObject({ size: op.size, content: op.content, placedBy: RULE });
    }
    // Removing its own file leaves the user's file beside it.
    const dir = path.dirname(ascii[0].target);
    await fsp.writeFile(path.join(m.root, dir, 'user file.txt'), 'keep me');
    const r4 = await executePlan(m.root, [{ kind: 'remove', target: ascii[0].target, reason: 'gone' }], { claims, user: 'alice' });
    expect(r4.removed).toBe(1);
    expect(await fsp.readFile(path.join(m.root, dir, 'user file.txt'), 'utf8')).toBe('keep me');
  });

  it('pulling the card mid-copy leaves no partial file; the next attach finishes the job', async (ctx) => {
    if (!m) return ctx.skip(`fusefat mount failed: ${mountError}`);
    const claims = path.join(base, 'claims.json');
    const plan = corpusPlan({ all: true, ascii: true }).map((o) => ({ ...o, target: o.target.replace('Music/', 'Pulled/'), source: undefined }));
    const src = new Map(corpusPlan({ all: true, ascii: true }).map((o) => [o.content, o.source!]));
    let calls = 0;
    const card = m;
    const err = await executePlan(card.root, plan, {
      claims,
      user: 'alice',
      concurrency: 1,
      readSource: (content) =>
        Readable.from((async function* () {
          const data = readFileSync(src.get(content)!);
          yield data.subarray(0, data.length >> 1);
          if (++calls === 4) {
            card.proc.kill('SIGKILL'); // the card is pulled
            await new Promise((r) => card.proc.once('exit', r));
          }
          yield data.subarray(data.length >> 1);
        })()),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeviceIoError);
    console.warn(`[devices test] pulled card: ${(err as Error).message}`);
    const done = (err as DeviceIoError).result.copied;
    expect(done).toBe(3);
    spawnSync('fusermount', ['-u', card.root]);
    if (isMountPoint(card.root)) spawnSync('umount', ['-l', card.root]);
    // Plug it in again.
    m = await mountFat(path.join(base, 'card.img'), card.root, 32, false);
    const onCard = await listDevice(m.root);
    for (const op of plan) {
      const f = onCard.find((x) => x.path === op.target);
      if (f) expect(readFileSync(path.join(m.root, op.target)).equals(readFileSync(src.get(op.content)!))).toBe(true);
    }
    const r2 = await executePlan(m.root, plan, { claims, user: 'alice', readSource: (c) => src.get(c) });
    expect(r2.errors).toEqual([]);
    // Files renamed into place before the pull but not yet catalogued are checked by hash and adopted.
    expect(r2.recovered).toBeLessThanOrEqual(done);
    expect(r2.copied).toBe(plan.length - done);
    expect(r2.skipped).toBe(done);
    for (const op of plan) expect(readFileSync(path.join(m.root, op.target)).equals(readFileSync(src.get(op.content)!))).toBe(true);
    expect((await fsp.readdir(path.join(m.root, 'Pulled'), { recursive: true })).some((f) => String(f).includes(TEMP_PREFIX))).toBe(false);
  });
});
