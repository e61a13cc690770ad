// The CalDAV/CardDAV server: routes requests (Fetch API Request → Response) under /dav/ to PROPFIND, REPORT, GET, PUT, DELETE; Basic auth per account.
import type { MergedView, PimKindName, PimStore } from '../../pim/index.js';
import { MergedViews } from './views.js';
import { BackgroundPass, type BackgroundOptions } from './background.js';
import type { Patch, VersionVector } from '../../graph/types.js';
import { viaOf, withChannel } from '../../graph/index.js';
import { DavAccounts, DavAuth, type ServedAccount } from './accounts.js';
import { deleteResource, putResource } from './write.js';
import { freeBusy, report } from './report.js';
import { listing, textAs, TextCache, type Listing } from './resources.js';
import { acceptedVcard } from './vcard.js';
import { AccountStates, observe, syncToken, touch, type AccountState } from './state.js';
import { collectionsOf, forgetCollection, kindOf, makeCollection, memberOf, part, proppatch } from './collections.js';
import { bodyText, xmlBody } from './body.js';
import { writeItems } from '../../pim/index.js';
import { collectionHref, requested, resourceAnswers, response, type PropContext, type Target } from './props.js';
import { DavRequestError, el, errorBody, esc, multistatus, NS } from './xml.js';

export interface DavServerOptions {
  /** The node's store; with `patchesSince` (GraphStore has it) a change to contacts does not rebuild the calendar's listings. */
  store: PimStore & { patchesSince?(vv: VersionVector): Patch[] | null };
  /** The node's home: accounts and per-account state live in HOME/dav-server/. */
  home: string;
  /** Where the tree is mounted (default `/dav/`). */
  prefix?: string;
  /** Largest PUT body (default 1 MiB); larger: 413. */
  maxBody?: number;
  /** Largest PROPFIND/REPORT body (default 256 KiB). */
  maxXml?: number;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
  /**
   * Every account's listings are made in the background this long after the server is made (default 1000 ms) and
   * `warmAfterCommitMs` after the store's commits, so a client's first request finds them made (negative: never).
   */
  warmAfterMs?: number;
  /**
   * Delay from a commit to the background listings (default 250 ms: a phone syncing right after a change finds them
   * made; commits within it share one; a listing after a small change remakes only the changed items). While commits
   * keep coming it is at least four times the last pass's duration (at most 5 s; `background.ts`).
   */
  warmAfterCommitMs?: number;
}

const ALLOW = 'OPTIONS, GET, HEAD, PUT, DELETE, PROPFIND, PROPPATCH, REPORT, MKCALENDAR, MKCOL';

/** A path under the prefix; `coll` is a collection's segment, whose kind the account's state tells. */
type Path = { depth: 0 } | { depth: 1; account: string } | { depth: 2; account: string; coll: string } | { depth: 3; account: string; coll: string; name: string };

/** The kind of the account's collection `coll` (404 when it has none of that name). */
function kindIn(s: AccountState, coll: string): PimKindName {
  const kind = kindOf(s, coll);
  if (!kind) throw new DavRequestError(`${coll}: no such collection`, 404);
  return kind;
}

export class DavServer {
  readonly prefix: string;
  readonly accounts: DavAccounts;
  private readonly auth: DavAuth;
  private readonly states: AccountStates;
  private readonly cache = new TextCache();
  /** account/kind → the listing made at a store version (reads between two commits reuse it; a write drops it). */
  private readonly listings = new Map<string, { vv: VersionVector; conf: string; list: Listing }>();
  private readonly views: MergedViews;
  private readonly maxBody: number;
  private readonly maxXml: number;

  constructor(private readonly opts: DavServerOptions) {
    this.prefix = opts.prefix ?? '/dav/';
    this.accounts = new DavAccounts(opts.home);
    this.auth = new DavAuth(this.accounts);
    this.states = new AccountStates(opts.home);
    this.views = new MergedViews(opts.store);
    this.maxBody = opts.maxBody ?? 1024 * 1024;
    this.maxXml = opts.maxXml ?? 256 * 1024;
    const events = (opts.store as { events?: BackgroundOptions['events'] }).events;
    this.background = new BackgroundPass(() => this.warm(), { startMs: opts.warmAfterMs ?? 1000, afterCommitMs: opts.warmAfterCommitMs ?? 250, events, log: opts.log });
  }

