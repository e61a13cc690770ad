// The whole backend (backend-whole.ts): everything in memory; a store that grows past `pagedAbove` becomes paged
// after a snapshot, answering as before; a snapshot of an older format is rewritten on close.
import { afterEach, describe, expect, it } from 'vitest';
import { GraphStore } from '../../src/graph/store.js';
import { adds, tempDir } from './helpers.js';

const open: GraphStore[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close().catch(() => undefined);
});

describe('the whole backend', () => {
  it('holds everything in memory, and becomes paged once the store grows past pagedAbove', async () => {
    const s = await GraphStore.open({ dir: tempDir('whole'), nodeId: 'nodeA', pagedAbove: 50 });
    open.push(s);
    await s.commit(adds(0, 40));
    expect(s.holding).toBe(40);
    expect(s.scans).toBe(false);
    expect(s.pagedSnapshot).toBeNull();
    await s.commit(adds(40, 60)); // 60 > 50: a snapshot, then paged
    expect(s.scans).toBe(true);
    expect(s.pagedSnapshot?.quads).toBe(60);
    expect(s.pagedSnapshot?.vv).toEqual({ nodeA: 2 });
    expect(s.holding).toBe(0); // nothing loaded before it is asked for
    expect(s.size).toBe(60);
    const out = s.query('SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }');
    expect(out.kind === 'bindings' && out.rows[0].n?.value).toBe('60');
  });
});
