// The node's PIM files (HOME/pim/*.json) survive concurrent writers: two writes of one file never share a temp name
// (a running node crashed with ENOENT on rename when a resync acknowledgement and an admission check wrote state.json at once).
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { SemsyncNode } from '../../src/node/node.js';
import { NodePim } from '../../src/node/pim.js';

const peers = ['12D3KooWEUXu6UT1CjGMNvSAHTBomMsGak9sAb6nici6fhgCjLTn', '12D3KooWCr94Gv5sdYmDK1QWhtpU7rW1taTSFaV6FKs5ZWF4jgkM', '12D3KooWJeD5RjWEgoZYQ9ykSCnTPgNVMWnbCYJ9AAhUaMrZ8KiV', '12D3KooWRAU9unqJEtqwxRJ3EPq2q4vbQq5B2fK9X2qsNdRsCLHR'];
let base: string | undefined;
afterAll(async () => {
  if (base) await rm(base, { recursive: true, force: true });
});

it('sets several policies at once without failing a rename', async () => {
  base = await mkdtemp(path.join(os.tmpdir(), 'semsync-pimfiles-'));
  const node = await SemsyncNode.open({ home: path.join(base, 'home') });
  try {
    const pim = NodePim.for(node);
    await Promise.all(peers.map((p) => pim.policySet(p, { work: true })));
    const state = JSON.parse(await readFile(path.join(node.paths.home, 'pim', 'state.json'), 'utf8')) as { resync: Record<string, number> };
    expect(Object.keys(state.resync).length).toBeGreaterThan(0);
    // Every one of the concurrent edits is kept (each used to read the file before the others wrote it).
    expect((await pim.policyList()).map((e) => e.target).sort()).toEqual([...peers].sort());
    expect(Object.keys(state.resync).sort()).toEqual([...peers].sort());
  } finally {
    await node.close();
  }
});
