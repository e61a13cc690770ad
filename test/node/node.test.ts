// SemsyncNode's lifecycle: closing a node stops what its services started (the DAV server's background listings).
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, it, vi } from 'vitest';
import { SemsyncNode } from '../../src/node/node.js';
import { nodeDavServer } from '../../src/server/dav-mount.js';

let base: string | undefined;
afterAll(async () => {
  if (base) await rm(base, { recursive: true, force: true });
});

it('close() stops the DAV server the node built (its listener on the store and its timer)', async () => {
  base = await mkdtemp(path.join(os.tmpdir(), 'semsync-node-'));
  const node = await SemsyncNode.open({ home: path.join(base, 'home') });
  const dav = nodeDavServer(node);
  const close = vi.spyOn(dav, 'close');
  await node.close();
  expect(close).toHaveBeenCalledTimes(1);
});
