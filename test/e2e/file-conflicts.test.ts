// Two running nodes describe one file (the same bytes in each one's share) and a person edits its title on both while
// they are apart: one conflict listed on both nodes, settled on one with `conflicts resolve`, gone on both, and the
// query shows the kept value on both.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, killAllNodes, ok, run, startNode, stopNode, until, type RunningNode } from '../helpers/nodes.js';

interface Conflict {
  id: string;
  kind: string;
  item: string;
  uid: string;
  field: string;
  paths: string[];
  sides: Array<{ value: string; node: string; by: string; time: string; mine: boolean; shown: boolean; paths: string[] }>;
}

const conflicts = (home: string) => json<Conflict[]>(home, 'conflicts', '--json');
/** The titles of the content the file holds, over every graph of the node. */
const titles = async (home: string, content: string) => {
  const out = await json<{ results: { bindings: Array<{ t: { value: string } }> } }>(home, 'query', '--format', 'json', `SELECT DISTINCT ?t WHERE { <${content}> dcterms:title ?t } ORDER BY ?t`);
  return out.results.bindings.map((b) => b.t.value);
};

describe('a file description two running nodes disagree on', () => {
  let work: string;
  let laptop: RunningNode;
  let phone: RunningNode;
  const file = (home: string) => path.join(home, '..', `${path.basename(home)}-books`, 'notes.txt');

  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'semsync-file-conflicts-'));
    const homes = ['laptop', 'phone'].map((x) => path.join(work, x));
    for (const home of homes) {
      await mkdir(path.dirname(file(home)), { recursive: true });
      await writeFile(file(home), 'the same bytes on both nodes\n');
      await ok(home, 'share', 'add', path.dirname(file(home)), '--name', 'books');
      await ok(home, 'scan');
    }
    [laptop, phone] = await Promise.all(homes.map((h) => startNode(h)));
    await ok(laptop.home, 'pair', phone.peerId, '--addr', phone.addr, '--name', 'phone', '--personal');
    await ok(phone.home, 'pair', laptop.peerId, '--addr', laptop.addr, '--name', 'laptop', '--personal');
    await ok(laptop.home, 'share', 'grant', 'books', phone.peerId);
    await ok(phone.home, 'share', 'grant', 'books', laptop.peerId);
  }, 180_000);

  afterAll(async () => {
    await Promise.all([laptop, phone].filter(Boolean).map((x) => stopNode(x)));
    killAllNodes();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('edited apart on both: one conflict on both nodes, settled on one, gone on both, the kept title queried', async () => {
    // an edit on one node alone is no conflict: it reaches the other, whose query shows it
    const first = await json<{ content: string; written: boolean }>(laptop.home, 'edit', file(laptop.home), 'title', 'Notes', '--json');
    expect(first.written).toBe(true);
    const content = first.content;
    await until(async () => (await titles(phone.home, content)).includes('Notes'), 60_000, 'the laptop\'s edit to reach the phone');
    expect(await conflicts(phone.home)).toEqual([]);

    await stopNode(phone);
    await ok(phone.home, 'edit', file(phone.home), 'title', 'Phone notes');
    await new Promise((r) => setTimeout(r, 5)); // the laptop's edit is the later one
    await ok(laptop.home, 'edit', file(laptop.home), 'title', 'Laptop notes');
    phone = await startNode(phone.home);

    let seen: Conflict[][] = [];
    await until(async () => {
      seen = [await conflicts(laptop.home), await conflicts(phone.home)];
      return seen.every((c) => c.length === 1) && seen[0][0].id === seen[1][0].id;
    }, 90_000, 'the conflict on both nodes');
    const [onLaptop, onPhone] = seen.map((c) => c[0]);
    expect(onLaptop).toMatchObject({ kind: 'file', item: content, field: 'title', uid: 'notes.txt', paths: [file(laptop.home)] });
    expect(onLaptop.sides.map((s) => [s.value, s.node, s.shown, s.mine])).toEqual([['Laptop notes', laptop.peerId, true, true], ['Phone notes', phone.peerId, false, false]]);
    expect(onPhone.sides.map((s) => [s.value, s.by, s.mine, s.paths])).toEqual([['Laptop notes', 'laptop', false, [file(laptop.home)]], ['Phone notes', 'this node', true, [file(phone.home)]]]);
    for (const s of onLaptop.sides) expect(Date.parse(s.time)).toBeGreaterThan(0);
    const text = await ok(phone.home, 'conflicts');
    expect(text).toContain(`${onPhone.id}  file notes.txt`);
    expect(text).toContain('"Phone notes"  edited by this node');

    expect((await run(phone.home, 'conflicts', 'resolve', 'f000000000000', '--keep', 'mine')).code).toBe(2);
    const r = await json<{ written: boolean; kept: string }>(phone.home, 'conflicts', 'resolve', onPhone.id, '--keep', 'mine', '--json');
    expect(r).toMatchObject({ written: true, kept: 'Phone notes' });
    expect(await conflicts(phone.home)).toEqual([]);
    await until(async () => (await conflicts(laptop.home)).length === 0, 60_000, 'the settling edit to reach the laptop');
    await until(async () => (await titles(laptop.home, content)).join() === 'Phone notes', 60_000, 'the kept title on the laptop');
    expect(await titles(phone.home, content)).toEqual(['Phone notes']);
  }, 300_000);
});