  private readonly background: BackgroundPass;

  /** Makes every account's listings at the store's current version (what a client's next request would make). */
  async warm(): Promise<void> {
    for (const a of await this.accounts.list()) {
      for (const kind of ['calendar', 'contacts'] as const) await this.states.with(a.name, a.created, async (s) => ({ value: undefined, changed: this.view(a, s, kind).changed }));
    }
  }

  /** Stops the background listings. */
  close(): void {
    this.background.close();
  }

  /** Answers one request; `remote` (the client's address) keys the failed-login back-off. */
  async handle(req: Request, remote = ''): Promise<Response> {
    const url = new URL(req.url);
    if (/^\/\.well-known\/(caldav|carddav)\/?$/.test(url.pathname)) return new Response(null, { status: 301, headers: { location: this.prefix } });
    if (req.method === 'OPTIONS') return new Response(null, { status: 200, headers: { dav: '1, 3, calendar-access, addressbook, extended-mkcol', allow: ALLOW } });
    const who = await this.auth.check(req.headers.get('authorization') ?? undefined, remote);
    if (!who) return new Response('sign in with an account made by `semsync dav serve add NAME`\n', { status: 401, headers: { 'www-authenticate': 'Basic realm="semsync", charset="UTF-8"' } });
    if ('wait' in who) return new Response('too many failed sign-ins: wait\n', { status: 429, headers: { 'retry-after': String(who.wait) } });
    try {
      const device = req.headers.get('user-agent') ?? '';
      await this.states.with(who.account.name, who.account.created, async (s) => ({ value: undefined, changed: touch(s, device) }));
      return await this.route(req, url, who.account);
    } catch (err) {
      if (err instanceof DavRequestError) {
        this.opts.log?.('dav request refused', { method: req.method, path: url.pathname, status: err.status, reason: err.message });
        if (err.precondition) return new Response(errorBody(err.precondition.ns, err.precondition.name), { status: err.status, headers: { 'content-type': 'application/xml; charset=utf-8', 'x-semsync-reason': encodeURIComponent(err.message) } });
        return new Response(err.message + '\n', { status: err.status });
      }
      throw err;
    }
  }

  private parsePath(pathname: string): Path {
    if (!pathname.startsWith(this.prefix)) {
      if (pathname + '/' === this.prefix) return { depth: 0 };
      throw new DavRequestError('not found', 404);
    }
    const segs = pathname.slice(this.prefix.length).split('/');
    if (segs[segs.length - 1] === '') segs.pop();
    const names = segs.map((s) => {
      let d: string;
      try {
        d = decodeURIComponent(s);
      } catch {
        throw new DavRequestError(`bad path segment ${JSON.stringify(s)}`, 400);
      }
      if (d === '' || d === '.' || d === '..' || /[/\\\0]/.test(d)) throw new DavRequestError(`bad path segment ${JSON.stringify(s)}`, 400);
      return d;
    });
    if (names.length === 0) return { depth: 0 };
    if (names.length === 1) return { depth: 1, account: names[0] };
    if (names.length > 3) throw new DavRequestError('not found', 404);
    if (names.length === 2) return { depth: 2, account: names[0], coll: names[1] };
    return { depth: 3, account: names[0], coll: names[1], name: names[2] };
  }

