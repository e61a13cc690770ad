// Hostile devices (issue 14, items 1, 2 and 11): a `.semsync` or a media folder that is a symbolic link to a host
// folder, a pending list naming folders outside the device, a volume carrying a copied claimed profile, a huge profile.
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import n3 from 'n3';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import {
  claimDevice, DeviceEscapeError, DeviceNotClaimedError, executePlan, listDevices, readClaims, writeCatalog, PROFILE_MAX_BYTES,
} from '../../src/devices/index.js';
import { clearStaging } from '../../src/devices/stage.js';
import { allFiles, mountTmpfs, tempDir, type Mounted } from './mounts-helper.js';

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch((e) => console.warn('cleanup failed:', e));
});
afterEach(() => vi.restoreAllMocks());

/** A work folder with a host folder (what a link on the stick points at) and a tmpfs "stick" under media/. */
async function setup(stickName = 'STICK', size = '4m'): Promise<{ base: string; host: string; stick: Mounted; claims: string }> {
  const base = await tempDir('semsync-hostile-');
  const host = path.join(base, 'host');
  await fsp.mkdir(path.join(host, 'staging'), { recursive: true });
  await fsp.writeFile(path.join(host, 'staging', 'keep.txt'), 'the host folder\'s own staging: must survive');
  await fsp.writeFile(path.join(host, '.semsync-tmp-precious'), 'a host file that looks like a temp file');
  const stick = await mountTmpfs(path.join(base, 'media', stickName), size);
  cleanups.push(async () => {
    await stick.unmount();
    await fsp.rm(base, { recursive: true, force: true });
  });
  return { base, host, stick, claims: path.join(base, 'home', 'devices.json') };
}

const bytes = (s: string) => new TextEncoder().encode(s);
const copyOp = (target: string, text: string) => ({
  kind: 'copy' as const, content: `urn:sha256:${sha(text)}`, target, size: bytes(text).length, rule: 'urn:x-test:rule', values: {},
});
const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const hostUntouched = async (host: string) => {
  expect((await allFiles(host)).sort()).toEqual(['.semsync-tmp-precious', 'staging/keep.txt']);
};

describe('a device whose .semsync is a symbolic link to a host folder', () => {
  it('is refused at claim, listing, placing, cataloguing and clearing staging: the host folder is untouched', async () => {
    const { host, stick, claims, base } = await setup();
    await fsp.symlink(host, path.join(stick.root, '.semsync'));
    await expect(claimDevice(claims, stick.root, { user: 'alice' })).rejects.toBeInstanceOf(DeviceEscapeError);
    await expect(claimDevice(claims, stick.root, { user: 'alice' })).rejects.toThrow(/\.semsync: it is a symbolic link/);
    const row = (await listDevices({ claims, mediaRoots: [path.join(base, 'media')], user: 'alice' })).find((d) => d.root === stick.root)!;
    expect(row).toMatchObject({ state: 'unclaimed' });
    expect(row.error).toMatch(/STICK: refused to touch \.semsync: it is a symbolic link/);
    await expect(executePlan(stick.root, [copyOp('a.txt', 'a')], { readSource: () => bytes('a') })).rejects.toBeInstanceOf(DeviceEscapeError);
    await expect(clearStaging(stick.root)).rejects.toBeInstanceOf(DeviceEscapeError);
    await expect(writeCatalog(stick.root, 'x', [])).rejects.toBeInstanceOf(DeviceEscapeError);
    await hostUntouched(host);
    expect((await readClaims(claims)).devices).toEqual({});
  });

  it('swapped in after the claim (the host folder holding the device\'s own files): placing writes and deletes nothing there', async () => {
    const { host, stick, claims } = await setup();
    await claimDevice(claims, stick.root, { user: 'alice' });
    await fsp.cp(path.join(stick.root, '.semsync'), host, { recursive: true });
    await fsp.rm(path.join(stick.root, '.semsync'), { recursive: true });
    await fsp.symlink(host, path.join(stick.root, '.semsync'));
    const before = (await allFiles(host)).sort();
    expect(before).toContain('device.ttl');
    await expect(executePlan(stick.root, [copyOp('a.txt', 'a')], { claims, user: 'alice', readSource: () => bytes('a') })).rejects.toBeInstanceOf(DeviceEscapeError);
    expect((await allFiles(host)).sort()).toEqual(before); // no catalog.trig, no pending list; staging/keep.txt still there
    expect(await fsp.readdir(stick.root)).toEqual(['.semsync']);
  });
});

