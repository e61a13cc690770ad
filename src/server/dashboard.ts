// The dashboard's routes: the page and its files, JSON state, covers, map outlines, SSE events, guarded actions.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Context, Hono } from 'hono';
import { streamSSE, type SSEStreamingApi } from 'hono/streaming';
import { readBody } from './body.js';
import type { CsrfGuard } from './http.js';
import type { DashboardState } from './dashboard-state.js';
import type { DashboardViews } from './dashboard-views.js';
import type { DashboardRecords } from './dashboard-records.js';

/** The page's files: next to this module in the sources, or in src/server/ui when running the compiled dist/. */
export function uiDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [path.join(here, 'ui'), path.resolve(here, '..', '..', '..', 'src', 'server', 'ui')];
  return candidates.find((d) => existsSync(path.join(d, 'index.html'))) ?? candidates[0];
}

/** A dashboard action's body is a few ids and names. */
const MAX_ACTION_BYTES = 16 * 1024;

const FILES: Record<string, string> = { 'app.js': 'text/javascript', 'style.css': 'text/css', 'map.js': 'text/javascript', 'query-error.js': 'text/javascript', 'views.js': 'text/javascript', 'dom.js': 'text/javascript', 'records.js': 'text/javascript', 'prompts.js': 'text/javascript' };

export interface DashboardRoutes {
  /** Tell open pages something changed (they get fresh state at once). */
  changed(): void;
  close(): void;
}

export function dashboardRoutes(app: Hono, guard: CsrfGuard, state: DashboardState, log?: (msg: string, f?: Record<string, unknown>) => void): DashboardRoutes {
  const dir = uiDir();
  const listeners = new Set<() => void>();
  const changed = () => listeners.forEach((f) => f());
  let closed = false;

  app.get('/', async (c) => {
    const token = guard.session(c);
    const html = await readFile(path.join(dir, 'index.html'), 'utf8');
    c.header('content-security-policy', "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'");
    c.header('cache-control', 'no-store');
    return c.html(html.replace('{{CSRF}}', token));
  });
  app.get('/ui/:file', async (c) => {
    const name = c.req.param('file');
    const type = FILES[name];
    if (!type) return c.text('not found\n', 404);
    c.header('content-type', `${type}; charset=utf-8`);
    return c.body(await readFile(path.join(dir, name), 'utf8'));
  });
  app.get('/api/state', async (c) => c.json(await state.state()));
  app.get('/api/library', (c) => c.json(state.library()));
  app.get('/api/devices/:id/preview', async (c) => c.json(await state.preview(c.req.param('id'))));
  app.get('/cover/:hash', async (c) => {
    const cover = await state.cover(c.req.param('hash'));
    if (!cover) return c.text('no cover\n', 404);
    c.header('content-type', cover.type);
    c.header('cache-control', 'private, max-age=3600');
    return c.body(new Uint8Array(cover.bytes));
  });
  app.get('/api/outlines', async (c) => {
    const d = await outlines();
    return d ? c.json(d) : c.json({ error: 'country outlines need the packages world-atlas, topojson-client and d3-geo' }, 404);
  });

  app.get('/events', (c) => streamSSE(c, (stream) => sendEvents(stream, state, listeners, () => closed)));

  const action = (fn: (body: Record<string, string>) => Promise<unknown>) => async (c: Context) => {
    const refused = guard.check(c);
    if (refused) return c.json({ ok: false, error: refused }, 403);
    const text = await readBody(c, MAX_ACTION_BYTES);
    if (text === 'too-large') return c.json({ ok: false, error: `the request is larger than ${MAX_ACTION_BYTES} bytes` }, 413);
    let body: Record<string, string>;
    try {
      body = JSON.parse(text) as Record<string, string>;
      if (!body || typeof body !== 'object' || Array.isArray(body)) throw new Error('not an object');
    } catch {
      return c.json({ ok: false, error: 'send a JSON object' }, 400);
    }
    try {
      const result = await fn(body);
      log?.('dashboard action', { path: c.req.path, body });
      changed();
      return c.json({ ok: true, result: result ?? null });
    } catch (err) {
      return c.json({ ok: false, error: (err as Error).message }, 400);
    }
  };
  app.post('/api/dav-client-sync', action((b) => state.davClientSync(b.name)));
  app.post('/api/pair', action((b) => state.pair(b.peerId, b.name || undefined)));
  app.post('/api/unpair', action((b) => state.unpair(b.peerId)));
  app.post('/api/grant', action((b) => state.grant(b.share, b.peerId, String(b.on) !== 'false')));
  app.post('/api/claim', action((b) => state.claim(b.deviceId, b.name || undefined)));
  app.post('/api/claim-as', action((b) => state.prompts.claimAs(b.deviceId, b.what, b.name)));
  app.post('/api/pair-as', action((b) => state.prompts.pairAs(b.peerId, b.what, b.name)));
  viewRoutes(app, state.views, action);
  recordRoutes(app, state.records);

  return {
    changed,
    close: () => {
      closed = true;
      state.close();
      changed();
    },
  };
}

