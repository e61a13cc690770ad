// A file description two nodes disagree on: the rule (pure), and two stores that edit apart, sync, list the same
// conflict, settle it on one and converge on the kept value.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import n3 from 'n3';
import { afterEach, describe, expect, it } from 'vitest';
import { GraphStore } from '../../src/graph/index.js';
import { DCTERMS, FOAF, NIE, NFO, RDF, SS, contentIri, graphIri } from '../../src/graph/vocab.js';
import { ConflictError } from '../../src/app/conflicts.js';
import { FileConflicts, FileEditError, editIri } from '../../src/app/file-conflicts.js';
import { descriptionConflict, parseSeen, valueHash, type DescriptionSide } from '../../src/app/file-conflicts-rule.js';

const { literal, namedNode, quad } = n3.DataFactory;
const X = contentIri('ab'.repeat(32)).value;
const lit = (s: string) => `"${s}"`;

describe('the rule: which sides of one field are open, and when they are a conflict', () => {
  const scan = (node: string, v: string): DescriptionSide => ({ node, values: [lit(v)] });
  const edit = (node: string, v: string, rev: string, n: Record<string, string> = {}, seenValues: string[] = []): DescriptionSide => ({ node, values: [lit(v)], rev, seen: { n, v: seenValues.map((x) => valueHash([lit(x)])) } });

  it('two scans that read the same value are no conflict; two that read different values are', () => {
    expect(descriptionConflict(X, 'title', [scan('A', 'Dune'), scan('B', 'Dune')])).toBeNull();
    const c = descriptionConflict(X, 'title', [scan('A', 'Dune'), scan('B', 'Dune (1965)')]);
    expect(c?.sides.map((s) => s.node)).toEqual(['B', 'A']); // no edit: the greater node id first
  });

  it('an edit that had seen the other node\'s value settles it; one that had not is a conflict', () => {
    expect(descriptionConflict(X, 'title', [edit('A', 'Dune', '10.0', {}, ['Dune?']), scan('B', 'Dune?')])).toBeNull();
    const c = descriptionConflict(X, 'title', [edit('A', 'Dune', '10.0', {}, ['Dune?']), scan('B', 'Other')]);
    expect(c?.sides.map((s) => [s.node, s.values[0]])).toEqual([['A', lit('Dune')], ['B', lit('Other')]]);
  });

  it('two edits made apart are one conflict, with the same id whatever the order; the later is shown first', () => {
    const a = edit('A', 'Alpha', '20.0', {}, ['Dune']);
    const b = edit('B', 'Beta', '30.0', {}, ['Dune']);
    const one = descriptionConflict(X, 'title', [a, b]);
    const two = descriptionConflict(X, 'title', [b, a]);
    expect(one?.id).toMatch(/^f[0-9a-f]{12}$/);
    expect(two?.id).toBe(one?.id);
    expect(one?.sides.map((s) => s.node)).toEqual(['B', 'A']);
    // B edits again, having seen A's edit: settled; A edits again later without having seen B's: open again
    expect(descriptionConflict(X, 'title', [a, edit('B', 'Beta', '40.0', { A: '20.0' })])).toBeNull();
    const again = descriptionConflict(X, 'title', [edit('A', 'Gamma', '50.0', {}), edit('B', 'Beta', '40.0', { A: '20.0' })]);
    expect(again?.sides.map((s) => s.values[0])).toEqual([lit('Gamma'), lit('Beta')]);
    expect(again?.id).not.toBe(one?.id);
  });

  it('the same value on both sides is no conflict, and an edit of one\'s own node settles nothing of it', () => {
    expect(descriptionConflict(X, 'title', [edit('A', 'Same', '20.0'), edit('B', 'Same', '30.0')])).toBeNull();
    expect(descriptionConflict(X, 'title', [edit('A', 'Mine', '20.0', { A: '99.0' }), edit('B', 'Theirs', '30.0')])).not.toBeNull();
  });

  it('a hostile `seen` counts as having seen nothing', () => {
    for (const bad of ['', 'nope', '[1,2]', '{"n": 3, "v": "x"}', '{"n": {"B": 7}, "v": [1]}', 'null']) expect(parseSeen(bad)).toEqual({ n: {}, v: [] });
    expect(parseSeen('{"n": {"B": "1.0", "C": 2}, "v": ["h", 3]}')).toEqual({ n: { B: '1.0' }, v: ['h'] });
  });
});

