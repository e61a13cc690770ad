// A small CalDAV/CardDAV client on tsdav's request helpers: PROPFIND listings that say whether they are complete, multiget,
// conditional PUT/DELETE, MKCALENDAR/extended MKCOL; every request stays on the account's origin (hrefs and redirects).
import { addressBookMultiGet, calendarMultiGet, createObject, deleteObject, propfind, syncCollection, updateObject } from 'tsdav';
import type { PimKindName } from '../pim/index.js';
import { hrefKey, isLoopback } from './href.js';
import { FailureError } from '../base/index.js';

/** A server that refused, failed or did not answer: the message says which and what to do. Nothing local is changed by it. */
export class DavError extends FailureError {
  override name = 'DavError';
  constructor(message: string, readonly status?: number) {
    super(message);
  }
}

export interface DavCollection {
  url: string;
  kind: PimKindName;
  name?: string;
}

export interface DavObject {
  /** The href as the server names it (absolute URL). */
  href: string;
  etag: string;
  text: string;
}

/** One object of a listing: the href as the server names it, and its ETag. */
export interface Listed {
  href: string;
  etag: string;
}

export interface Listing {
  /** hrefKey → object. */
  items: Map<string, Listed>;
  /** The server answered for the collection itself and for every member (no 507, a real multistatus): absence means gone. */
  complete: boolean;
}

export interface DavClientOptions {
  user?: string;
  password?: string;
  /** Allow Basic auth over plain http to a host that is not this machine. */
  insecure?: boolean;
  timeoutMs?: number;
}

export type Resp = { href?: string; status: number; ok: boolean; statusText?: string; props?: Record<string, unknown>; raw?: unknown };

export const str = (v: unknown): string | undefined => {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string' || typeof v === 'number') return String(v);
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return str(o._cdata ?? o._text);
  }
  return undefined;
};

const isMultistatus = (r: Resp) => !!r.raw && typeof r.raw === 'object' && 'multistatus' in (r.raw as object);

export class DavClient {
  readonly origin: string;
  readonly timeoutMs: number;
  private readonly auth: Record<string, string>;

  constructor(readonly base: string, opts: DavClientOptions = {}) {
    const u = new URL(base);
    this.origin = u.origin;
    this.timeoutMs = opts.timeoutMs ?? 15_000;
    if (opts.user !== undefined && u.protocol === 'http:' && !isLoopback(u.hostname) && !opts.insecure) {
      throw new DavError(`${base}: refusing to send the password over plain http, where anyone on the way can read it; use https, or add the account with --insecure if this network is trusted`);
    }
    this.auth = opts.user !== undefined ? { authorization: 'Basic ' + Buffer.from(`${opts.user}:${opts.password ?? ''}`).toString('base64') } : {};
  }

  /** An href from the server as an absolute URL, only when it is on the account's origin (else the credentials would go elsewhere). */
  resolve(href: string, against = this.base): string {
    const u = new URL(href, against);
    if (u.origin !== this.origin) throw new DavError(`the server ${this.origin} named ${u.href}, on another server: semsync does not send the account's credentials or data there (add that server as its own account if it is right)`);
    return u.href;
  }

