// Copy targets (src/app/share-copy.ts) against a store holding a peer's share graph: what is fetched, what is left
// alone, hostile paths refused, and removals the peer asks for going to the trash with a way back.
import { createHash } from 'node:crypto';
import { lstat, mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GraphStore } from '../../src/graph/store.js';
import { fileQuads, shareQuads } from '../../src/library/quads.js';
import { ShareCopies, type ShareCopyConfig } from '../../src/app/share-copy.js';
import { unsafeCopyPath } from '../../src/app/share-copy-plan.js';
import type { NodeConfig } from '../../src/app/config.js';

const PEER = 'peerA';
const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

let dir: string;
let store: GraphStore;
let seq = 0;
/** What the peer "has": content by hash (the fake fetch reads from here). */
let blobs: Map<string, Buffer>;
let fetched: string[];
let oldXdg: string | undefined;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'semsync-copy-'));
  oldXdg = process.env.XDG_DATA_HOME;
  process.env.XDG_DATA_HOME = path.join(dir, 'xdg');
  store = await GraphStore.open({ dir: path.join(dir, 'store'), nodeId: 'me' });
  blobs = new Map();
  fetched = [];
  seq = 0;
});
afterEach(async () => {
  await store.close();
  if (oldXdg === undefined) delete process.env.XDG_DATA_HOME;
  else process.env.XDG_DATA_HOME = oldXdg;
  await rm(dir, { recursive: true, force: true });
});

/** The peer's share graph as this node holds it after a sync: `files` maps relative path → bytes. */
async function peerSays(files: Record<string, string>): Promise<void> {
  const share = { name: 'Docs', root: '/home/a/Docs' };
  const quads = [...shareQuads(PEER, share)];
  for (const [rel, text] of Object.entries(files)) {
    const b = Buffer.from(text);
    blobs.set(sha(b), b);
    quads.push(...fileQuads(PEER, share, { path: path.posix.join(share.root, rel), relPath: rel, size: b.length, mtimeMs: 0, mime: 'text/plain', sha256: sha(b), errors: [] }));
  }
  await store.replaceAuthor(PEER, ++seq, `${1000 + seq}.0`, quads);
}

function copies(): { copies: ShareCopies; target: ShareCopyConfig } {
  const target = { name: 'docs', path: path.join(dir, 'copy'), peer: PEER, share: 'Docs' };
  const config = { nodeId: 'me', shares: [], mediaRoots: [], listen: [], http: { host: '127.0.0.1', port: 0 }, hostTargets: [], shareCopies: [target] } as NodeConfig;
  const home = { nodeId: 'me', store, paths: { home: dir, claims: path.join(dir, 'claims.json') }, config, saveConfig: async () => {} };
  const fetch = async (hash: string, out: string) => {
    fetched.push(hash);
    await writeFile(out, blobs.get(hash)!);
  };
  return { copies: new ShareCopies({ home, fetch }), target };
}

const read = (t: ShareCopyConfig, rel: string) => readFile(path.join(t.path, rel), 'utf8');