describe('two stores: edits made apart, synced, listed on both, settled on one, gone on both', () => {
  let dir: string;
  const stores: GraphStore[] = [];
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** A store whose share `books` describes one file holding content X, titled by its scan. */
  const open = async (nodeId: string, title: string) => {
    const s = await GraphStore.open({ dir: path.join(dir, nodeId), nodeId });
    stores.push(s);
    const g = graphIri(nodeId, 'share/books');
    const file = namedNode(`file:///home/${nodeId}/books/dune.txt`);
    await s.commit([
      [file, RDF('type'), NFO('FileDataObject')], [file, NIE('interpretedAs'), namedNode(X)],
      [namedNode(X), DCTERMS('title'), literal(title)],
    ].map(([a, b, c]) => ({ op: 'A' as const, quad: quad(a as never, b as never, c as never, g) })));
    return s;
  };
  /** What one store's peer would send the other: its own patches (shares granted, edits to every paired peer). */
  const sync = async (from: GraphStore, to: GraphStore) => {
    for (const p of from.patchesSince(to.versionVector()) ?? []) if (p.author === from.nodeId) await to.applyRemote(p);
  };
  const titles = (s: GraphStore) => [...new Set(s.match(namedNode(X), DCTERMS('title'), null, null).map((q) => q.object.value))].sort();

  it('lists one conflict with the same id on both, settles it, and every graph ends with the kept value', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'semsync-file-conflicts-'));
    const [a, b] = [await open('nodeA', 'Dune'), await open('nodeB', 'Dune')];
    await sync(a, b);
    await sync(b, a);
    const [fa, fb] = [new FileConflicts({ store: a, name: (id) => `name of ${id}` }), new FileConflicts({ store: b })];
    expect(await fa.list()).toEqual([]);

    // one node edits, having seen the other's scan: no conflict, the edit is the title everywhere once synced
    expect(await fa.editFile('/home/nodeA/books/dune.txt', 'title', 'Dune (1965)')).toMatchObject({ content: X, written: true, kept: 'Dune (1965)' });
    await sync(a, b);
    expect([await fa.list(), await fb.list()]).toEqual([[], []]);
    expect(await fa.editFile(X, 'title', 'Dune (1965)')).toMatchObject({ written: false }); // said already

    // then both edit apart
    await fa.edit(X, 'title', 'Alpha');
    await fb.edit(X, 'title', 'Beta');
    await sync(a, b);
    await sync(b, a);
    const [la, lb] = [await fa.list(), await fb.list()];
    expect(la).toHaveLength(1);
    expect(lb.map((c) => c.id)).toEqual([la[0].id]);
    expect(la[0]).toMatchObject({ kind: 'file', item: X, field: 'title', uid: 'dune.txt', paths: ['/home/nodeA/books/dune.txt'] });
    expect(la[0].sides.map((s) => [s.value, s.node, s.by, s.mine, s.shown])).toEqual([['Beta', 'nodeB', 'name of nodeB', false, true], ['Alpha', 'nodeA', 'name of nodeA', true, false]]);
    for (const s of la[0].sides) expect(Date.parse(s.time)).toBeGreaterThan(0);

    await expect(fb.resolve('f00000000000', 'mine')).rejects.toBeInstanceOf(ConflictError);
    expect(await fb.resolve(lb[0].id.slice(0, 6), 'mine')).toMatchObject({ id: la[0].id, kept: 'Beta', written: true });
    expect(await fb.list()).toEqual([]);
    await sync(b, a);
    expect(await fa.list()).toEqual([]);
    // A's own graphs still say its superseded edit until it adopts the edit that had seen it
    expect(titles(a)).toEqual(['Alpha', 'Beta']);
    expect(await fa.adopt()).toBe(1);
    expect(await fa.adopt()).toBe(0);
    await sync(a, b);
    expect([await fa.list(), await fb.list()]).toEqual([[], []]);
    expect(await fb.adopt()).toBe(0);
    expect([titles(a), titles(b)]).toEqual([['Beta'], ['Beta']]);
    // the resolution is an edit of this node's, with a record of what it had seen; A's superseded edit is gone
    expect(b.match(editIri('nodeB', X, 'title'), SS('seen'), null, null)).toHaveLength(1);
    expect(a.match(editIri('nodeA', X, 'title'), null, null, null)).toEqual([]);
  });

  it('two scans that read different titles are listed with their times; a VALUE settles them and the other node takes it in', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'semsync-file-conflicts-'));
    const [a, b] = [await open('nodeA', 'Dune'), await open('nodeB', 'DUNE (an older extractor)')];
    await sync(a, b);
    await sync(b, a);
    const [fa, fb] = [new FileConflicts({ store: a }), new FileConflicts({ store: b })];
    const [c] = await fa.list();
    expect(c.sides.map((s) => [s.value, s.rev, s.via, s.mine])).toEqual([['DUNE (an older extractor)', 'scan', 'scan', false], ['Dune', 'scan', 'scan', true]]);
    for (const s of c.sides) expect(Date.parse(s.time)).toBeGreaterThan(0);
    expect((await fb.list()).map((x) => x.id)).toEqual([c.id]);
    await expect(fa.resolve(c.id, 'not a date')).resolves.toMatchObject({ kept: 'not a date' }); // a title takes any text
    await sync(a, b);
    // only the person's own nodes' edits settle and are taken in: B, to which A is a visitor, lists the conflict still
    const visited = new FileConflicts({ store: b, ownNodes: async () => new Set(['someone else']) });
    expect((await visited.list()).map((x) => x.sides.map((s) => s.value))).toEqual([['not a date', 'DUNE (an older extractor)']]);
    expect(await visited.adopt()).toBe(0);
    expect(titles(b)).toEqual(['DUNE (an older extractor)', 'not a date']); // A's share graph was rewritten by its edit
    expect(await new FileConflicts({ store: b, ownNodes: async () => new Set(['nodeA']) }).adopt()).toBe(1);
    await sync(b, a);
    expect([await fa.list(), await fb.list(), titles(a), titles(b)]).toEqual([[], [], ['not a date'], ['not a date']]);
  });

  it('a peer\'s edit stamped far ahead, claiming to have seen everything, takes nothing: it is a conflict', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'semsync-file-conflicts-'));
    const [a, b] = [await open('nodeA', 'Dune'), await open('nodeB', 'Dune')];
    const fa = new FileConflicts({ store: a });
    await fa.edit(X, 'title', 'Mine');
    const g = graphIri('nodeB', 'edits');
    const rec = editIri('nodeB', X, 'title');
    const far = `${Date.now() + 10 * 86_400_000}.0`;
    await b.commit([
      [namedNode(X), DCTERMS('title'), literal('Hostile')], [rec, SS('editOf'), namedNode(X)], [rec, SS('field'), literal('title')],
      [rec, SS('revision'), literal(far)], [rec, SS('seen'), literal(JSON.stringify({ n: { nodeA: far }, v: [] }))],
    ].map(([s, p, o]) => ({ op: 'A' as const, quad: quad(s as never, p as never, o as never, g) })));
    await sync(b, a);
    expect(await fa.adopt()).toBe(0);
    expect((await fa.list()).map((c) => c.sides.map((s) => s.value))).toEqual([['Hostile', 'Mine']]);
    expect(titles(a)).toEqual(['Dune', 'Hostile', 'Mine']); // B's share graph (not rewritten by the forged edit) says Dune
  });

  it('refuses a field it does not know, a value that does not read, a file not described; keeps creators as people', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'semsync-file-conflicts-'));
    const a = await open('nodeA', 'Dune');
    const fa = new FileConflicts({ store: a });
    await expect(fa.editFile('/home/nodeA/books/dune.txt', 'rdf:type', 'x')).rejects.toBeInstanceOf(FileEditError);
    for (const bad of ['last year', '2024-13', '2023-02-30', '2024-01-01T25:00Z', '']) await expect(fa.editFile('/home/nodeA/books/dune.txt', 'date', bad)).rejects.toBeInstanceOf(FileEditError);
    for (const good of ['1965', '1965-08', '1965-08-01', '1965-08-01T10:00:00Z']) expect((await fa.editFile(X, 'date', good)).kept).toBe(good);
    await expect(fa.editFile('/home/nodeA/books/nothing.txt', 'title', 'x')).rejects.toThrow(/not described/);
    expect(await fa.editFile(X, 'creator', 'Frank Herbert; Brian Herbert')).toMatchObject({ kept: 'Brian Herbert; Frank Herbert', written: true });
    expect(await fa.editFile(X, 'date', '1965')).toMatchObject({ written: true });
    const share = graphIri('nodeA', 'share/books');
    const names = a.match(namedNode(X), DCTERMS('creator'), null, share).flatMap((q) => a.match(q.object as never, FOAF('name'), null, share).map((n) => n.object.value));
    expect(names.sort()).toEqual(['Brian Herbert', 'Frank Herbert']);
  });
});
