// The NodeApi over declared components (no node): status, queries, describe, and placements that each get a fetcher of
// their own from the running node's peer side, with nothing shared between two calls.
import path from 'node:path';
import n3 from 'n3';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { AppApi, NotDescribedError, type ApiHome } from '../../src/app/api.js';
import type { NodePeers } from '../../src/app/peers.js';
import type { Devices, PlaceOptions } from '../../src/app/devices.js';
import { testHome, type TestHome } from './fixture.js';

const { quad, namedNode, literal } = n3.DataFactory;
let home: TestHome;
let apiHome: ApiHome;
beforeEach(async () => {
  home = await testHome();
  apiHome = Object.assign(home, {
    paths: { ...home.paths, identity: path.join(home.base, 'home', 'identity.key'), trust: path.join(home.base, 'home', 'trust.json'), config: path.join(home.base, 'home', 'config.json') },
    share: () => undefined, addShare: async () => ({ name: 'x', path: '/x' }), removeShare: async () => 0, scan: async () => [], pendingWork: () => [],
  });
});
afterEach(async () => home.close());

const unused = async (): Promise<never> => {
  throw new Error('not used by this test');
};

it('answers status, queries and describe from the home it was given', async () => {
  const api = new AppApi({ home: apiHome, running: false, livePeers: () => undefined, devices: unused, pim: unused, trash: unused });
  await home.store.commit([{ op: 'A', quad: quad(namedNode('file:///a.txt'), namedNode('urn:p:title'), literal('A'), namedNode('https://w3id.org/semsync/graph/node-a/share/s')) }]);
  expect(await api.status()).toMatchObject({ nodeId: 'node-a', running: false, statements: 1, shares: [] });
  expect(await api.query('SELECT ?t WHERE { GRAPH ?g { ?s <urn:p:title> ?t } }', 'table')).toEqual({ kind: 'table', vars: ['t'], rows: [['A']] });
  expect(await api.describe('/a.txt', 'ntriples')).toContain('"A"');
  await expect(api.describe('/b.txt', 'turtle')).rejects.toThrow(NotDescribedError);
});

it('gives each placement of a running node its own fetcher, asked from the live peer side', async () => {
  const calls: Array<{ device: string; opts: PlaceOptions }> = [];
  const devices = {
    refreshCategories: async () => ({ added: 0, removed: 0 }),
    place: async (device: string, opts: PlaceOptions) => {
      calls.push({ device, opts });
      return { device } as never;
    },
  } as unknown as Devices;
  const fetched: string[] = [];
  const peers = { running: true, fetch: async (hash: string) => void fetched.push(hash) } as unknown as NodePeers;
  let live: NodePeers | undefined;
  const api = new AppApi({ home: apiHome, running: true, livePeers: () => live, devices: async () => devices, pim: unused, trash: unused });
  await Promise.all([api.place('a'), api.place('b', { dryRun: true })]);
  calls.sort((x, y) => x.device.localeCompare(y.device));
  expect(calls.map((c) => c.device)).toEqual(['a', 'b']);
  expect(calls[0].opts.fetcher).not.toBe(calls[1].opts.fetcher);
  expect(calls[0].opts.fetcher!()).toBeUndefined(); // the peer side has not started yet
  live = peers;
  await calls[1].opts.fetcher!()!('urn:sha256:b', '/tmp/out');
  expect(fetched).toEqual(['urn:sha256:b']);
});
