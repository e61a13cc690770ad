// PIM admissions follow the store's commits (no poller): an own edit that makes an item PRIVATE asks a work peer for a
// full state at once; the policy hook and resync epochs sit on the trust store through its typed hooks and events.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import n3 from 'n3';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { GraphStore } from '../../src/graph/store.js';
import { TrustStore } from '../../src/peers/trust.js';
import { readPimBytes, writeItems } from '../../src/pim/store.js';
import { PimAdmissions } from '../../src/app/pim-admissions.js';

const NODE = 'node-a';
const PEER = '12D3KooWEUXu6UT1CjGMNvSAHTBomMsGak9sAb6nici6fhgCjLTn';
const ics = (cls: string) => `BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\nUID:meet@x\r\nDTSTAMP:20240101T000000Z\r\nDTSTART:20240102T100000Z\r\nSUMMARY:Meeting\r\nCLASS:${cls}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n`;

let dir: string;
let store: GraphStore;
let trust: TrustStore;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'semsync-admissions-'));
  store = await GraphStore.open({ dir: path.join(dir, 'store'), nodeId: NODE });
  trust = await TrustStore.open(path.join(dir, 'trust.json'));
});
afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

const write = (cls: string) => writeItems(store, 'calendar', readPimBytes('calendar', new TextEncoder().encode(ics(cls))).groups);
const state = async () => JSON.parse(await readFile(path.join(dir, 'pim', 'state.json'), 'utf8')) as { resync: Record<string, number>; checkedSeq: number };

it('asks a work peer for a full state when an own commit flips an item to PRIVATE, without being polled', async () => {
  await write('PUBLIC');
  const admissions = new PimAdmissions({ store, nodeId: NODE, dir: path.join(dir, 'pim') });
  await admissions.setPeerPolicy(PEER, { work: true });
  let pushed = 0;
  await admissions.attach({ trust, notifyCommit: () => {}, peerNode: { pushAll: () => void pushed++ } });
  const before = (await state()).resync[PEER];
  expect(before).toBeGreaterThan(0);
  // the peer acknowledges the full state it got: announced by the trust store, the resync is done
  trust.resyncDone(PEER, before);
  await expect.poll(async () => (await state()).resync[PEER], { timeout: 15_000 }).toBeUndefined();
  const pushesBefore = pushed;
  await write('PRIVATE'); // only the store's commit event tells admissions about this
  // the full state is asked for (pushed to the peers) once state.json records it
  await expect.poll(() => pushed, { timeout: 15_000 }).toBeGreaterThan(pushesBefore);
  expect((await state()).resync[PEER]).toBeGreaterThan(0);
  expect((await state()).checkedSeq).toBe(store.versionVector()[NODE]);
  admissions.stop();
});

it('installs the policy hook and resync epochs through TrustStore.setPimHooks, and keeps the policy after stop', async () => {
  const admissions = new PimAdmissions({ store, nodeId: NODE, dir: path.join(dir, 'pim') });
  await admissions.setPeerPolicy(PEER, { work: true });
  await write('PRIVATE');
  await admissions.attach({ trust, notifyCommit: () => {} });
  const item = store.match(null, null, null, null).find((q) => q.subject.value.includes('meet'))!;
  expect(trust.policy(PEER, item)).toBe(false); // a PRIVATE event does not leave for a work peer
  expect(trust.resyncWanted(PEER)).toBeGreaterThan(0);
  admissions.stop();
  expect(trust.policy(PEER, item)).toBe(false); // a session still closing never sends without the policy
  // and a commit after stop is no longer followed
  const seq = (await state()).checkedSeq;
  await store.commit([{ op: 'A', quad: n3.DataFactory.quad(n3.DataFactory.namedNode('urn:x'), n3.DataFactory.namedNode('urn:p'), n3.DataFactory.literal('v'), n3.DataFactory.namedNode(`https://w3id.org/semsync/graph/${NODE}/x`)) }]);
  await new Promise((r) => setTimeout(r, 50));
  expect((await state()).checkedSeq).toBe(seq);
});

it('TrustStore.setPimHooks returns the function that takes the hooks off again', async () => {
  const off = trust.setPimHooks({ policy: () => false, resyncWanted: () => 7 });
  const q = n3.DataFactory.quad(n3.DataFactory.namedNode('urn:x'), n3.DataFactory.namedNode('urn:p'), n3.DataFactory.literal('v'));
  expect([trust.policy(PEER, q), trust.resyncWanted(PEER)]).toEqual([false, 7]);
  off();
  expect([trust.policy(PEER, q), trust.resyncWanted(PEER)]).toEqual([true, 0]);
});
