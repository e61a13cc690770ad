// Issue 14, item 13: a share holding the node's own home (share ~ with the home under ~/.local/share/semsync) or another
// semsync home: the homes are skipped (said once), a rescan changes nothing, and a running node does not rescan itself forever.
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, cliSpawn, stop } from '../helpers/cli.js';

const work = mkdtempSync(path.join(tmpdir(), 'semsync-homeshare-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const user = path.join(work, 'ann'); // stands for ~
const home = path.join(user, '.local', 'share', 'semsync');
const other = path.join(user, 'old-homes', 'laptop'); // another semsync home, copied over from another machine

/** Bytes in the store folder: the change log grows at every commit. */
function storeBytes(): number {
  const dir = path.join(home, 'store');
  return readdirSync(dir, { recursive: true }).reduce<number>((n, f) => n + (statSync(path.join(dir, String(f))).isFile() ? statSync(path.join(dir, String(f))).size : 0), 0);
}

async function describedUnder(folder: string): Promise<string[]> {
  const q = await cli(home, ['query', '--format', 'json', 'SELECT ?f WHERE { ?f a nfo:FileDataObject }']);
  expect(q.code).toBe(0);
  const files = (JSON.parse(q.stdout) as { results: { bindings: Array<{ f: { value: string } }> } }).results.bindings.map((b) => decodeURIComponent(new URL(b.f.value).pathname));
  return files.filter((f) => f.startsWith(folder + path.sep));
}

describe('a semsync home inside a share', () => {
  it('refuses to share the home or a folder inside it', async () => {
    mkdirSync(path.join(user, 'Documents'), { recursive: true });
    writeFileSync(path.join(user, 'Documents', 'notes.txt'), 'notes\n');
    writeFileSync(path.join(user, 'todo.txt'), 'todo\n');
    expect((await cli(home, ['share', 'list'])).code).toBe(0); // creates the home
    expect((await cli(other, ['share', 'list'])).code).toBe(0);
    const inHome = await cli(home, ['share', 'add', path.join(home, 'store'), '--name', 'store']);
    expect(inHome.code).toBe(2);
    expect(inHome.stderr).toMatch(/this node's home \(or inside it\)/);
    expect((await cli(home, ['share', 'add', home, '--name', 'home'])).code).toBe(2);
  });

  it('a scan of the parent of the home skips both homes and says so; a second scan changes nothing', async () => {
    expect((await cli(home, ['share', 'add', user, '--name', 'ann'])).code).toBe(0);
    const first = await cli(home, ['scan']);
    expect(first.code).toBe(0);
    expect(first.stderr).toContain(`skipped: ${home}: a semsync home`);
    expect(first.stderr).toContain(`skipped: ${other}: a semsync home`);
    expect(first.stdout).toMatch(/files 2, added 2/);
    expect(await describedUnder(home)).toEqual([]);
    expect(await describedUnder(other)).toEqual([]);
    const second = await cli(home, ['scan']);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/files 2, added 0, changed 0, removed 0, errors 0/);
  });

  it('a running node does not rescan its own commits: the log stays still, and a new file is still described', async () => {
    const node = cliSpawn(home, ['start', '--no-mdns', '--listen', '/ip4/127.0.0.1/tcp/0', '--http-port', '0']);
    try {
      await node.waitFor(/ready/, 60_000);
      writeFileSync(path.join(user, 'Documents', 'new.txt'), 'new while running\n');
      const t0 = Date.now();
      while ((await describedUnder(path.join(user, 'Documents'))).length < 2 && Date.now() - t0 < 20_000) await new Promise((r) => setTimeout(r, 200));
      expect((await describedUnder(path.join(user, 'Documents'))).sort()).toEqual([path.join(user, 'Documents', 'new.txt'), path.join(user, 'Documents', 'notes.txt')]);
      // The old node committed ~8 rescans a second from here on; now nothing more is committed.
      await new Promise((r) => setTimeout(r, 1500)); // the new file's commit settles (debounce, batch)
      const before = storeBytes();
      await new Promise((r) => setTimeout(r, 3000));
      expect(storeBytes()).toBe(before);
      expect(node.output().match(/skipped .*a semsync home/g)?.length).toBe(2); // said once each
    } finally {
      await stop(node.child);
    }
  }, 90_000);
});
