// A small CalDAV/CardDAV client on tsdav's request helpers: collections, ETag listings, multiget, conditional PUT/DELETE, timeouts.
import { addressBookMultiGet, calendarMultiGet, createObject, deleteObject, propfind, updateObject } from 'tsdav';
import type { PimKindName } from '../pim/store.js';

/** A server that refused, failed or did not answer: the message says which and what to do. Nothing local is changed by it. */
export class DavError extends Error {
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
  etag: string;
  text: string;
}

type Resp = { href?: string; status: number; ok: boolean; statusText?: string; props?: Record<string, unknown> };

const str = (v: unknown): string | undefined => {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string' || typeof v === 'number') return String(v);
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return str(o._cdata ?? o._text);
  }
  return undefined;
};

export class DavClient {
  private readonly auth: Record<string, string>;

  constructor(
    readonly base: string,
    user?: string,
    password?: string,
    readonly timeoutMs = 15_000,
  ) {
    this.auth = user !== undefined ? { authorization: 'Basic ' + Buffer.from(`${user}:${password ?? ''}`).toString('base64') } : {};
  }

  private abs(href: string): string {
    return new URL(href, this.base).href;
  }

  /** Runs one request; network failures and timeouts become DavErrors naming the server. */
  private async call<T>(what: string, fn: (fetchOptions: RequestInit) => Promise<T>): Promise<T> {
    try {
      return await fn({ signal: AbortSignal.timeout(this.timeoutMs) });
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

  /** The calendars and address books at the account URL: the URL itself when it is one, else its children. */
  async collections(): Promise<DavCollection[]> {
    const rs = this.check('listing collections', await this.call('listing collections', (fetchOptions) =>
      propfind({ url: this.base, props: { 'd:resourcetype': {}, 'd:displayname': {} }, depth: '1', headers: this.auth, fetchOptions }) as Promise<Resp[]>));
    const out: DavCollection[] = [];
    for (const r of rs) {
      const rt = (r.props?.resourcetype ?? {}) as Record<string, unknown>;
      const kind: PimKindName | undefined = 'calendar' in rt ? 'calendar' : 'addressbook' in rt ? 'contacts' : undefined;
      if (kind && r.href) out.push({ url: this.abs(r.href), kind, name: str(r.props?.displayname) });
    }
    const self = out.find((c) => c.url === this.abs(this.base));
    return self ? [self] : out;
  }

  /** href (absolute URL) → ETag of every object in a collection. */
  async etags(collection: string): Promise<Map<string, string>> {
    const rs = this.check(`listing ${collection}`, await this.call(`listing ${collection}`, (fetchOptions) =>
      propfind({ url: collection, props: { 'd:getetag': {}, 'd:resourcetype': {} }, depth: '1', headers: this.auth, fetchOptions }) as Promise<Resp[]>));
    const out = new Map<string, string>();
    for (const r of rs) {
      if (!r.href) continue;
      const url = this.abs(r.href);
      if (url === collection || url.endsWith('/')) continue;
      out.set(url, str(r.props?.getetag) ?? '');
    }
    return out;
  }

  /** The objects at `urls` (batches of 200 per REPORT multiget). Objects gone meanwhile are left out. */
  async multiget(collection: string, kind: PimKindName, urls: string[]): Promise<Map<string, DavObject>> {
    const out = new Map<string, DavObject>();
    for (let i = 0; i < urls.length; i += 200) {
      const part = urls.slice(i, i + 200).map((u) => new URL(u).pathname);
      const what = `fetching ${part.length} object(s) from ${collection}`;
      const rs = this.check(what, await this.call(what, (fetchOptions) =>
        (kind === 'calendar'
          ? calendarMultiGet({ url: collection, props: { 'd:getetag': {}, 'c:calendar-data': {} }, objectUrls: part, depth: '1', headers: this.auth, fetchOptions })
          : addressBookMultiGet({ url: collection, props: { 'd:getetag': {}, 'card:address-data': {} }, objectUrls: part, depth: '1', headers: this.auth, fetchOptions })) as Promise<Resp[]>));
      for (const r of rs) {
        const text = str(r.props?.calendarData ?? r.props?.addressData);
        if (r.href && r.ok && text !== undefined) out.set(this.abs(r.href), { etag: str(r.props?.getetag) ?? '', text });
      }
    }
    return out;
  }

  /**
   * PUT an object: with `etag`, only over that version (If-Match); without, only as new (If-None-Match: *).
   * Returns the new ETag ('' when the server sent none), or 'precondition' when the object changed meanwhile.
   */
  async put(url: string, text: string, kind: PimKindName, etag?: string): Promise<string | 'precondition'> {
    const headers = { ...this.auth, 'content-type': kind === 'calendar' ? 'text/calendar; charset=utf-8' : 'text/vcard; charset=utf-8', ...(etag ? {} : { 'If-None-Match': '*' }) };
    const res = await this.call(`writing ${url}`, (fetchOptions) =>
      etag ? updateObject({ url, data: text, etag, headers, fetchOptions }) : createObject({ url, data: text, headers, fetchOptions }));
    if (res.status === 412) return 'precondition';
    if (!res.ok) throw new DavError(`writing ${url}: the server answered ${res.status} ${res.statusText} (${(await res.text()).slice(0, 200)}); the item stays local, the next sync retries`, res.status);
    return res.headers.get('etag') ?? '';
  }

  /** DELETE an object at version `etag`; 'precondition' when it changed meanwhile, 'gone' when it is not there. */
  async remove(url: string, etag: string): Promise<'ok' | 'precondition' | 'gone'> {
    const res = await this.call(`deleting ${url}`, (fetchOptions) => deleteObject({ url, etag: etag || undefined, headers: this.auth, fetchOptions }));
    if (res.status === 412) return 'precondition';
    if (res.status === 404) return 'gone';
    if (!res.ok) throw new DavError(`deleting ${url}: the server answered ${res.status} ${res.statusText}; the next sync retries`, res.status);
    return 'ok';
  }
}