  /** fetch for tsdav: same-origin only, redirects followed by hand and only on the same origin. */
  private readonly fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    let url = this.resolve(String(input instanceof Request ? input.url : input));
    for (let hop = 0; ; hop++) {
      const res = await globalThis.fetch(url, { ...init, redirect: 'manual' });
      const loc = res.headers.get('location');
      if (res.status < 300 || res.status >= 400 || res.status === 304 || !loc) return res;
      await res.body?.cancel();
      const next = new URL(loc, url).href;
      if (new URL(next).origin !== this.origin) throw new DavError(`${url} redirected to ${next}, another server: not followed with the account's credentials (add that URL as the account if it is right)`, res.status);
      if (hop >= 5) throw new DavError(`${url}: more than 5 redirects`, res.status);
      url = next;
    }
  };

  /** Runs one request; network failures and timeouts become DavErrors naming the server. */
  private async call<T>(what: string, fn: (o: { fetchOptions: RequestInit; fetch: typeof globalThis.fetch; headers: Record<string, string> }) => Promise<T>): Promise<T> {
    try {
      return await fn({ fetchOptions: { signal: AbortSignal.timeout(this.timeoutMs) }, fetch: this.fetch, headers: { ...this.auth } });
    } catch (err) {
      if (err instanceof DavError) throw err;
      const e = err as Error & { cause?: { code?: string } };
      const why = e.name === 'TimeoutError' || e.name === 'AbortError' ? `did not answer within ${this.timeoutMs / 1000} s` : `could not be reached (${e.cause?.code ?? e.message})`;
      throw new DavError(`${what}: the server ${this.base} ${why}; nothing was changed locally, the next sync retries`);
    }
  }

  private check(what: string, rs: Resp[]): Resp[] {
    const bad = rs.find((r) => !r.ok && (r.status === 401 || r.status === 403 || r.status >= 500 || !r.href));
    if (bad) {
      const hint = bad.status === 401 ? ' (check --user and the password file)' : bad.status === 403 ? ' (this user may not use that collection)' : '';
      throw new DavError(`${what}: the server ${this.base} answered ${bad.status} ${bad.statusText ?? ''}${hint}; nothing was changed locally`, bad.status);
    }
    return rs;
  }

  /** PROPFIND; every href in the answer is resolved (same origin only). A 404 comes back as a response, not an error. */
  async propfind(url: string, props: Record<string, unknown>, depth: '0' | '1'): Promise<Resp[]> {
    const what = `PROPFIND ${url}`;
    const rs = (await this.call(what, (o) => propfind({ url, props, depth, ...o }))) as Resp[];
    const out = rs.map((r) => ({ ...r, href: r.href === undefined ? undefined : this.resolve(str(r.href) ?? '', url) }));
    if (out.length === 1 && (out[0].status === 404 || out[0].status === 405)) return out;
    return this.check(what, out);
  }

  /** Every object in a collection (href as the server names it, ETag), and whether the listing is complete. */
  async list(collection: string): Promise<Listing> {
    const rs = await this.propfind(collection, { 'd:getetag': {}, 'd:resourcetype': {} }, '1');
    const self = hrefKey(collection).replace(/\/$/, '');
    let sawSelf = false;
    let complete = rs.length > 0 && rs.every(isMultistatus);
    const items = new Map<string, Listed>();
    for (const r of rs) {
      if (r.status === 507) complete = false; // the server cut the listing short
      if (!r.href) continue;
      const key = hrefKey(r.href);
      if (key.replace(/\/$/, '') === self) {
        sawSelf = r.ok;
        continue;
      }
      if (!r.ok || key.endsWith('/') || !key.startsWith(self + '/')) continue;
      items.set(key, { href: r.href, etag: str(r.props?.getetag) ?? '' });
    }
    return { items, complete: complete && sawSelf };
  }

  /** The collection's current sync token (RFC 6578), or undefined when it offers none. */
  async syncToken(collection: string): Promise<string | undefined> {
    const rs = await this.propfind(collection, { 'd:sync-token': {} }, '0');
    return rs.map((r) => (r.ok ? str(r.props?.syncToken) : undefined)).find((t) => !!t);
  }

  /**
   * What changed since `token` (RFC 6578 sync-collection): changed objects with their ETags, removed hrefs, and the
   * new token. Undefined when the server cannot answer that (no support, an expired token, a truncated answer): the
   * caller then lists the whole collection.
   */
  async changesSince(collection: string, token: string): Promise<{ token: string; changed: Map<string, Listed>; removed: Set<string> } | undefined> {
    const what = `sync-collection ${collection}`;
    const rs = (await this.call(what, (o) => syncCollection({ url: collection, props: { 'd:getetag': {} }, syncLevel: 1, syncToken: token, ...o }))) as Resp[];
    const raw = rs[0]?.raw as { multistatus?: { syncToken?: unknown } } | undefined;
    const next = str(raw?.multistatus?.syncToken);
    if (!next || !rs.every(isMultistatus)) return undefined;
    const self = hrefKey(collection).replace(/\/$/, '');
    const changed = new Map<string, Listed>();
    const removed = new Set<string>();
    for (const r of rs) {
      if (r.href === undefined) continue;
      const href = this.resolve(str(r.href) ?? '', collection);
      const key = hrefKey(href);
      if (key.replace(/\/$/, '') === self) {
        if (r.status === 507) return undefined; // truncated: more changes than one answer holds
        continue;
      }
      if (!key.startsWith(self + '/') || key.endsWith('/')) continue;
      if (r.status === 404) removed.add(key);
      else if (r.ok) changed.set(key, { href, etag: str(r.props?.getetag) ?? '' });
    }
    return { token: next, changed, removed };
  }

  /** The objects at `hrefs` (batches of 200 per REPORT multiget), keyed by hrefKey. Objects gone meanwhile are left out. */
  async multiget(collection: string, kind: PimKindName, hrefs: string[]): Promise<Map<string, DavObject>> {
    const out = new Map<string, DavObject>();
    for (let i = 0; i < hrefs.length; i += 200) {
      const part = hrefs.slice(i, i + 200).map((u) => new URL(this.resolve(u)).pathname);
      const what = `fetching ${part.length} object(s) from ${collection}`;
      const rs = this.check(what, await this.call(what, (o) =>
        (kind === 'calendar'
          ? calendarMultiGet({ url: collection, props: { 'd:getetag': {}, 'c:calendar-data': {} }, objectUrls: part, depth: '1', ...o })
          : addressBookMultiGet({ url: collection, props: { 'd:getetag': {}, 'card:address-data': {} }, objectUrls: part, depth: '1', ...o })) as Promise<Resp[]>));
      for (const r of rs) {
        const text = str(r.props?.calendarData ?? r.props?.addressData);
        if (!r.href || !r.ok || text === undefined) continue;
        const href = this.resolve(str(r.href) ?? '', collection);
        out.set(hrefKey(href), { href, etag: str(r.props?.getetag) ?? '', text });
      }
    }
    return out;
  }

  /** The current ETag of one object ('' when the server gives none, undefined when it is not there). */
  async etag(href: string): Promise<string | undefined> {
    const rs = await this.propfind(href, { 'd:getetag': {} }, '0');
    const r = rs.find((x) => x.ok && x.href && hrefKey(x.href) === hrefKey(href));
    return r ? (str(r.props?.getetag) ?? '') : undefined;
  }

  /**
   * PUT an object: with `etag`, only over that version (If-Match); without, only as new (If-None-Match: *).
   * Returns where it landed and its ETag, or 'precondition' when the object changed (or appeared) meanwhile.
   */
  async put(href: string, text: string, kind: PimKindName, etag?: string): Promise<{ href: string; etag: string } | 'precondition'> {
    const headers = { 'content-type': kind === 'calendar' ? 'text/calendar; charset=utf-8' : 'text/vcard; charset=utf-8', ...(etag ? {} : { 'If-None-Match': '*' }) };
    const res = await this.call(`writing ${href}`, (o) => {
      const h = { ...o.headers, ...headers };
      return etag ? updateObject({ url: href, data: text, etag, headers: h, fetchOptions: o.fetchOptions, fetch: o.fetch }) : createObject({ url: href, data: text, headers: h, fetchOptions: o.fetchOptions, fetch: o.fetch });
    });
    if (res.status === 412) return 'precondition';
    if (!res.ok) {
      const body = (await res.text()).replace(/\s+/g, ' ').trim().slice(0, 300);
      throw new DavError(`the server answered ${res.status} ${res.statusText}${body && body !== res.statusText ? `: ${body}` : ''}`, res.status);
    }
    const loc = res.headers.get('location');
    const at = loc ? this.resolve(loc, href) : href;
    return { href: at, etag: res.headers.get('etag') ?? (await this.etag(at)) ?? '' };
  }

  /** DELETE an object at version `etag` (If-Match always); 'precondition' when it changed meanwhile, 'gone' when it is not there. */
  async remove(href: string, etag: string): Promise<'ok' | 'precondition' | 'gone'> {
    const current = etag || (await this.etag(href));
    if (current === undefined) return 'gone';
    if (!current) return 'precondition'; // the server gives no ETag: never delete blind
    const res = await this.call(`deleting ${href}`, (o) => deleteObject({ url: href, etag: current, ...o }));
    if (res.status === 412) return 'precondition';
    if (res.status === 404) return 'gone';
    if (!res.ok) throw new DavError(`deleting ${href}: the server answered ${res.status} ${res.statusText}; the next sync retries`, res.status);
    return 'ok';
  }

  /** MKCALENDAR (calendar) or extended MKCOL (address book) at `url`; the server's status. */
  async create(url: string, kind: PimKindName, name: string): Promise<number> {
    const target = this.resolve(url);
    const esc = name.replace(/[<>&]/g, (c) => `&#${c.charCodeAt(0)};`);
    const body = kind === 'calendar'
      ? `<?xml version="1.0" encoding="utf-8"?><C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop><D:displayname>${esc}</D:displayname></D:prop></D:set></C:mkcalendar>`
      : `<?xml version="1.0" encoding="utf-8"?><D:mkcol xmlns:D="DAV:" xmlns:CR="urn:ietf:params:xml:ns:carddav"><D:set><D:prop><D:resourcetype><D:collection/><CR:addressbook/></D:resourcetype><D:displayname>${esc}</D:displayname></D:prop></D:set></D:mkcol>`;
    const res = await this.call(`creating ${target}`, (o) =>
      o.fetch(target, { ...o.fetchOptions, method: kind === 'calendar' ? 'MKCALENDAR' : 'MKCOL', headers: { ...o.headers, 'content-type': 'application/xml; charset=utf-8' }, body }));
    await res.body?.cancel();
    return res.status;
  }
}
