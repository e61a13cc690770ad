// `semsync history` and `semsync undo` as a user runs them: a contact's changes, a deletion of 20 contacts undone.
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';

let tmp: string;
let home: string;
let self: string;

const card = (i: number, name = `Person ${i}`) => `BEGIN:VCARD\r\nVERSION:3.0\r\nUID:u${i}\r\nFN:${name}\r\nN:${i};Person;;;\r\nTEL:+100${i}\r\nEND:VCARD\r\n`;
const live = async () => (await cli(home, ['pim', 'export', '--contacts'])).stdout.match(/^BEGIN:VCARD/gm)?.length ?? 0;
const ok = async (args: string[]) => {
  const r = await cli(home, args);
  expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r;
};

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'semsync-history-'));
  home = path.join(tmp, 'home');
  await writeFile(path.join(tmp, 'all.vcf'), Array.from({ length: 30 }, (_, i) => card(i)).join(''));
  await writeFile(path.join(tmp, 'edit.vcf'), card(1, 'Person One Renamed'));
  await ok(['pim', 'import', path.join(tmp, 'all.vcf')]);
  await ok(['pim', 'import', path.join(tmp, 'edit.vcf')]);
  self = JSON.parse((await ok(['id', '--json'])).stdout).peerId;
}, 120_000);

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('semsync history and undo', () => {
  it('shows a contact\'s changes by UID: who, when, through what, and the field that changed', async () => {
    const h = JSON.parse((await ok(['history', 'u1', '--json'])).stdout);
    expect(h.record).toEqual(['https://w3id.org/semsync/id/contact/u1']);
    expect(h.complete).toBe(true);
    expect(h.entries.map((e: { change: string }) => e.change)).toEqual([`${self}:1`, `${self}:2`]);
    expect(h.entries[1]).toMatchObject({ by: 'this node', channel: 'import', via: 'import:edit.vcf' });
    expect(h.entries[1].fields).toContainEqual(expect.objectContaining({ predicate: 'http://www.w3.org/2006/vcard/ns#fn', from: ['"Person 1"'], to: ['"Person One Renamed"'] }));
    const text = (await ok(['history', 'u1'])).stdout;
    expect(text).toContain('vcard:fn: "Person 1" → "Person One Renamed"');
    expect(text).toMatch(new RegExp(`${self}:2 {2}by this node, import \\(edit\\.vcf\\)`));
    expect((await ok(['history', 'u1', '--limit', '1', '--json'])).stdout).toContain('"omitted": 1');
  });

  it('undoes a deletion of 20 contacts with --peer/--since; --dry-run first changes nothing', async () => {
    await new Promise((r) => setTimeout(r, 5)); // the window starts after the edit's clock
    const since = new Date().toISOString();
    await ok(['pim', 'remove', '--contacts', ...Array.from({ length: 20 }, (_, i) => `u${i}`)]);
    expect(await live()).toBe(10);
    const gone = JSON.parse((await ok(['history', 'u1', '--json'])).stdout);
    expect(gone.entries.at(-1).fields).toContainEqual(expect.objectContaining({ predicate: 'https://w3id.org/semsync/ns#deleted', to: ['"true"^^<http://www.w3.org/2001/XMLSchema#boolean>'] }));

    const dry = JSON.parse((await ok(['undo', '--peer', self, '--since', since, '--dry-run', '--json'])).stdout);
    expect(dry).toMatchObject({ dryRun: true, commit: null });
    expect(dry.items).toHaveLength(20);
    expect(await live()).toBe(10);

    const r = await ok(['undo', '--peer', self, '--since', since]);
    expect(r.stdout).toMatch(/did restore 20 item\(s\)/);
    expect(r.stdout).toMatch(new RegExp(`committed as ${self}:4`));
    const text = (await ok(['pim', 'export', '--contacts'])).stdout;
    expect(text.match(/^BEGIN:VCARD/gm)).toHaveLength(30);
    expect(text).toContain('FN:Person One Renamed'); // restored as it was just before the deletion
    expect(text).toContain('FN:Person 7');
    // the undo is an ordinary change, in the history like any other
    const h = JSON.parse((await ok(['history', 'u7', '--json'])).stdout);
    expect(h.entries.map((e: { change: string }) => e.change)).toEqual([`${self}:1`, `${self}:3`, `${self}:4`]);
    // through what each came: the import of all.vcf, the removal (a local edit), the undo
    expect(h.entries.map((e: { channel: string; via?: string }) => [e.channel, e.via])).toEqual([['import', 'import:all.vcf'], ['local', 'local'], ['undo', 'undo']]);
  });

  it('leaves alone what a later change superseded, and says so', async () => {
    // the rename (change 2) was followed by the deletion and the undo: undoing it now would overwrite those
    const r = JSON.parse((await ok(['undo', `${self}:2`, '--json'])).stdout);
    expect(r.commit).toBeNull();
    expect(r.items).toEqual([]);
    expect(r.skipped).toEqual([expect.objectContaining({ subject: 'https://w3id.org/semsync/id/contact/u1', reason: 'changed again later by this node (edited)' })]);
    expect(await live()).toBe(30);
  });

  it('undoes one change by its id, and that undo again', async () => {
    const r = JSON.parse((await ok(['undo', `${self}:4`, '--json'])).stdout);
    expect(r.items).toHaveLength(20);
    expect(r.items.every((i: { action: string }) => i.action === 'delete')).toBe(true);
    expect(await live()).toBe(10);
    await ok(['undo', `${self}:5`]);
    expect(await live()).toBe(30);
  });

  it('shows the history of a file by its path, through the share scan', async () => {
    const dir = path.join(tmp, 'docs');
    await mkdir(dir);
    const file = path.join(dir, 'note.txt');
    await writeFile(file, 'first\n');
    await ok(['share', 'add', dir, '--name', 'Docs']);
    await ok(['scan']);
    await writeFile(file, 'second, longer\n');
    await ok(['scan']);
    const h = JSON.parse((await ok(['history', file, '--json'])).stdout);
    expect(h.record[0]).toBe(`file://${file}`);
    expect(h.record.length).toBeGreaterThanOrEqual(3); // the file and both contents it pointed at
    expect(h.entries.length).toBeGreaterThanOrEqual(2);
    expect(h.entries.every((e: { channel: string }) => e.channel === 'scan')).toBe(true);
    expect(h.entries.flatMap((e: { fields: unknown[] }) => e.fields)).toContainEqual(expect.objectContaining({ predicate: 'http://www.semanticdesktop.org/ontologies/2007/01/19/nie#interpretedAs', from: [expect.stringMatching(/^<urn:sha256:/)], to: [expect.stringMatching(/^<urn:sha256:/)] }));
  });

  it('refuses what it cannot read with exit 2', async () => {
    expect((await cli(home, ['undo'])).code).toBe(2);
    expect((await cli(home, ['undo', 'not-a-change'])).code).toBe(2);
    expect((await cli(home, ['undo', `${self}:999`])).stderr).toMatch(/no change .*:999 in the change log/);
    const r = await cli(home, ['history', 'no-such-uid']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no contact or calendar item has this UID/);
    expect((await cli(home, ['undo', '--peer', self, '--since', 'yesterday-ish'])).code).toBe(2);
  });
});