describe('a media folder that is a symbolic link', () => {
  it('copies and removes through it are refused per file (EUNSAFE, naming the path); nothing is made or deleted in the host folder', async () => {
    const { host, stick, claims } = await setup();
    await claimDevice(claims, stick.root, { user: 'alice' });
    await fsp.writeFile(path.join(host, 'old.txt'), 'old');
    await writeCatalog(stick.root, 'whatever', [{ path: 'eBooks/old.txt', content: `urn:sha256:${sha('old')}`, size: 3, rule: 'urn:x-test:rule', values: {}, placedAt: '' }]);
    await fsp.symlink(host, path.join(stick.root, 'eBooks'));
    const res = await executePlan(stick.root, [
      copyOp('Other/c.txt', 'c'), copyOp('eBooks/Sub/a.txt', 'a'), copyOp('eBooks/b.txt', 'b'),
      { kind: 'remove', target: 'eBooks/old.txt', reason: 'test' },
    ], { claims, user: 'alice', readSource: (c) => bytes(c === copyOp('x', 'a').content ? 'a' : c === copyOp('x', 'b').content ? 'b' : 'c') });
    expect(res.copied).toBe(1);
    expect(res.errors.map((e) => [e.target, e.code])).toEqual(expect.arrayContaining([['eBooks/Sub/a.txt', 'EUNSAFE'], ['eBooks/b.txt', 'EUNSAFE'], ['eBooks/old.txt', 'EUNSAFE']]));
    expect(res.errors.find((e) => e.target === 'eBooks/b.txt')!.message).toMatch(/eBooks: it is a symbolic link/);
    expect((await allFiles(host)).sort()).toEqual(['.semsync-tmp-precious', 'old.txt', 'staging/keep.txt']);
    expect(await fsp.readFile(path.join(stick.root, 'Other/c.txt'), 'utf8')).toBe('c');
  });
});

describe('a pending list naming folders outside the device', () => {
  it('`../../host`, `..` and a linked folder in pending.json / pending.trig: their temp-looking files are left alone', async () => {
    const { host, stick, claims } = await setup();
    await claimDevice(claims, stick.root, { user: 'alice' });
    await fsp.symlink(host, path.join(stick.root, 'lnk'));
    const media = path.dirname(stick.root);
    await fsp.writeFile(path.join(media, '.semsync-tmp-beside'), 'beside the stick');
    await fsp.writeFile(path.join(stick.root, '.semsync', 'pending.json'), JSON.stringify({ dirs: ['../../host', '..', 'lnk', '/etc', 7], copies: [{ target: '../../host/x' }] }));
    await executePlan(stick.root, [], { claims, user: 'alice' });
    await hostUntouched(host);
    expect(await fsp.readdir(media)).toContain('.semsync-tmp-beside');
    // The TriG pending list: its records' folders are where temp files are looked for.
    const trig = `@prefix ss: <https://w3id.org/semsync/ns#> .\n@prefix nie: <http://www.semanticdesktop.org/ontologies/2007/01/19/nie#> .\n<urn:d> {\n` +
      ['../../host/.semsync-tmp-precious', '../.semsync-tmp-beside', 'lnk/.semsync-tmp-precious'].map((p, i) => `_:b${i} ss:relativePath ${JSON.stringify(p)} ; nie:interpretedAs <urn:sha256:${'0'.repeat(64)}> ; ss:placedBy <urn:r> .\n`).join('') + '}\n';
    await fsp.writeFile(path.join(stick.root, '.semsync', 'pending.trig'), trig);
    await executePlan(stick.root, [], { claims, user: 'alice' });
    await hostUntouched(host);
    expect(await fsp.readdir(media)).toContain('.semsync-tmp-beside');
  });
});