type Action = (fn: (body: Record<string, string>) => Promise<unknown>) => (c: Context) => Promise<Response>;

/** Conflicts, recent changes with undo, adding a share, a host target, a DAV account, a peer policy: reads, and actions behind the guard. */
function viewRoutes(app: Hono, views: DashboardViews, action: Action): void {
  app.get('/api/conflicts', async (c) => c.json(await views.conflicts()));
  app.get('/api/changes', async (c) => {
    const limit = Math.min(Math.max(Number(c.req.query('limit')) || 20, 1), 200);
    return c.json(await views.changes(limit, c.req.query('all') === '1'));
  });
  app.get('/api/policies', async (c) => c.json(await views.policies()));
  app.post('/api/conflict-resolve', action((b) => views.conflictResolve(b.id, b.keep, b.value)));
  app.post('/api/undo', action((b) => views.undo(b.change, String(b.dryRun) === 'true')));
  app.post('/api/undo-peer', action((b) => views.undoPeer(b.peer, b.since, String(b.dryRun) === 'true')));
  app.post('/api/share-add', action((b) => views.shareAdd(b.folder, b.name)));
  app.post('/api/target-add', action((b) => views.targetAdd(b.dir, b.name, b.mirror)));
  app.post('/api/policy-set', action((b) => views.policySet(b.target, b.policy)));
  app.post('/api/dav-add', action((b) => views.davAdd(b)));
}

/** Contacts and calendars: a search, and one record (its fields, history and where it may go). */
function recordRoutes(app: Hono, records: DashboardRecords): void {
  app.get('/api/records', (c) => c.json(records.search(c.req.query('q') ?? '', 100)));
  app.get('/api/record', async (c) => {
    try {
      return c.json(await records.detail(c.req.query('item')));
    } catch (err) {
      return c.json({ error: (err as Error).message }, 404);
    }
  });
}

/**
 * One page's event stream: `state` when what the page shows changed (looked at on every poke and each second: the
 * node's uptime, peers and devices change without a commit), `graph` (the version vector) after the store's commits.
 */
async function sendEvents(stream: SSEStreamingApi, state: DashboardState, listeners: Set<() => void>, closed: () => boolean): Promise<void> {
  let last = '';
  let graphChanged = true; // the page's first state is followed by the graph's version
  let wake: (() => void) | undefined;
  const poke = () => wake?.();
  listeners.add(poke);
  const offCommit = state.onCommit(() => void (graphChanged = true));
  stream.onAbort(() => {
    listeners.delete(poke);
    offCommit();
  });
  try {
    while (!stream.aborted && !closed()) {
      const graphDue = graphChanged; // cleared before the state is read: a commit meanwhile is sent next time round
      graphChanged = false;
      const s = await state.state();
      const text = JSON.stringify(s);
      if (text !== last) {
        last = text;
        await stream.writeSSE({ event: 'state', data: text });
      }
      if (graphDue) {
        await stream.writeSSE({ event: 'graph', data: JSON.stringify(s.versionVector) });
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, 1000);
      });
    }
  } finally {
    listeners.delete(poke);
    offCommit();
  }
}

let outlinesCache: Promise<unknown> | undefined;

/** Country outlines as SVG path data in an equirectangular 360x180 frame, when the packages are installed. */
function outlines(): Promise<unknown> {
  outlinesCache ??= (async () => {
    try {
      const load = (name: string) => import(name) as Promise<Record<string, unknown>>;
      const [geo, topo] = await Promise.all([load('d3-geo'), load('topojson-client')]);
      const world = JSON.parse(await readFile(fileURLToPath(import.meta.resolve('world-atlas/countries-110m.json')), 'utf8'));
      const feature = (topo.feature as (t: unknown, o: unknown) => unknown)(world, world.objects.countries);
      const projection = (geo.geoEquirectangular as () => { scale(n: number): { translate(t: number[]): unknown } })().scale(180 / Math.PI).translate([180, 90]);
      const pathFn = (geo.geoPath as (p: unknown) => (f: unknown) => string)(projection);
      return { width: 360, height: 180, d: pathFn(feature) };
    } catch {
      return undefined;
    }
  })();
  return outlinesCache;
}
