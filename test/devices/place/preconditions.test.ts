// The one precondition check: a device is written to only when it has a profile, is not another user's, and is
// claimed on this machine as this very volume; `.semsync` reached through a link is refused before anything is read.
import { promises as fsp, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimDevice, DeviceEscapeError, DeviceForeignError, DeviceNotClaimedError, readDeviceProfile } from '../../../src/devices/index.js';
import { assertClaimed, assertOwner, checkPreconditions } from '../../../src/devices/place/preconditions.js';
import { bench, type Bench } from './helper.js';

let b: Bench;
beforeAll(async () => {
  b = await bench('pre');
});
afterAll(() => b.cleanup());

describe('checkPreconditions', () => {
  it('returns the profile of a device claimed here by the user', async () => {
    const { root, claims } = await b.device();
    const profile = await checkPreconditions(root, { claims, user: 'alice' });
    expect(profile.id).toBe((await readDeviceProfile(root))!.id);
  });

  it('refuses a device with no profile, naming the missing file', async () => {
    const root = path.join(b.base, 'bare');
    await fsp.mkdir(root);
    await expect(checkPreconditions(root, {})).rejects.toThrow(DeviceNotClaimedError);
    await expect(checkPreconditions(root, {})).rejects.toThrow(/device\.ttl/);
  });

  it('refuses another user, and a claims file that does not hold the device', async () => {
    const { root, claims } = await b.device();
    await expect(checkPreconditions(root, { claims, user: 'bob' })).rejects.toThrow(DeviceForeignError);
    const other = path.join(b.base, 'other-claims.json');
    await expect(checkPreconditions(root, { claims: other, user: 'alice' })).rejects.toThrow(DeviceNotClaimedError);
  });

  it('refuses a .semsync that is a link to a host folder before reading anything there', async () => {
    const root = path.join(b.base, 'linked');
    const host = path.join(b.base, 'host');
    await fsp.mkdir(root);
    await fsp.mkdir(host);
    await fsp.symlink(host, path.join(root, '.semsync'));
    await expect(checkPreconditions(root, {})).rejects.toThrow(DeviceEscapeError);
    expect(await fsp.readdir(host)).toEqual([]);
  });
});

describe('assertOwner and assertClaimed', () => {
  it('assertOwner passes the owner and a profile without one, refuses anyone else', async () => {
    const { root } = await b.device();
    const profile = (await readDeviceProfile(root))!;
    expect(() => assertOwner(root, { ...profile, owner: undefined }, 'bob')).not.toThrow();
    expect(() => assertOwner(root, { ...profile, owner: 'alice' }, 'alice')).not.toThrow();
    expect(() => assertOwner(root, { ...profile, owner: 'alice' }, 'bob')).toThrow(/owned by alice, not bob/);
  });

  it('says the hint when the claim check has no note of its own', async () => {
    const { root } = await b.device();
    const profile = (await readDeviceProfile(root))!;
    const none = path.join(b.base, 'none.json');
    await expect(assertClaimed(none, root, profile, { user: 'alice', hint: 'run `semsync devices claim X` first' })).rejects.toThrow(/run `semsync devices claim X` first/);
  });

  it('binds an unbound claim when told how, and refuses it (with the note) when not', async () => {
    const { root, claims } = await b.device();
    const profile = (await readDeviceProfile(root))!;
    // A claim made before claims were bound to the volume: its binding is gone from the claims file.
    const file = JSON.parse(readFileSync(claims, 'utf8')) as { devices: Record<string, { binding?: unknown }> };
    delete file.devices[profile.id].binding;
    writeFileSync(claims, JSON.stringify(file));
    await expect(assertClaimed(claims, root, profile, { user: 'alice' })).rejects.toThrow(/claimed before claims were bound/);
    let bound = 0;
    const check = await assertClaimed(claims, root, profile, {
      user: 'alice',
      bind: async () => {
        bound++;
        await claimDevice(claims, root, { user: 'alice' });
      },
    });
    expect(check.state).toBe('claimed');
    expect(bound).toBe(1);
  });
});