  private async route(req: Request, url: URL, account: ServedAccount): Promise<Response> {
    const path = this.parsePath(url.pathname);
    if (path.depth > 0 && (path as { account: string }).account !== account.name) throw new DavRequestError("another account's data", 403);
    const ctx: PropContext = { prefix: this.prefix, account: account.name, maxBody: this.maxBody };
    switch (req.method) {
      case 'PROPFIND':
        return this.propfind(req, path, account, ctx);
      case 'REPORT':
        if (path.depth !== 2) throw new DavRequestError('REPORT on a collection', 403, { ns: NS.dav, name: 'supported-report' });
        return this.report(req, path.coll, account, ctx);
      case 'GET':
      case 'HEAD':
        return this.get(req, path, account);
      case 'PUT':
        if (path.depth !== 3) throw new DavRequestError('PUT a resource inside /dav/ACCOUNT/calendar/ or /contacts/', 405);
        return this.put(req, path, account);
      case 'DELETE':
        if (path.depth === 2) return this.deleteCollection(path.coll, account);
        if (path.depth !== 3) throw new DavRequestError('the account and its home cannot be deleted', 403);
        return this.delete(req, path, account);
      case 'PROPPATCH':
        if (path.depth === 2) return this.proppatchCollection(req, path.coll, account, ctx);
        return this.proppatch(req, url.pathname);
      case 'MKCALENDAR':
      case 'MKCOL':
        if (path.depth === 3) throw new DavRequestError('a calendar or address book holds no collections', 403);
        if (path.depth !== 2) throw new DavRequestError('this collection exists', 405, undefined);
        return this.mkcol(req, path.coll, account);
      default:
        return new Response(`${req.method} is not supported\n`, { status: 405, headers: { allow: ALLOW } });
    }
  }

  /** The account's view of a collection, recorded in its change log (the token moves only when what it sees moves). */
  private view(account: ServedAccount, s: AccountState, kind: PimKindName, fresh = false): { list: Listing; changed: boolean } {
    const id = `${account.name}/${kind}`;
    const vv = this.opts.store.versionVector();
    const conf = `${JSON.stringify(account.policy ?? null)}|${account.created}`;
    const hit = this.listings.get(id);
    // The merged view is the same object while nothing of the kind changed (views.ts): then so is the listing.
    const merged = this.merged(kind, vv);
    if (hit && !fresh && hit.conf === conf && hit.list.view === merged) {
      hit.vv = vv;
      return { list: hit.list, changed: false };
    }
    const onError = (master: string, err: Error) => this.opts.log?.('dav: item left out, it cannot be exported', { master, err: err.message });
    const prev = hit?.conf === conf ? hit.list : undefined;
    const list = listing(this.opts.store, kind, account.name, account.policy, s, this.cache, onError, merged, prev);
    this.listings.set(id, { vv, conf, list });
    let changed = false;
    for (const coll of collectionsOf(s, kind)) {
      const members = part(list, s, coll).byName;
      changed = observe((s.collections[coll] ??= { counter: 0, items: {}, removed: {} }), new Map([...members.values()].map((r) => [r.name, r.etag]))) || changed;
    }
    // What this account wrote, the names it chose and where it put them are kept only for items that still exist.
    for (const master of new Set([...Object.keys(s.written), ...Object.keys(s.names), ...Object.keys(s.member ?? {})])) {
      const item = list.view.items.get(master);
      if (list.view.kind === kindOfMaster(master) && (!item || item.deleted)) {
        delete s.written[master];
        delete s.names[master];
        delete s.member?.[master];
        changed = true;
      }
    }
    return { list, changed };
  }

  /** The merged view of a kind at a store version, shared by every account. */
  private merged(kind: PimKindName, vv: VersionVector): MergedView {
    return this.views.view(kind, vv);
  }

  private collectionTarget(s: AccountState, kind: PimKindName, coll: string): Target {
    const log = s.collections[coll];
    return { type: 'collection', kind, coll, ctag: `${s.epoch}-${log.counter}`, token: syncToken(s, log, coll), set: s.props?.[coll] };
  }

  /** One collection of the account: its kind, and its part of the kind's listing. */
  private collection(account: ServedAccount, s: AccountState, coll: string): { kind: PimKindName; list: Listing; all: Listing; changed: boolean } {
    const kind = kindIn(s, coll);
    const v = this.view(account, s, kind);
    return { kind, list: part(v.list, s, coll), all: v.list, changed: v.changed };
  }

