// `semsync explain` over the app service: a file that is on no attached device or target is named in the error.
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { DeviceListing, UnknownDeviceError } from '../../src/app/device-rows.js';
import { Explain } from '../../src/app/explain.js';
import { testHome, type TestHome } from './fixture.js';

let home: TestHome;
beforeEach(async () => {
  home = await testHome();
});
afterEach(async () => home.close());

it('refuses a path on no attached device or target, naming it', async () => {
  const explain = new Explain({ listing: new DeviceListing({ home, user: () => 'tester' }), facts: () => new Map() });
  const file = path.join(home.base, 'nowhere', 'x.jpg');
  await expect(explain.explain(file)).rejects.toThrow(UnknownDeviceError);
  await expect(explain.explain(file)).rejects.toThrow(file);
});
