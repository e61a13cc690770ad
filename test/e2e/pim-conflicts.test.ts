// Two running nodes edit one contact while disconnected: different fields merge (both edits on both nodes, no
// conflict); the same field is one conflict listed on both nodes, settled on one with `conflicts resolve`, gone on both.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, killAllNodes, ok, run, startNode, stopNode, until, type RunningNode } from '../helpers/nodes.js';

interface Conflict {
  id: string;
  uid: string;
  field: string;
  sides: Array<{ value: string; node: string; by: string; time: string; mine: boolean; shown: boolean }>;
}

const card = (fn: string, tel: string, note: string) => `BEGIN:VCARD\r\nVERSION:3.0\r\nUID:u1\r\nFN:${fn}\r\nTEL:${tel}\r\nEMAIL:ann@example.org\r\nNOTE:${note}\r\nEND:VCARD\r\n`;
const exported = (home: string) => ok(home, 'pim', 'export', '--contacts');
const conflicts = (home: string) => json<Conflict[]>(home, 'conflicts', '--json');

describe('field-level merge between two running nodes', () => {
  let work: string;
  let laptop: RunningNode;
  let phone: RunningNode;
  let n = 0;
  /** Imports `text` as an edit on `home` (running or not). */
  const edit = async (home: string, text: string) => {
    const file = path.join(work, `edit-${++n}.vcf`);
    await writeFile(file, text);
    await ok(home, 'pim', 'import', file);
  };
  /** Stops the phone, runs `offline` (edits on both sides), starts the phone again: it dials the laptop. */
  const apart = async (offline: () => Promise<void>) => {
    await stopNode(phone);
    await offline();
    phone = await startNode(phone.home);
  };

  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'semsync-pim-conflicts-'));
    const [hl, hp] = ['laptop', 'phone'].map((x) => path.join(work, x));
    await edit(hl, card('Ann', '+1111', 'first'));
    [laptop, phone] = await Promise.all([startNode(hl), startNode(hp)]);
    await ok(laptop.home, 'pair', phone.peerId, '--addr', phone.addr, '--name', 'phone', '--personal');
    await ok(phone.home, 'pair', laptop.peerId, '--addr', laptop.addr, '--name', 'laptop', '--personal');
    await until(async () => (await exported(phone.home)).includes('FN:Ann'), 60_000, 'the phone to get the contact');
  }, 120_000);

  afterAll(async () => {
    await Promise.all([laptop, phone].filter(Boolean).map((x) => stopNode(x)));
    killAllNodes();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('edits of different fields made apart: both edits on both nodes, no conflict', async () => {
    await apart(async () => {
      await edit(laptop.home, card('Ann', '+2222', 'first'));
      await edit(phone.home, card('Ann', '+1111', 'from the phone'));
    });
    const both = (t: string) => t.includes('TEL:+2222') && t.includes('NOTE:from the phone') && !t.includes('+1111');
    await until(async () => both(await exported(laptop.home)) && both(await exported(phone.home)), 60_000, 'both edits on both nodes');
    expect(await conflicts(laptop.home)).toEqual([]);
    expect(await conflicts(phone.home)).toEqual([]);
  }, 180_000);

  it('the same field edited apart: one conflict on both nodes, settled on one, gone on both', async () => {
    await apart(async () => {
      await edit(phone.home, card('Ann Phone', '+2222', 'from the phone'));
      await new Promise((r) => setTimeout(r, 5)); // the laptop's edit is the later one
      await edit(laptop.home, card('Ann Laptop', '+2222', 'from the phone'));
    });
    let seen: Conflict[][] = [];
    await until(async () => {
      seen = [await conflicts(laptop.home), await conflicts(phone.home)];
      return seen.every((c) => c.length === 1) && seen[0][0].id === seen[1][0].id;
    }, 60_000, 'the conflict on both nodes');
    const [onLaptop, onPhone] = seen.map((c) => c[0]);
    expect(onLaptop).toMatchObject({ uid: 'u1', field: 'FN' });
    expect(onLaptop.sides.map((s) => [s.value, s.node, s.shown, s.mine])).toEqual([['Ann Laptop', laptop.peerId, true, true], ['Ann Phone', phone.peerId, false, false]]);
    expect(onPhone.sides.map((s) => [s.value, s.by, s.mine])).toEqual([['Ann Laptop', 'laptop', false], ['Ann Phone', 'this node', true]]);
    for (const s of onLaptop.sides) expect(Date.parse(s.time)).toBeGreaterThan(0);
    expect(await ok(laptop.home, 'conflicts')).toContain('Ann Phone');
    // the later edit is shown meanwhile, on both nodes
    for (const home of [laptop.home, phone.home]) expect(await exported(home)).toContain('FN:Ann Laptop');

    const bad = await run(phone.home, 'conflicts', 'resolve', 'c000000000000', '--keep', 'mine');
    expect(bad.code).toBe(2);
    const r = await json<{ written: boolean; kept: string }>(phone.home, 'conflicts', 'resolve', onPhone.id, '--keep', 'mine', '--json');
    expect(r).toMatchObject({ written: true, kept: 'Ann Phone' });
    expect(await conflicts(phone.home)).toEqual([]);
    await until(async () => (await conflicts(laptop.home)).length === 0, 60_000, 'the settling edit to reach the laptop');
    for (const home of [laptop.home, phone.home]) {
      const t = await exported(home);
      expect(t).toContain('FN:Ann Phone');
      expect(t).toContain('TEL:+2222');
      expect(t).toContain('NOTE:from the phone');
    }
  }, 180_000);
});
