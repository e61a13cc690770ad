// Real mounts: the watcher sees a tmpfs attach and detach; claiming writes nothing before the claim; foreign devices.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  claimDevice, DeviceForeignError, DeviceNotClaimedError, executePlan, listDevices, readClaims, readDeviceProfile,
  serializeDeviceTtl, watchMounts, type Volume,
} from '../../src/devices/index.js';
import { mountTmpfs, tempDir, unmount, type Mounted } from './mounts-helper.js';

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch((e) => console.warn('cleanup failed:', e));
});

function waitFor<T>(emitter: { once(ev: string, fn: (v: T) => void): unknown }, ev: string, pred: (v: T) => boolean, ms = 10_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no ${ev} within ${ms} ms`)), ms);
    const on = (v: T) => {
      if (pred(v)) {
        clearTimeout(t);
        resolve(v);
      } else emitter.once(ev, on);
    };
    emitter.once(ev, on);
  });
}

describe('watching mounts', () => {
  it('emits attach and detach for a tmpfs mounted under a media root', async () => {
    const media = await tempDir('semsync-media-');
    cleanups.push(() => fsp.rm(media, { recursive: true, force: true }));
    const watcher = await watchMounts({ mediaRoots: [media], intervalMs: 100 });
    cleanups.push(async () => watcher.close());
    expect(watcher.current().map((v) => v.root)).toContain(media); // the media root itself, as a folder
    const dev = path.join(media, 'USB STICK');
    const attached = waitFor<Volume>(watcher, 'attach', (v) => v.root.startsWith(dev));
    const m = await mountTmpfs(dev);
    cleanups.push(() => m.unmount());
    if (m.kind === 'folder') {
      // No tmpfs here: watch a media root folder appear and disappear instead.
      const root2 = path.join(media, 'later');
      const w2 = await watchMounts({ mediaRoots: [root2], intervalMs: 100 });
      cleanups.push(async () => w2.close());
      const a = waitFor<Volume>(w2, 'attach', (v) => v.root === root2);
      await fsp.mkdir(root2);
      expect((await a).kind).toBe('folder');
      const d = waitFor<Volume>(w2, 'detach', (v) => v.root === root2);
      await fsp.rmdir(root2);
      await d;
      return;
    }
    const v = await attached;
    expect(v).toMatchObject({ root: dev, fsType: 'tmpfs', filesystem: 'posix', kind: 'mount' });
    const detached = waitFor<Volume>(watcher, 'detach', (x) => x.root === dev);
    await unmount(dev);
    expect((await detached).root).toBe(dev);
  });
});

describe('claiming', () => {
  it('lists an unknown device as unclaimed, writes nothing to it until claimed, then records the claim', async () => {
    const media = await tempDir('semsync-media-');
    const home = await tempDir('semsync-home-');
    cleanups.push(() => fsp.rm(media, { recursive: true, force: true }), () => fsp.rm(home, { recursive: true, force: true }));
    const m: Mounted = await mountTmpfs(path.join(media, 'Reader'), '4m');
    cleanups.push(() => m.unmount());
    const claims = path.join(home, 'devices.json');

    const before = (await listDevices({ claims, mediaRoots: [media], user: 'alice' })).find((d) => d.root === m.root)!;
    expect(before).toMatchObject({ state: 'unclaimed', name: 'Reader', kind: m.kind === 'tmpfs' ? 'mount' : 'folder' });
    expect(before.free).toBeGreaterThan(0);
    expect(before.id).toMatch(/^dev-[0-9a-f]{16}$/);
    // Placing on an unclaimed device is refused and leaves it untouched.
    await expect(executePlan(m.root, [{ kind: 'copy', content: 'urn:sha256:' + '0'.repeat(64), target: 'a.txt', size: 0, rule: 'urn:r', values: {} }], { readSource: () => new Uint8Array() })).rejects.toBeInstanceOf(DeviceNotClaimedError);
    expect(await fsp.readdir(m.root)).toEqual([]);

    const profile = await claimDevice(claims, m.root, { name: 'My Reader', user: 'alice' });
    expect(profile).toMatchObject({ name: 'My Reader', owner: 'alice', accepts: ['ebook', 'music', 'photo'] });
    expect(profile.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(await fsp.readdir(m.root)).toEqual(['.semsync']);
    expect((await readClaims(claims)).devices[profile.id]).toMatchObject({ name: 'My Reader', owner: 'alice', root: m.root });
    const after = (await listDevices({ claims, mediaRoots: [media], user: 'alice' })).find((d) => d.root === m.root)!;
    expect(after).toMatchObject({ id: profile.id, state: 'claimed', owner: 'alice' });
    // Claiming again keeps the id and does not rewrite the profile.
    const again = await claimDevice(claims, m.root, { user: 'alice' });
    expect(again.id).toBe(profile.id);
    // Another user sees it as foreign.
    expect((await listDevices({ claims, mediaRoots: [media], user: 'bob' })).find((d) => d.root === m.root)!.state).toBe('foreign');
    // With claims given, execution checks them.
    await expect(executePlan(m.root, [], { claims, user: 'bob' })).rejects.toBeInstanceOf(DeviceForeignError);
    await expect(executePlan(m.root, [], { claims: path.join(home, 'other.json'), user: 'alice' })).rejects.toBeInstanceOf(DeviceNotClaimedError);
    expect((await executePlan(m.root, [], { claims, user: 'alice' })).copied).toBe(0);
  });

  it('leaves a device owned by another user alone', async () => {
    const media = await tempDir('semsync-media-');
    cleanups.push(() => fsp.rm(media, { recursive: true, force: true }));
    const root = path.join(media, 'Bobs Player');
    await fsp.mkdir(path.join(root, '.semsync'), { recursive: true });
    const ttl = serializeDeviceTtl({ id: 'bobs', name: 'Bob', owner: 'bob', accepts: ['music'] });
    await fsp.writeFile(path.join(root, '.semsync/device.ttl'), ttl);
    const claims = path.join(media, 'claims.json');
    await expect(claimDevice(claims, root, { user: 'alice' })).rejects.toBeInstanceOf(DeviceForeignError);
    expect(await fsp.readFile(path.join(root, '.semsync/device.ttl'), 'utf8')).toBe(ttl);
    expect((await readClaims(claims)).devices).toEqual({});
    expect((await listDevices({ claims, mediaRoots: [media], user: 'alice', mounts: [] })).find((d) => d.root === root)).toBeUndefined();
    expect((await listDevices({ claims, mediaRoots: [root], user: 'alice', mounts: [] }))[0]).toMatchObject({ id: 'bobs', state: 'foreign' });
  });

  it('claims a music player under its stable id, keeping its .is_audio_player settings', async () => {
    const root = await tempDir('semsync-player-');
    cleanups.push(() => fsp.rm(root, { recursive: true, force: true }));
    await fsp.writeFile(path.join(root, '.is_audio_player'), 'name=Clip\naudio_folders=MUSIC/\noutput_formats=audio/mp3\n');
    const before = (await readDeviceProfile(root, { mounts: [] }))!;
    const p = await claimDevice(path.join(root, '..', path.basename(root) + '-claims.json'), root, { user: 'alice', mounts: [] });
    cleanups.push(() => fsp.rm(path.join(root, '..', path.basename(root) + '-claims.json'), { force: true }));
    expect(p).toMatchObject({ id: before.id, name: 'Clip', owner: 'alice', accepts: ['music'], formats: { music: ['audio/mpeg'] }, folders: { music: 'MUSIC' } });
  });
});
