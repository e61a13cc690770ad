// The reach-only backend (backend-reach.ts): a store for one query loads only the statements of the predicates it
// reaches, from the snapshot and from the log after it, and answers that query as the whole store does.
import { afterEach, describe, expect, it } from 'vitest';
import n3 from 'n3';
import { queryReach } from '../../src/graph/reach.js';
import { GraphStore } from '../../src/graph/store.js';
import { G, adds, tempDir } from './helpers.js';

const { namedNode, literal, quad } = n3.DataFactory;
const QUERY = 'SELECT ?s WHERE { ?s <http://purl.org/dc/terms/title> ?t }';

const open: GraphStore[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close().catch(() => undefined);
});

describe('the reach-only backend', () => {
  it('loads only what the query reaches, log included, and answers it as the whole store does', async () => {
    const dir = tempDir('reach-backend');
    const s = await GraphStore.open({ dir, nodeId: 'nodeA' });
    const other = (i: number) => ({ op: 'A' as const, quad: quad(namedNode(`http://ex.org/thing/${i}`), namedNode('http://ex.org/size'), literal(String(i)), G) });
    await s.commit([...adds(0, 10), ...[0, 1, 2, 3].map(other)]);
    await s.snapshot();
    await s.commit([...adds(10, 12), other(10)]);
    const whole = s.query(QUERY, { format: 'csv' }).serialized!.split('\r\n').sort();
    await s.close();
    const r = await GraphStore.open({ dir, nodeId: 'nodeA', reach: queryReach(QUERY)! });
    open.push(r);
    expect(r.partial).toBe(true);
    expect(r.size).toBe(12); // the titles only
    expect(r.query(QUERY, { format: 'csv' }).serialized!.split('\r\n').sort()).toEqual(whole);
    expect(() => r.match()).toThrow(/opened for one query/);
  });
});
