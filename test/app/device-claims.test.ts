// Claiming through the app service: the request is checked, the device's profile is written, a running node is told.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { readDeviceProfile } from '../../src/devices/index.js';
import { ClaimRequestError, DeviceClaims } from '../../src/app/device-claims.js';
import { DeviceListing, UnknownDeviceError } from '../../src/app/device-rows.js';
import { testHome, type TestHome } from './fixture.js';

let home: TestHome;
beforeEach(async () => {
  home = await testHome();
});
afterEach(async () => home.close());

it('claims a listed host folder with a name and kinds, tells who listens, and refuses unknown ones', async () => {
  const dir = path.join(home.base, 'card');
  await fsp.mkdir(dir);
  await home.saveConfig({ ...home.config, hostTargets: [{ name: 'card', path: dir }] });
  const user = () => 'tester';
  const listing = new DeviceListing({ home, user });
  const claimed: string[] = [];
  const claims = new DeviceClaims({ home, user, listing, claimed: (root) => void claimed.push(root) });
  expect((await listing.find('card')).state).toBe('unclaimed');
  const row = await claims.claim('card', { name: 'Walkman', accepts: ['music'] });
  expect(row).toMatchObject({ root: dir, state: 'claimed', owner: 'tester' });
  expect(claimed).toEqual([dir]);
  expect(await readDeviceProfile(dir)).toMatchObject({ name: 'Walkman', accepts: ['music'] });
  await expect(claims.claim('card', { accepts: ['nonsense'] })).rejects.toThrow(ClaimRequestError);
  await expect(claims.claim('no-such-device')).rejects.toThrow(UnknownDeviceError);
});