  private async propfind(req: Request, path: Path, account: ServedAccount, ctx: PropContext): Promise<Response> {
    const body = await xmlBody(req, this.maxXml);
    const { props, names } = requested(body);
    const depth = (req.headers.get('depth') ?? '1') === '0' ? 0 : 1;
    const text = await this.states.with(account.name, account.created, async (s) => {
      const out: string[] = [];
      let changed = false;
      const coll = (name: string, members: boolean) => {
        const v = this.collection(account, s, name);
        changed ||= v.changed;
        out.push(response(ctx, this.collectionTarget(s, v.kind, name), props, names));
        if (!members) return;
        const answer = resourceAnswers(ctx, v.kind, name, props, names);
        for (const res of v.list.byName.values()) out.push(answer(res));
      };
      if (path.depth === 0) {
        out.push(response(ctx, { type: 'root' }, props, names));
        if (depth) out.push(response(ctx, { type: 'home' }, props, names));
      } else if (path.depth === 1) {
        out.push(response(ctx, { type: 'home' }, props, names));
        if (depth) for (const kind of ['calendar', 'contacts'] as const) for (const name of collectionsOf(s, kind)) coll(name, false);
      } else if (path.depth === 2) coll(path.coll, depth === 1);
      else {
        const v = this.collection(account, s, path.coll);
        changed = v.changed;
        const res = v.list.byName.get(path.name);
        if (!res) throw new DavRequestError(`${path.name}: no such resource`, 404);
        out.push(response(ctx, { type: 'resource', kind: v.kind, coll: path.coll, res }, props, names));
      }
      return { value: multistatus(out), changed };
    });
    return xmlResponse(text);
  }

  private async report(req: Request, coll: string, account: ServedAccount, ctx: PropContext): Promise<Response> {
    const body = await xmlBody(req, this.maxXml);
    if (!body) throw new DavRequestError('REPORT needs a body');
    const out = await this.states.with<{ ics?: string; xml?: string }>(account.name, account.created, async (s) => {
      const v = this.collection(account, s, coll);
      if (body.ns === NS.cal && body.name === 'free-busy-query' && v.kind === 'calendar') return { value: { ics: freeBusy(v.list, body) }, changed: v.changed };
      return { value: { xml: report({ ctx, kind: v.kind, coll, list: v.list, state: s, log: s.collections[coll], body }) }, changed: v.changed };
    });
    if (out.ics !== undefined) return new Response(out.ics, { status: 200, headers: { 'content-type': 'text/calendar; charset=utf-8' } });
    return xmlResponse(out.xml ?? '');
  }

  private async get(req: Request, path: Path, account: ServedAccount): Promise<Response> {
    if (path.depth !== 3) return new Response(req.method === 'HEAD' ? null : 'semsync CalDAV/CardDAV: add this address to your calendar or contacts app\n', { status: 200, headers: { 'content-type': 'text/plain; charset=utf-8' } });
    const { res, kind } = await this.states.with(account.name, account.created, async (s) => {
      const v = this.collection(account, s, path.coll);
      return { value: { res: v.list.byName.get(path.name), kind: v.kind }, changed: v.changed };
    });
    if (!res) throw new DavRequestError(`${path.name}: no such resource`, 404);
    if (kind === 'calendar') return new Response(req.method === 'HEAD' ? null : res.text, { status: 200, headers: { 'content-type': 'text/calendar; charset=utf-8', etag: res.etag } });
    // One ETag for every version of a contact: it names the stored state, so If-Match works whichever version was read.
    const version = acceptedVcard(req.headers.get('accept'));
    if (!version) return new Response('this resource is text/vcard (version 3.0 or 4.0)\n', { status: 406 });
    const text = textAs(res, version);
    return new Response(req.method === 'HEAD' ? null : text, { status: 200, headers: { 'content-type': `text/vcard; charset=utf-8; version=${version}`, etag: res.etag, vary: 'Accept' } });
  }

  private async put(req: Request, path: Extract<Path, { depth: 3 }>, account: ServedAccount): Promise<Response> {
    const text = await bodyText(req, this.maxBody);
    const r = await withChannel(viaOf('device', `dav/${account.name}`), () => this.states.with(account.name, account.created, async (s) => {
      const { kind, all: list } = this.collection(account, s, path.coll);
      const here = list.byName.get(path.name);
      if (here && memberOf(s, kind, here.master) !== path.coll) throw new DavRequestError(`${path.name} is in the collection ${memberOf(s, kind, here.master)}`, 409);
      const out = await putResource(this.opts.store, account.policy, s, list, {
        kind,
        name: path.name,
        text,
        ifMatch: req.headers.get('if-match') ?? undefined,
        ifNoneMatch: req.headers.get('if-none-match') ?? undefined,
      }, () => this.merged(kind, this.opts.store.versionVector()));
      if (path.coll !== kind) (s.member ??= {})[out.master] = path.coll;
      else delete s.member?.[out.master];
      this.view(account, s, kind, true);
      return { value: out, changed: true };
    }));
    this.opts.log?.('dav put', { account: account.name, coll: path.coll, name: path.name, status: r.status });
    return new Response(null, { status: r.status, headers: r.etag ? { etag: r.etag } : {} });
  }

