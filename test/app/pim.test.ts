// The PIM use cases over a bare store: import a calendar, export the merged view, remove by UID, policies per target.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { GraphStore } from '../../src/graph/store.js';
import { Pim, PimError } from '../../src/app/pim.js';

const ics = `BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\nUID:meet@x\r\nDTSTAMP:20240101T000000Z\r\nDTSTART:20240102T100000Z\r\nSUMMARY:Meeting\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n`;
const PEER = '12D3KooWEUXu6UT1CjGMNvSAHTBomMsGak9sAb6nici6fhgCjLTn';
let dir: string;
let store: GraphStore;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'semsync-pimapp-'));
  store = await GraphStore.open({ dir: path.join(dir, 'store'), nodeId: 'node-a' });
});
afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

it('imports, exports and removes an event, and keeps a policy per peer', async () => {
  const pim = new Pim({ store, nodeId: 'node-a', dir: path.join(dir, 'pim') });
  await writeFile(path.join(dir, 'cal.ics'), ics);
  const [rep] = await pim.import(['cal.ics'], dir);
  expect(rep).toMatchObject({ kind: 'calendar', items: 1, added: 1 });
  expect((await pim.export('calendar', undefined, dir)).text).toContain('SUMMARY:Meeting');
  await expect(pim.import(['missing.ics'], dir)).rejects.toThrow(PimError);
  expect(await pim.remove('calendar', ['meet@x', 'other@x'])).toMatchObject({ unknown: ['other@x'] });
  expect((await pim.export('calendar', undefined, dir)).items).toBe(0);
  const set = await pim.policySet(PEER, { work: true });
  expect(set.policy).toEqual({ work: true });
  expect((await pim.policyList()).map((e) => e.target)).toEqual([PEER]);
  expect((await pim.policySet(PEER, null)).policy).toBeNull();
  expect(await pim.policyList()).toEqual([]);
});
