// Host targets and media roots are config edits made through the home's saveConfig, announced to a running node.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { DeviceGraphs } from '../../src/app/device-graph.js';
import { DeviceListing, UnknownDeviceError } from '../../src/app/device-rows.js';
import { Targets } from '../../src/app/targets.js';
import { testHome, type TestHome } from './fixture.js';

let home: TestHome;
let told: string[];
let targets: Targets;
beforeEach(async () => {
  home = await testHome();
  told = [];
  const user = () => 'tester';
  const listing = new DeviceListing({ home, user });
  targets = new Targets({ home, user, listing, graphs: new DeviceGraphs(home), changed: (what) => void told.push(what) });
});
afterEach(async () => home.close());

it('adds a host target (claimed for the user, saved in the config), refuses one overlapping a share, and removes it', async () => {
  const share = path.join(home.base, 'share');
  await fsp.mkdir(share);
  await home.saveConfig({ ...home.config, shares: [{ name: 'share', path: share }] });
  await expect(targets.addTarget(path.join(share, 'inside'), 'inside')).rejects.toThrow(UnknownDeviceError);
  const row = await targets.addTarget(path.join(home.base, 'docs'), 'docs');
  expect(row).toMatchObject({ name: 'docs', kind: 'target', state: 'claimed', owner: 'tester' });
  expect(home.config.hostTargets).toEqual([{ name: 'docs', path: path.join(home.base, 'docs') }]);
  await expect(targets.addTarget(path.join(home.base, 'docs'), 'again')).rejects.toThrow(/is a target already/);
  expect(await targets.removeTarget('docs')).toBe(true);
  expect(await targets.removeTarget('docs')).toBe(false);
  expect(home.config.hostTargets).toEqual([]);
  expect(told).toEqual(['targets-changed', 'targets-changed']);
});

it('adds and removes media roots, refusing a folder that does not exist', async () => {
  const root = path.join(home.base, 'media');
  await fsp.mkdir(root);
  await expect(targets.addRoot(path.join(home.base, 'missing'))).rejects.toThrow(/no such folder/);
  expect(await targets.addRoot(root)).toEqual([root]);
  expect(await targets.addRoot(root)).toEqual([root]); // once
  expect(await targets.removeRoot(root)).toEqual([]);
  expect(told).toEqual(['roots-changed', 'roots-changed', 'roots-changed']);
});
