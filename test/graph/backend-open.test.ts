// Choosing the backend once, on open (backend-open.ts, store-options.ts): reach-only for a query's reach; paged when
// the snapshot is indexed and holds more than pagedAbove statements (the option, else $SEMSYNC_PAGED_ABOVE); else whole.
import { afterEach, describe, expect, it } from 'vitest';
import { openBackend } from '../../src/graph/backend-open.js';
import type { OpenedBackend } from '../../src/graph/backend.js';
import { queryReach } from '../../src/graph/reach.js';
import { GraphStore } from '../../src/graph/store.js';
import { pagedAbove } from '../../src/graph/store-options.js';
import { adds, tempDir } from './helpers.js';

const opened: OpenedBackend[] = [];
afterEach(async () => {
  for (const o of opened.splice(0)) {
    o.backend.close();
    await o.replayed.log.close();
  }
});

async function mode(dir: string, opts: Parameters<typeof openBackend>[1]): Promise<string> {
  const o = await openBackend(dir, opts);
  opened.push(o);
  return o.backend.mode;
}

describe('openBackend', () => {
  it('chooses by the snapshot on disk and the options', async () => {
    const dir = tempDir('open-backend');
    expect(await mode(dir, { dir, nodeId: 'nodeA', pagedAbove: 0 })).toBe('whole'); // no snapshot yet
    await opened.pop()!.replayed.log.close();
    const s = await GraphStore.open({ dir, nodeId: 'nodeA' });
    await s.commit(adds(0, 10));
    await s.snapshot();
    await s.close();
    const opts = { dir, nodeId: 'nodeA' };
    for (const [o, want] of [[{ pagedAbove: 10 }, 'whole'], [{ pagedAbove: 9 }, 'paged'], [{ pagedAbove: 0, reach: queryReach('ASK { ?s <http://purl.org/dc/terms/title> ?o }')! }, 'reach']] as const) {
      expect(await mode(dir, { ...opts, ...o })).toBe(want);
      const last = opened.pop()!;
      last.backend.close();
      await last.replayed.log.close();
    }
  });

  it('takes pagedAbove from the option, else the environment, else 500,000', () => {
    const env = process.env.SEMSYNC_PAGED_ABOVE;
    try {
      process.env.SEMSYNC_PAGED_ABOVE = '7';
      expect(pagedAbove({})).toBe(7);
      expect(pagedAbove({ pagedAbove: 3 })).toBe(3);
      process.env.SEMSYNC_PAGED_ABOVE = 'lots';
      expect(pagedAbove({})).toBe(500_000);
      delete process.env.SEMSYNC_PAGED_ABOVE;
      expect(pagedAbove({})).toBe(500_000);
    } finally {
      if (env === undefined) delete process.env.SEMSYNC_PAGED_ABOVE;
      else process.env.SEMSYNC_PAGED_ABOVE = env;
    }
  });
});
