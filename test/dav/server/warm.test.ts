// The DAV server makes every account's listings in the background (after it starts and after commits), so a client's
// first request does not pay for reading the store.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphStore } from '../../../src/graph/store.js';
import { readPimBytes, writeItems } from '../../../src/pim/store.js';
import { DavServer } from '../../../src/dav/index.js';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'pim', 'fixtures');
let home: string;
let store: GraphStore;
let reads = 0;
let logReads = 0;

beforeAll(async () => {
  home = await mkdtemp(path.join(os.tmpdir(), 'semsync-davwarm-'));
  store = await GraphStore.open({ dir: path.join(home, 'store'), nodeId: 'laptop' });
  const read = readPimBytes('calendar', await readFile(path.join(fixtures, 'agenda.ics')));
  await writeItems(store, 'calendar', read.groups, { timezones: read.timezones });
  const match = store.match.bind(store);
  store.match = ((...args: Parameters<typeof match>) => {
    reads++;
    return match(...args);
  }) as typeof store.match;
  const since = store.patchesSince.bind(store);
  store.patchesSince = ((...args: Parameters<typeof since>) => {
    logReads++;
    return since(...args);
  }) as typeof store.patchesSince;
});
afterAll(async () => {
  await store?.close();
  if (home) await rm(home, { recursive: true, force: true });
});

const propfind = (dav: DavServer, password: string) =>
  dav.handle(new Request('http://127.0.0.1/dav/phone/calendar/', { method: 'PROPFIND', headers: { depth: '1', authorization: 'Basic ' + Buffer.from(`phone:${password}`).toString('base64') }, body: '<d:propfind xmlns:d="DAV:"><d:prop><d:getetag/></d:prop></d:propfind>' }));

describe('background listings', () => {
  it('a request after warm() reads nothing from the store; without it, the first request does', async () => {
    const cold = new DavServer({ store, home, warmAfterMs: -1 });
    const { password } = await cold.accounts.add('phone', undefined);
    reads = 0;
    expect((await propfind(cold, password)).status).toBe(207);
    expect(reads).toBeGreaterThan(0);

    const warm = new DavServer({ store, home, warmAfterMs: -1 });
    await warm.warm();
    reads = 0;
    const r = await propfind(warm, password);
    expect(r.status).toBe(207);
    expect(await r.text()).toContain('ev-standup.ics');
    expect(reads).toBe(0);
  });

  it('starts by itself after the server is made and again after a commit', async () => {
    const dav = new DavServer({ store, home, warmAfterMs: 0 });
    try {
      const password = await dav.accounts.passwd('phone');
      await new Promise((r) => setTimeout(r, 200));
      reads = 0;
      await propfind(dav, password);
      expect(reads).toBe(0);
      const read = readPimBytes('calendar', Buffer.from('BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:after-commit\r\nDTSTART:20250101T100000Z\r\nSUMMARY:x\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n'));
      await writeItems(store, 'calendar', read.groups, { timezones: read.timezones });
      await new Promise((r) => setTimeout(r, 2_500)); // the warm-up runs 250 ms after a commit (generous: a loaded machine)
      // Made already at this version: the request neither reads the store nor asks its change log what changed.
      reads = 0;
      logReads = 0;
      const r = await propfind(dav, password);
      expect(await r.text()).toContain('after-commit.ics');
      expect([reads, logReads]).toEqual([0, 0]);
    } finally {
      dav.close();
    }
  });
});
