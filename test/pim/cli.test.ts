// `semsync pim` and `policy` through the real CLI: bad input reported and kept, round trip, policies and their errors; the LWW merge rule.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import n3 from 'n3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';
import { GraphStore } from '../../src/graph/store.js';
import { pimGraph, mergedView, readPimBytes, writeItems, exportItems } from '../../src/pim/store.js';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');

describe('pim and policy commands', () => {
  let home: string;
  beforeAll(async () => {
    home = await mkdtemp(path.join(os.tmpdir(), 'semsync-pimcli-'));
  });
  afterAll(async () => {
    await rm(home, { recursive: true, force: true });
  });

  it('a malformed line, an unknown property, a broken time zone: reported, the item kept, the rest imported', async () => {
    const r = await cli(home, ['pim', 'import', '--json', path.join(fixtures, 'broken.vcf'), path.join(fixtures, 'broken-tz.ics')]);
    expect(r.code).toBe(0);
    const reps = JSON.parse(r.stdout) as Array<{ kind: string; items: number; added: number; errors: string[] }>;
    const vcf = reps.find((x) => x.kind === 'contacts')!;
    const ics = reps.find((x) => x.kind === 'calendar')!;
    expect(vcf).toMatchObject({ items: 2, added: 2 });
    expect(vcf.errors.join('\n')).toMatch(/line 6: unreadable/);
    expect(vcf.errors.join('\n')).toMatch(/unknown property FOO/);
    expect(ics).toMatchObject({ items: 2, added: 2 });
    expect(ics.errors.join('\n')).toMatch(/unknown time zone "Mars\/Olympus_Mons"/);
    const contacts = (await cli(home, ['pim', 'export', '--contacts'])).stdout;
    expect(contacts).toContain('FN:Broken Line Person');
    expect(contacts).toContain('X-UNKNOWN-THING:whatever');
    expect(contacts).toContain('FN:Fine Person');
    const cal = (await cli(home, ['pim', 'export', '--calendar'])).stdout;
    expect(cal).toContain('DTSTART;TZID=Mars/Olympus_Mons:20240105T100000');
    // Export → import changes nothing.
    await writeFile(path.join(home, 'out.vcf'), contacts);
    const again = JSON.parse((await cli(home, ['pim', 'import', '--json', path.join(home, 'out.vcf')])).stdout) as Array<{ unchanged: number; changed: number }>;
    expect(again[0]).toMatchObject({ unchanged: 2, changed: 0 });
  });

  it('policy set/show/list, with bad input as exit 2', async () => {
    const peer = '12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN';
    const set = await cli(home, ['policy', 'set', peer, '--work']);
    expect(set.stderr).toBe('');
    expect(set.code).toBe(0);
    const shown = JSON.parse((await cli(home, ['policy', 'show', peer, '--json'])).stdout) as { excludes: { contactCategories: string[] } };
    expect(shown.excludes.contactCategories).toEqual(['Personal']);
    expect((await cli(home, ['policy', 'list'])).stdout).toContain(peer);
    await writeFile(path.join(home, 'bad.json'), '{"work": true, "exclude": {"colours": ["red"]}}');
    const bad = await cli(home, ['policy', 'set', peer, '--file', path.join(home, 'bad.json')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/exclude\.colours/);
    expect((await cli(home, ['policy', 'set', 'nobody', '--work'])).code).toBe(2);
    expect((await cli(home, ['pim', 'export'])).code).toBe(2);
  });
});

describe('the merged view', () => {
  it('last writer wins per item across nodes; a later tombstone hides it; a later edit brings it back', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'semsync-merge-'));
    try {
      const a = await GraphStore.open({ dir: path.join(dir, 'a'), nodeId: 'nodeA' });
      const b = await GraphStore.open({ dir: path.join(dir, 'b'), nodeId: 'nodeB' });
      const card = (fn: string) => readPimBytes('contacts', Buffer.from(`BEGIN:VCARD\r\nVERSION:3.0\r\nUID:u1\r\nFN:${fn}\r\nN:;${fn};;;\r\nEND:VCARD\r\n`)).groups;
      const copyTo = async (from: GraphStore, to: GraphStore) => {
        for (const p of from.patchesSince(to.versionVector()) ?? []) if (p.author === from.nodeId) await to.applyRemote(p);
      };
      await writeItems(a, 'contacts', card('First'));
      await copyTo(a, b);
      await writeItems(b, 'contacts', card('Second'));
      await copyTo(b, a);
      expect(exportItems(mergedView(a, 'contacts'))).toContain('FN:Second');
      await writeItems(a, 'contacts', [], { remove: ['https://w3id.org/semsync/id/contact/u1'] });
      expect(a.match(null, null, null, pimGraph('nodeA', 'contacts')).some((q) => q.object.equals(n3.DataFactory.literal('First')))).toBe(false);
      expect(exportItems(mergedView(a, 'contacts'))).not.toContain('u1');
      await copyTo(a, b);
      expect(exportItems(mergedView(b, 'contacts'))).not.toContain('u1');
      await writeItems(b, 'contacts', card('Third'));
      await copyTo(b, a);
      expect(exportItems(mergedView(a, 'contacts'))).toContain('FN:Third');
      await a.close();
      await b.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