describe('claims bound to the volume', () => {
  it('a fresh volume carrying a claimed stick\'s device.ttl (or its whole .semsync) is a new, unclaimed device: nothing written', async () => {
    const { base, stick: a, claims } = await setup('A');
    const b = await mountTmpfs(path.join(base, 'media', 'B'), '4m');
    const c = await mountTmpfs(path.join(base, 'media', 'C'), '4m');
    cleanups.push(() => b.unmount(), () => c.unmount());
    const p = await claimDevice(claims, a.root, { user: 'alice', name: 'Reader' });
    expect((await executePlan(a.root, [copyOp('a.txt', 'a')], { claims, user: 'alice', readSource: () => bytes('a') })).copied).toBe(1);
    await fsp.mkdir(path.join(b.root, '.semsync'));
    await fsp.copyFile(path.join(a.root, '.semsync', 'device.ttl'), path.join(b.root, '.semsync', 'device.ttl'));
    await fsp.cp(path.join(a.root, '.semsync'), path.join(c.root, '.semsync'), { recursive: true, preserveTimestamps: true });
    const list = await listDevices({ claims, mediaRoots: [path.join(base, 'media')], user: 'alice' });
    const rowOf = (m: Mounted) => list.find((d) => d.root === m.root)!;
    expect(rowOf(a)).toMatchObject({ id: p.id, state: 'claimed' });
    for (const m of [b, c]) {
      expect(rowOf(m).state).toBe('unclaimed');
      expect(rowOf(m).id).not.toBe(p.id);
      expect(rowOf(m).note).toMatch(new RegExp(`not the device claimed as ${p.id}`));
      const before = (await allFiles(m.root)).sort();
      await expect(executePlan(m.root, [copyOp('a.txt', 'a')], { claims, user: 'alice', readSource: () => bytes('a') })).rejects.toBeInstanceOf(DeviceNotClaimedError);
      expect((await allFiles(m.root)).sort()).toEqual(before);
    }
    // Claiming the copy makes it a device of its own (a new id); the original stays claimed.
    const pb = await claimDevice(claims, b.root, { user: 'alice' });
    expect(pb.id).not.toBe(p.id);
    const again = await listDevices({ claims, mediaRoots: [path.join(base, 'media')], user: 'alice' });
    expect(again.find((d) => d.root === a.root)).toMatchObject({ id: p.id, state: 'claimed' });
    expect(again.find((d) => d.root === b.root)).toMatchObject({ id: pb.id, state: 'claimed' });
  });

  it('a player with the same stable id (same FAT serial / mount source) as a claimed one is a new device with an id of its own', async () => {
    const base = await tempDir('semsync-hostile-serial-');
    cleanups.push(() => fsp.rm(base, { recursive: true, force: true }));
    const media = path.join(base, 'media');
    const [a, b] = [path.join(media, 'PLAYER-A'), path.join(media, 'PLAYER-B')];
    const mounts = [a, b].map((mountPoint, i) => ({
      mountId: 900 + i, parentId: 1, devId: `8:${i}`, root: '/', mountPoint, mountOptions: ['rw'], fsType: 'vfat', source: '/dev/sdz1', superOptions: [],
    }));
    for (const r of [a, b]) {
      await fsp.mkdir(r, { recursive: true });
      await fsp.writeFile(path.join(r, '.is_audio_player'), 'name=Clip\naudio_folders=MUSIC/\n');
    }
    const claims = path.join(base, 'home', 'devices.json');
    const pa = await claimDevice(claims, a, { user: 'alice', mounts });
    const rows = await listDevices({ claims, mediaRoots: [media], user: 'alice', mounts });
    const rb = rows.find((d) => d.root === b)!;
    expect(rows.find((d) => d.root === a)).toMatchObject({ id: pa.id, state: 'claimed' });
    expect(rb.state).toBe('unclaimed');
    expect(rb.id).not.toBe(pa.id);
    expect(rb.note).toMatch(/does not hold this node's claim secret/);
    await expect(executePlan(b, [copyOp('a.txt', 'a')], { claims, user: 'alice', readSource: () => bytes('a') })).rejects.toBeInstanceOf(DeviceNotClaimedError);
    expect(await fsp.readdir(b)).toEqual(['.is_audio_player']);
    const pb = await claimDevice(claims, b, { user: 'alice', mounts });
    expect(pb.id).not.toBe(pa.id);
    const after = await listDevices({ claims, mediaRoots: [media], user: 'alice', mounts });
    expect([a, b].map((r) => after.find((d) => d.root === r)!.state)).toEqual(['claimed', 'claimed']);
  });

  it('a claim made before binding is not trusted until made again (same id, then bound)', async () => {
    const { stick, claims } = await setup();
    const p = await claimDevice(claims, stick.root, { user: 'alice' });
    const file = await readClaims(claims);
    delete file.devices[p.id].binding; // as a version-1 claims file has it
    await fsp.writeFile(claims, JSON.stringify({ version: 1, devices: file.devices }));
    const row = (await listDevices({ claims, mediaRoots: [stick.root], user: 'alice', mounts: [] }))[0];
    expect(row).toMatchObject({ id: p.id, state: 'unclaimed' });
    expect(row.note).toMatch(/claimed before claims were bound.*claim it again/);
    await expect(executePlan(stick.root, [copyOp('a.txt', 'a')], { claims, user: 'alice', readSource: () => bytes('a') })).rejects.toThrow(/claim it again/);
    expect((await claimDevice(claims, stick.root, { user: 'alice' })).id).toBe(p.id);
    expect((await listDevices({ claims, mediaRoots: [stick.root], user: 'alice', mounts: [] }))[0]).toMatchObject({ id: p.id, state: 'claimed' });
  });
});

describe('a huge device.ttl on an unclaimed stick', () => {
  it('a 200 MB profile is refused without being read or parsed; a valid one is parsed once across listings', async () => {
    const { base, stick } = await setup('BIG', '8m');
    const claims = path.join(base, 'home', 'devices.json');
    await fsp.mkdir(path.join(stick.root, '.semsync'));
    const fh = await fsp.open(path.join(stick.root, '.semsync', 'device.ttl'), 'w');
    await fh.truncate(200 << 20); // sparse: 200 MB of size, no blocks
    await fh.close();
    const ok = path.join(base, 'media', 'OK');
    await fsp.mkdir(path.join(ok, '.semsync'), { recursive: true });
    await fsp.writeFile(path.join(ok, '.semsync', 'device.ttl'), '@prefix ss: <https://w3id.org/semsync/ns#> .\n<urn:x> a ss:Device ; ss:deviceId "ok-1" .\n');
    const parse = vi.spyOn(n3.Parser.prototype, 'parse');
    const readFile = vi.spyOn(fsp, 'readFile');
    for (let i = 0; i < 3; i++) {
      const rows = await listDevices({ claims, mediaRoots: [path.join(base, 'media'), ok], user: 'alice' });
      const big = rows.find((d) => d.root === stick.root)!;
      expect(big.error).toBe(`${path.join(stick.root, '.semsync', 'device.ttl')}: is ${200 << 20} bytes; a device profile may be at most ${PROFILE_MAX_BYTES} bytes`);
      expect(rows.find((d) => d.root === ok)).toMatchObject({ id: 'ok-1', state: 'unclaimed' });
    }
    expect(parse).toHaveBeenCalledTimes(1); // the valid profile, once; the big one never
    expect(readFile.mock.calls.filter((c) => String(c[0]).endsWith('device.ttl'))).toEqual([]);
  });
});
