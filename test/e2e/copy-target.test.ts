// E2E with the real CLI: two `semsync start` processes on 127.0.0.1 (no mDNS); B keeps a folder as a copy of A's
// share (`semsync target add DIR --peer A --share Docs`), follows A's additions, edits and removals; removals go to
// the trash and `semsync target restore` brings them back.
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, killAllNodes, ok, run, startNode, stopNode, until, type RunningNode } from '../helpers/nodes.js';

const temps: string[] = [];
let oldXdg: string | undefined;

async function tree(root: string, rel = ''): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const e of await readdir(path.join(root, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (r === '.semsync') continue;
    if (e.isDirectory()) Object.assign(out, await tree(root, r));
    else out[r] = (await readFile(path.join(root, r))).toString('base64');
  }
  return out;
}
const same = async (a: string, b: string) => JSON.stringify(await tree(a)) === JSON.stringify(await tree(b));

afterAll(async () => {
  killAllNodes();
  if (oldXdg === undefined) delete process.env.XDG_DATA_HOME;
  else process.env.XDG_DATA_HOME = oldXdg;
  for (const d of temps) await rm(d, { recursive: true, force: true });
});

describe('a copy target through the CLI', () => {
  let a: RunningNode;
  let b: RunningNode;
  let work: string;
  let docs: string;
  let copy: string;

  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'semsync-copytarget-'));
    temps.push(work);
    oldXdg = process.env.XDG_DATA_HOME;
    process.env.XDG_DATA_HOME = path.join(work, 'xdg'); // B's trash (the nodes inherit it)
    docs = path.join(work, 'docs');
    copy = path.join(work, 'copy');
    for (let d = 0; d < 3; d++) {
      await mkdir(path.join(docs, `d${d}`, 'sub'), { recursive: true });
      for (let f = 0; f < 5; f++) await writeFile(path.join(docs, `d${d}`, f % 2 ? 'sub' : '', `f${f}.bin`), randomBytes(2000 + f * 3000));
    }
    const [ha, hb] = [path.join(work, 'A'), path.join(work, 'B')];
    await ok(ha, 'share', 'add', docs, '--name', 'Docs');
    [a, b] = await Promise.all([startNode(ha, { echoStderr: true }), startNode(hb, { echoStderr: true })]);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([a, b].filter(Boolean).map((n) => stopNode(n)));
  });

  it('refuses bad input with exit 2', async () => {
    expect((await run(b.home, 'target', 'add', copy, '--peer', 'not-a-peer', '--share', 'Docs')).code).toBe(2);
    expect((await run(b.home, 'target', 'add', copy, '--peer', a.peerId)).code).toBe(2);
    expect((await run(b.home, 'target', 'add', copy, '--peer', a.peerId, '--share', 'Docs', '--mirror')).code).toBe(2);
  }, 60_000);

  it('B fills the folder in A\'s layout and follows additions, edits and removals; removals go to the trash and come back', async () => {
    await ok(a.home, 'pair', b.peerId, '--addr', b.addr);
    await ok(a.home, 'share', 'grant', 'Docs', b.peerId);
    await ok(b.home, 'pair', a.peerId, '--addr', a.addr);
    expect(await ok(b.home, 'target', 'add', copy, '--peer', a.peerId, '--share', 'Docs', '--name', 'docs')).toContain('copy target docs');
    const list = await json<Array<{ name: string; peer?: string }>>(b.home, 'target', 'list', '--json');
    expect(list).toEqual([expect.objectContaining({ name: 'docs', peer: a.peerId })]);
    await until(() => same(docs, copy), 120_000, 'the copy to match A\'s share');
    await until(async () => b.out.some((l) => /^copy docs: \d+ fetched/.test(l)), 30_000, 'B to say what the copy did');

    // A adds, edits and removes (its node is watching the share)
    await writeFile(path.join(docs, 'd0', 'new.bin'), randomBytes(5000));
    await writeFile(path.join(docs, 'd1', 'f0.bin'), randomBytes(7000));
    await rm(path.join(docs, 'd2', 'f2.bin'));
    await until(() => same(docs, copy), 120_000, 'the copy to follow A\'s changes');

    // the edit's old version and the removed file are in B's trash, and come back
    const listed = await ok(b.home, 'target', 'restore', 'docs');
    expect(listed).toContain('d2/f2.bin');
    expect(listed).toContain('d1/f0.bin');
    await rm(path.join(copy, 'd1', 'f0.bin')); // make room for the old version (a restore never overwrites)
    const restored = await ok(b.home, 'target', 'restore', 'docs', '--all');
    expect(restored).toContain('restored d2/f2.bin');
    expect((await lstat(path.join(copy, 'd2', 'f2.bin'))).isFile()).toBe(true);
    // a restored file is the person's: the node leaves it there although A no longer has it
    await new Promise((r) => setTimeout(r, 1500));
    expect((await lstat(path.join(copy, 'd2', 'f2.bin'))).isFile()).toBe(true);
  }, 300_000);
});
