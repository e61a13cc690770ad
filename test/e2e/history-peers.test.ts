// Two running nodes: a paired phone deletes 200 contacts (the "bad sync"); the laptop's history names the phone, and one
// `undo --peer phone --since TIME` brings the contacts back on both nodes.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, killAllNodes, ok, startNode, stopNode, until, type RunningNode } from '../helpers/nodes.js';

const card = (i: number) => `BEGIN:VCARD\r\nVERSION:3.0\r\nUID:u${i}\r\nFN:Person ${i}\r\nTEL:+100${i}\r\nEND:VCARD\r\n`;
const TOTAL = 230;
const WIPED = 200;
const count = async (home: string) => (await ok(home, 'pim', 'export', '--contacts')).match(/^BEGIN:VCARD/gm)?.length ?? 0;

describe('undo what a peer did', () => {
  let work: string;
  let laptop: RunningNode;
  let phone: RunningNode;

  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'semsync-history-peers-'));
    const [hl, hp] = ['laptop', 'phone'].map((n) => path.join(work, n));
    await writeFile(path.join(work, 'all.vcf'), Array.from({ length: TOTAL }, (_, i) => card(i)).join(''));
    await ok(hl, 'pim', 'import', path.join(work, 'all.vcf'));
    [laptop, phone] = await Promise.all([startNode(hl), startNode(hp)]);
    await ok(laptop.home, 'pair', phone.peerId, '--addr', phone.addr, '--name', 'phone', '--personal');
    await ok(phone.home, 'pair', laptop.peerId, '--addr', laptop.addr, '--name', 'laptop', '--personal');
    await until(async () => (await count(phone.home)) === TOTAL, 120_000, 'the phone to get the contacts');
  }, 240_000);

  afterAll(async () => {
    await Promise.all([laptop, phone].filter(Boolean).map((n) => stopNode(n)));
    killAllNodes();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('a phone that wiped 200 contacts is undone with one command, on every node', async () => {
    const since = new Date(Date.now() - 1).toISOString();
    await ok(phone.home, 'pim', 'remove', '--contacts', ...Array.from({ length: WIPED }, (_, i) => `u${i}`));
    await until(async () => (await count(laptop.home)) === TOTAL - WIPED, 120_000, 'the deletion to reach the laptop');

    const h = await json<{ entries: Array<{ by: string; author: string; channel: string; via?: string }> }>(laptop.home, 'history', 'u5', '--json');
    // the channel it came through on the phone travels with the patch (H via): a local edit there; the import before it too
    expect(h.entries.at(-1)).toMatchObject({ by: 'phone', author: phone.peerId, channel: 'peer', via: 'local' });
    expect(h.entries[0].via).toMatch(/^import:/);

    const dry = await ok(laptop.home, 'undo', '--peer', 'phone', '--since', since, '--dry-run');
    expect(dry).toMatch(new RegExp(`would restore ${WIPED} item\\(s\\)`));
    expect(dry).toContain('(as this node had it)');
    expect(await count(laptop.home)).toBe(TOTAL - WIPED);

    const r = await json<{ items: unknown[]; commit: string }>(laptop.home, 'undo', '--peer', 'phone', '--since', since, '--json');
    expect(r.items).toHaveLength(WIPED);
    expect(r.commit).toMatch(new RegExp(`^${laptop.peerId}:`));
    expect(await count(laptop.home)).toBe(TOTAL);
    await until(async () => (await count(phone.home)) === TOTAL, 120_000, 'the undo to reach the phone');
    // the very contacts, as they were: the first and the last one wiped
    for (const home of [laptop.home, phone.home]) {
      const text = await ok(home, 'pim', 'export', '--contacts');
      expect(text).toContain('FN:Person 0\r\n');
      expect(text).toContain(`TEL:+100${WIPED - 1}`);
    }
  }, 400_000);
});