  private async delete(req: Request, path: Extract<Path, { depth: 3 }>, account: ServedAccount): Promise<Response> {
    await withChannel(viaOf('device', `dav/${account.name}`), () => this.states.with(account.name, account.created, async (s) => {
      const { list, kind } = this.collection(account, s, path.coll);
      await deleteResource(this.opts.store, s, list, path.name, req.headers.get('if-match') ?? undefined);
      this.view(account, s, kind, true);
      return { value: undefined, changed: true };
    }));
    this.opts.log?.('dav delete', { account: account.name, coll: path.coll, name: path.name });
    return new Response(null, { status: 204 });
  }

  /** Properties are not writable (names and colours are the app's): each one set or removed is answered 403. */
  private async proppatch(req: Request, pathname: string): Promise<Response> {
    const body = await xmlBody(req, this.maxXml);
    const props = (body?.children ?? []).flatMap((op) => op.children.filter((p) => p.name === 'prop' && p.ns === NS.dav).flatMap((p) => p.children));
    const stat = el(NS.dav, 'propstat', el(NS.dav, 'prop', props.map((p) => el(p.ns, p.name)).join('')) + el(NS.dav, 'status', 'HTTP/1.1 403 Forbidden'));
    return xmlResponse(multistatus([el(NS.dav, 'response', el(NS.dav, 'href', esc(pathname)) + (props.length ? stat : ''))]));
  }

  /** MKCALENDAR or extended MKCOL: a calendar or address book of the account (201). */
  private async mkcol(req: Request, coll: string, account: ServedAccount): Promise<Response> {
    const body = await xmlBody(req, this.maxXml);
    await this.states.with(account.name, account.created, async (s) => {
      makeCollection(s, coll, req.method, body);
      return { value: undefined, changed: true };
    });
    this.opts.log?.('dav collection made', { account: account.name, coll, method: req.method });
    return new Response(null, { status: 201 });
  }

  /** PROPPATCH on a collection: its name, colour and description (207 with a status per property). */
  private async proppatchCollection(req: Request, coll: string, account: ServedAccount, ctx: PropContext): Promise<Response> {
    const body = await xmlBody(req, this.maxXml);
    const inner = await this.states.with(account.name, account.created, async (s) => {
      const r = proppatch(s, coll, kindIn(s, coll), body);
      return { value: r.inner, changed: r.changed };
    });
    return xmlResponse(multistatus([el(NS.dav, 'response', el(NS.dav, 'href', esc(collectionHref(ctx, coll))) + inner)]));
  }

  /**
   * DELETE of a collection a client made: its items are deleted (tombstones, like a DELETE of each; `semsync undo`
   * brings them back) and the collection is forgotten. The kind's own collections cannot be deleted.
   */
  private async deleteCollection(coll: string, account: ServedAccount): Promise<Response> {
    const n = await this.states.with(account.name, account.created, async (s) => {
      const kind = kindIn(s, coll);
      if (coll === kind) throw new DavRequestError(`the ${kind} collection cannot be deleted (only collections a client made can)`, 403);
      const { list } = this.collection(account, s, coll);
      const masters = [...list.byMaster.keys()];
      if (masters.length) await writeItems(this.opts.store, kind, [], { remove: masters });
      forgetCollection(s, coll);
      this.view(account, s, kind, true);
      return { value: masters.length, changed: true };
    });
    this.opts.log?.('dav collection deleted', { account: account.name, coll, items: n });
    return new Response(null, { status: 204 });
  }
}

function kindOfMaster(master: string): PimKindName {
  return /\/id\/contact\//.test(master) ? 'contacts' : 'calendar';
}

function xmlResponse(text: string): Response {
  return new Response(text, { status: 207, headers: { 'content-type': 'application/xml; charset=utf-8' } });
}
