// A running node and PIM, through the real CLI: a newly paired peer gets no contact or event until its policy is chosen;
// `dav add` on a running node syncs at once (no restart, no interval to wait for), `dav status` reports, `dav remove` stops.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, killAllNodes, ok, startNode, stopNode, until, type RunningNode } from '../helpers/nodes.js';
import { radicaleMissing, startRadicale, storageText, type Radicale } from '../helpers/radicale.js';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'pim', 'fixtures');
const missing = radicaleMissing();
if (missing) console.log(`skipping the live PIM tests: ${missing}`);

describe.skipIf(!!missing)('PIM on running nodes', () => {
  let work: string;
  let r: Radicale;
  let laptop: RunningNode;
  let desk: RunningNode;

  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'semsync-pim-live-'));
    r = await startRadicale();
    const [hl, hd] = ['laptop', 'desk'].map((n) => path.join(work, n));
    await ok(hl, 'pim', 'import', path.join(fixtures, 'people.vcf'), path.join(fixtures, 'agenda.ics'));
    // A share written after the PIM items: when the desk has its description, it has had every earlier patch.
    await mkdir(path.join(work, 'notes'));
    await writeFile(path.join(work, 'notes', 'marker-after-pim.txt'), 'hello');
    await ok(hl, 'share', 'add', path.join(work, 'notes'), '--name', 'Notes');
    await ok(hl, 'scan');
    [laptop, desk] = await Promise.all([startNode(hl), startNode(hd)]);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([laptop, desk].filter(Boolean).map((n) => stopNode(n)));
    killAllNodes();
    await r?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('a newly paired peer gets no contacts or events until its policy is chosen, then what the policy allows', async () => {
    const paired = await ok(laptop.home, 'pair', desk.peerId, '--addr', desk.addr);
    expect(paired).toMatch(/no contacts or calendars until you choose its policy/);
    await ok(desk.home, 'pair', laptop.peerId, '--addr', laptop.addr);
    await ok(laptop.home, 'share', 'grant', 'Notes', desk.peerId);
    await until(async () => (await ok(desk.home, 'export', '--format', 'nquads')).includes('marker-after-pim.txt'), 60_000, 'the desk to get the share');
    const graph = await ok(desk.home, 'export', '--format', 'nquads');
    for (const s of ['work-bob', 'personal-mum', 'ev-standup', '/pim/contacts', '/pim/calendar', 'VTIMEZONE']) expect(graph).not.toContain(s);
    expect(await ok(desk.home, 'pim', 'export', '--contacts')).toBe('');
    await ok(laptop.home, 'policy', 'set', desk.peerId, '--work');
    await until(async () => (await ok(desk.home, 'pim', 'export', '--contacts')).includes('work-bob'), 60_000, 'the desk to get the work contacts');
    const after = await ok(desk.home, 'export', '--format', 'nquads');
    for (const s of ['personal-mum', 'Secretname', 'ev-doctor', 'xyzzy']) expect(after).not.toContain(s);
  }, 180_000);

  it('dav add on a running node syncs at once; dav status reports it; dav remove stops it', async () => {
    const coll = await r.mkcol('live', 'addressbook');
    const added = await ok(laptop.home, 'dav', 'add', coll, '--name', 'company', '--user', r.user, '--password-file', r.passwordFile, '--policy', 'work');
    expect(added).toMatch(/the running node syncs it now/);
    // The default interval is 300 s: only a node that follows `dav add` at once gets it there in time.
    await until(async () => (await storageText(r.storage, true)).includes('work-bob'), 60_000, 'the running node to sync the new account');
    await until(async () => (await json<Array<{ lastSync?: string }>>(laptop.home, 'dav', 'status', '--json'))[0]?.lastSync !== undefined, 30_000, 'the status to show the sync');
    const [st] = await json<Array<{ name: string; ok: boolean; failures: unknown[] }>>(laptop.home, 'dav', 'status', '--json');
    expect(st).toMatchObject({ name: 'company', ok: true, failures: [] });
    expect(await storageText(r.storage)).not.toContain('personal-mum');
    // An explicit sync through the running node.
    const [rep] = await json<Array<{ pushed: number; deletedHere: number }>>(laptop.home, 'dav', 'sync', 'company', '--json');
    expect(rep).toMatchObject({ pushed: 0, deletedHere: 0 });
    await ok(laptop.home, 'dav', 'remove', 'company');
    expect(await json<unknown[]>(laptop.home, 'dav', 'list', '--json')).toEqual([]);
    expect(await json<unknown[]>(laptop.home, 'dav', 'status', '--json')).toEqual([]);
  }, 180_000);
});
