// The dashboard follows the store's commit event instead of comparing version vectors (dashboard.ts,
// dashboard-state.ts): the event stream sends `graph` after commits, a device's preview is kept until the next
// commit, and no listener is left on the store once a page leaves or the dashboard closes.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphStore } from '../../src/graph/store.js';
import { DashboardState } from '../../src/server/dashboard-state.js';
import { dashboardRoutes } from '../../src/server/dashboard.js';
import type { CsrfGuard } from '../../src/server/http.js';
import type { NodeApi } from '../../src/node/api.js';
import type { SemsyncNode } from '../../src/node/node.js';
import { adds } from '../graph/helpers.js';

let dir: string;
let store: GraphStore;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'semsync-dashboard-'));
  store = await GraphStore.open({ dir: path.join(dir, 'store'), nodeId: 'nodeA' });
});
afterAll(async () => {
  await store?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** A dashboard state over the real store, with an API that counts dry runs and a small state. */
function dashboard(): { state: DashboardState; dryRuns: () => number } {
  let runs = 0;
  const api = { place: async () => (runs++, { planned: [], bytes: 0, operations: [], skipped: [] }) } as unknown as NodeApi;
  const state = new DashboardState({ node: { store } as unknown as SemsyncNode, api, startedAt: Date.now() });
  state.state = async () => ({ versionVector: store.versionVector() });
  return { state, dryRuns: () => runs };
}

/** Reads server-sent events from a response body: the next event's name and data. */
function events(body: ReadableStream<Uint8Array>): { next(): Promise<{ event: string; data: string }>; cancel(): Promise<void> } {
  const reader = body.getReader();
  let buffer = '';
  return {
    async next() {
      for (;;) {
        const end = buffer.indexOf('\n\n');
        if (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const field = (name: string) => [...block.matchAll(/^(\w+): ?(.*)$/gm)].find((m) => m[1] === name)?.[2] ?? '';
          return { event: field('event'), data: field('data') };
        }
        const { value, done } = await reader.read();
        if (done) throw new Error('the event stream ended');
        buffer += new TextDecoder().decode(value);
      }
    },
    cancel: () => reader.cancel(),
  };
}

describe('the dashboard and the store\'s commits', () => {
  it('keeps a preview until the next commit, and stops listening when closed', async () => {
    const before = store.events.listenerCount('commit');
    const { state, dryRuns } = dashboard();
    await state.preview('dev1');
    await state.preview('dev1');
    expect(dryRuns()).toBe(1);
    await store.commit(adds(0, 1));
    await state.preview('dev1');
    expect(dryRuns()).toBe(2);
    expect(store.events.listenerCount('commit')).toBe(before + 1);
    state.close();
    expect(store.events.listenerCount('commit')).toBe(before);
  });

  it("sends the graph's version first and after each commit, and leaves no listener when the page goes", async () => {
    const before = store.events.listenerCount('commit');
    const { state } = dashboard();
    const app = new Hono();
    const routes = dashboardRoutes(app, {} as CsrfGuard, state);
    const res = await app.request('/events');
    const stream = events(res.body!);
    expect((await stream.next()).event).toBe('state');
    expect(await stream.next()).toEqual({ event: 'graph', data: JSON.stringify(store.versionVector()) });
    expect(store.events.listenerCount('commit')).toBe(before + 1);
    await store.commit(adds(10, 11));
    const want = JSON.stringify(store.versionVector());
    let got = await stream.next();
    while (got.event !== 'graph') got = await stream.next(); // the state (its version vector) comes first
    expect(got.data).toBe(want);
    await stream.cancel();
    routes.close();
    for (let i = 0; i < 100 && store.events.listenerCount('commit') !== before; i++) await new Promise((r) => setTimeout(r, 20));
    expect(store.events.listenerCount('commit')).toBe(before);
  });
});
