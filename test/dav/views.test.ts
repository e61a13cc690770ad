// The DAV server's merged PIM views, kept current from the store's change log: after any edit (this node's or a
// peer's, an update, a removal) the patched view is the view mergedView would read from scratch.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphStore } from '../../src/graph/store.js';
import { mergedView, readPimBytes, writeItems, type MergedView, type PimKindName } from '../../src/pim/store.js';
import { MergedViews } from '../../src/dav/server/views.js';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'pim', 'fixtures');
let home: string;
let laptop: GraphStore;
let desk: GraphStore;

const key = (q: { subject: { value: string }; predicate: { value: string }; object: { value: string } }) => `${q.subject.value} ${q.predicate.value} ${q.object.value}`;
function norm(v: MergedView) {
  return {
    items: [...v.items.values()].map((i) => [i.master, i.rev, i.author, i.deleted, i.quads.map(key).sort()]).sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
    timezones: v.timezones.map(key).sort(),
  };
}
async function write(store: GraphStore, kind: PimKindName, text: string, remove?: string[]) {
  const read = readPimBytes(kind, Buffer.from(text));
  await writeItems(store, kind, read.groups, { timezones: read.timezones, remove });
}
async function ship(from: GraphStore, to: GraphStore) {
  for (const p of from.patchesSince(to.versionVector()) ?? []) await to.applyRemote(p);
}

beforeAll(async () => {
  home = await mkdtemp(path.join(os.tmpdir(), 'semsync-davviews-'));
  laptop = await GraphStore.open({ dir: path.join(home, 'laptop'), nodeId: 'laptop' });
  desk = await GraphStore.open({ dir: path.join(home, 'desk'), nodeId: 'desk' });
});
afterAll(async () => {
  await laptop?.close();
  await desk?.close();
  if (home) await rm(home, { recursive: true, force: true });
});

describe('MergedViews', () => {
  it('patches the view after local and remote edits, updates and removals, equal to a full read each time', async () => {
    const vcf = await readFile(path.join(fixtures, 'people.vcf'), 'utf8');
    const ics = await readFile(path.join(fixtures, 'agenda.ics'), 'utf8');
    await write(laptop, 'contacts', vcf);
    await write(laptop, 'calendar', ics);
    const views = new MergedViews(laptop);
    for (const kind of ['contacts', 'calendar'] as const) {
      expect(norm(views.view(kind))).toEqual(norm(mergedView(laptop, kind)));
      expect(views.last).toBe('rebuilt');
    }
    expect(views.view('contacts')).toBe(views.view('contacts'));
    expect(views.last).toBe('same');

    // This node edits one contact and removes another.
    const masters = [...mergedView(laptop, 'contacts').items.keys()].sort();
    await write(laptop, 'contacts', vcf.replace(/^FN:([^\r\n]*)/m, 'FN:$1 (edited)'), [masters[masters.length - 1]]);
    expect(norm(views.view('contacts'))).toEqual(norm(mergedView(laptop, 'contacts')));
    expect(views.last).toBe('patched');
    expect([...views.view('contacts').items.values()].some((i) => i.deleted)).toBe(true);

    // A peer writes the same contacts later (its revisions win) and an event edit; the laptop takes its patches.
    await write(desk, 'contacts', vcf.replace(/^FN:([^\r\n]*)/gm, 'FN:$1 (desk)'));
    await write(desk, 'calendar', ics.replace(/^SUMMARY:([^\r\n]*)/m, 'SUMMARY:$1 (desk)'));
    await ship(desk, laptop);
    for (const kind of ['contacts', 'calendar'] as const) {
      expect(norm(views.view(kind))).toEqual(norm(mergedView(laptop, kind)));
      expect(views.last).toBe('patched');
    }
    expect([...views.view('contacts').items.values()].filter((i) => i.author === 'desk').length).toBeGreaterThan(0);
  });
});

describe('MergedViews after a change of the other kind', () => {
  it('keeps the same view object (nothing to remake) and reads the change log once for both kinds', async () => {
    const views = new MergedViews(laptop);
    const calendar = views.view('calendar');
    views.view('contacts');
    const since = laptop.patchesSince.bind(laptop);
    let logReads = 0;
    laptop.patchesSince = ((...args: Parameters<typeof since>) => (logReads++, since(...args))) as typeof laptop.patchesSince;
    try {
      await write(laptop, 'contacts', 'BEGIN:VCARD\r\nVERSION:3.0\r\nUID:only-contacts\r\nFN:Only Contacts\r\nEND:VCARD\r\n');
      expect(views.view('calendar')).toBe(calendar);
      expect(views.last).toBe('same');
      expect(views.view('contacts').items.has([...mergedView(laptop, 'contacts').items.keys()].find((m) => m.includes('only-contacts'))!)).toBe(true);
      expect(views.last).toBe('patched');
      expect(logReads).toBe(1);
      expect(norm(views.view('contacts'))).toEqual(norm(mergedView(laptop, 'contacts')));
    } finally {
      laptop.patchesSince = since;
    }
  });
});