describe('copy targets', () => {
  it('fetches the share in its layout; a second run fetches nothing; files the person changed or made are left alone', async () => {
    const { copies: c, target: t } = copies();
    await mkdir(t.path, { recursive: true });
    await writeFile(path.join(t.path, 'mine.txt'), 'my own notes'); // the person's file, at a path the peer also lists
    await peerSays({ 'a/one.txt': 'one', 'a/b/two.txt': 'two', 'mine.txt': 'the peer\'s notes' });
    const r = await c.run(t);
    expect(r).toMatchObject({ listed: true, fetched: 2 });
    expect(await read(t, 'a/one.txt')).toBe('one');
    expect(await read(t, 'a/b/two.txt')).toBe('two');
    expect(await read(t, 'mine.txt')).toBe('my own notes');
    expect(r.skipped).toEqual([{ rel: 'mine.txt', reason: 'a different file is here (yours); not replaced' }]);
    fetched = [];
    expect((await c.run(t)).fetched).toBe(0);
    expect(fetched).toEqual([]);
    // The person edits a copied file; the peer then changes it too: theirs is kept, not replaced.
    await writeFile(path.join(t.path, 'a/one.txt'), 'edited here');
    await peerSays({ 'a/one.txt': 'one, v2', 'a/b/two.txt': 'two v2', 'mine.txt': 'the peer\'s notes' });
    const r2 = await c.run(t);
    expect(await read(t, 'a/one.txt')).toBe('edited here');
    expect(r2.skipped.map((s) => s.rel)).toContain('a/one.txt');
    // an untouched copy follows the peer's new version, the old one goes to the trash
    expect(await read(t, 'a/b/two.txt')).toBe('two v2');
    expect((await c.trash('docs')).map((e) => [e.path, e.reason])).toEqual([['a/b/two.txt', `replaced on ${PEER}`]]);
  });

  it('hostile paths from the peer are refused: nothing is written outside the folder, in .semsync, or through a link', async () => {
    const { copies: c, target: t } = copies();
    const outside = path.join(dir, 'outside');
    await mkdir(outside);
    await mkdir(t.path, { recursive: true });
    await symlink(outside, path.join(t.path, 'link'));
    await peerSays({ '../escape.txt': 'x', '/etc/evil': 'x', 'a/../../x': 'x', '.semsync/copy.json': '{}', 'f.semsync-part': 'x', 'link/in.txt': 'x', 'ok.txt': 'fine' });
    const r = await c.run(t);
    expect(r.fetched).toBe(1);
    expect(await read(t, 'ok.txt')).toBe('fine');
    expect(await readdir(outside)).toEqual([]);
    await expect(lstat(path.join(dir, 'escape.txt'))).rejects.toThrow();
    const why = new Map(r.skipped.map((s) => [s.rel, s.reason]));
    for (const rel of ['../escape.txt', '/etc/evil', 'a/../../x', '.semsync/copy.json', 'f.semsync-part']) expect(why.get(rel)).toMatch(/^refused: /);
    expect(why.get('link/in.txt')).toMatch(/symbolic link/);
    expect(unsafeCopyPath('a/b.txt')).toBeUndefined();
  });

  it('a peer that removes every file: untouched copies go to the trash, edited ones stay, and restore brings them back', async () => {
    const { copies: c, target: t } = copies();
    await peerSays({ 'one.txt': 'one', 'd/two.txt': 'two', 'three.txt': 'three' });
    await c.run(t);
    await writeFile(path.join(t.path, 'three.txt'), 'edited here');
    await peerSays({}); // the share is still there, with no file left in it
    const r = await c.run(t);
    expect(r.trashed).toBe(2);
    await expect(lstat(path.join(t.path, 'one.txt'))).rejects.toThrow();
    expect(await read(t, 'three.txt')).toBe('edited here');
    // in the XDG trash, where a file manager shows them, with their original place
    const info = await readdir(path.join(dir, 'xdg', 'Trash', 'info'));
    expect(info.sort()).toEqual(['one.txt.trashinfo', 'two.txt.trashinfo']);
    const back = await c.restore('docs', 'all');
    expect(back.errors).toEqual([]);
    expect(await read(t, 'one.txt')).toBe('one');
    expect(await read(t, 'd/two.txt')).toBe('two');
    // restored files are the person's: a later run leaves them (the peer still lists nothing)
    expect((await c.run(t)).trashed).toBe(0);
    expect(await read(t, 'one.txt')).toBe('one');
  });

  it('names with quotes, tabs, line breaks and non-ASCII letters arrive under the same name', async () => {
    const { copies: c, target: t } = copies();
    const names = ['we"ird\tname.txt', 'new\nline é.txt', 'ünï/ćödé 日本.txt', "it's.txt"];
    await peerSays(Object.fromEntries(names.map((n, i) => [n, `file ${i}`])));
    const r = await c.run(t);
    expect(r.skipped).toEqual([]);
    for (const [i, n] of names.entries()) expect(await read(t, n)).toBe(`file ${i}`);
  });

  it('no share graph at all (not granted yet, or revoked): nothing is touched', async () => {
    const { copies: c, target: t } = copies();
    await peerSays({ 'one.txt': 'one' });
    await c.run(t);
    await store.replaceAuthor(PEER, ++seq, `${1000 + seq}.0`, []); // the grant was revoked: the data is withdrawn
    const r = await c.run(t);
    expect(r).toMatchObject({ listed: false, trashed: 0 });
    expect(await read(t, 'one.txt')).toBe('one');
  });
});
