// The paged backend (backend-paged.ts): opened over an indexed snapshot, it snapshots by itself once it holds
// `pagedChanges` changes, and tells another thread the snapshot it stands on with the patches that snapshot holds.
import { afterEach, describe, expect, it } from 'vitest';
import { PagedBackend } from '../../src/graph/backend-paged.js';
import { GraphStore } from '../../src/graph/store.js';
import { adds, tempDir } from './helpers.js';

const open: GraphStore[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close().catch(() => undefined);
});

async function pagedStore(pagedChanges: number): Promise<GraphStore> {
  const dir = tempDir('paged-backend');
  const s = await GraphStore.open({ dir, nodeId: 'nodeA' });
  await s.commit(adds(0, 20));
  await s.snapshot();
  await s.close();
  const p = await GraphStore.open({ dir, nodeId: 'nodeA', pagedAbove: 0, pagedChanges });
  open.push(p);
  return p;
}

describe('the paged backend', () => {
  it('writes a snapshot once it holds pagedChanges changes, and moves its snapshot forward', async () => {
    const s = await pagedStore(10);
    const first = s.pagedSnapshot!;
    expect(first.vv).toEqual({ nodeA: 1 });
    await s.commit(adds(20, 25)); // 5 changes: not yet
    expect(s.pagedSnapshot!.file).toBe(first.file);
    await s.commit(adds(25, 31)); // 11 changes: due
    const next = s.pagedSnapshot!;
    expect(next.file).not.toBe(first.file);
    expect(next).toMatchObject({ quads: 31, vv: { nodeA: 3 } });
  });

  it('is made over a snapshot just written only when it holds every statement', async () => {
    const s = await pagedStore(1000);
    expect(await PagedBackend.fromLatest(s.dir, 21, {})).toBeNull();
    const b = await PagedBackend.fromLatest(s.dir, 20, {});
    expect(b?.size).toBe(20);
    b?.close();
  });
});
