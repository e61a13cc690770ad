// Finding an account's calendars and address books (RFC 6764 /.well-known, RFC 5397 current-user-principal, RFC 4791/6352
// home sets), and creating them in an empty home (MKCALENDAR, extended MKCOL).
import type { PimKindName } from '../pim/index.js';
import { DavError, str, type DavClient, type DavCollection, type Resp } from './client.js';
import { hrefKey } from './href.js';

const PROPS = {
  'd:resourcetype': {},
  'd:displayname': {},
  'd:current-user-principal': {},
  'c:calendar-home-set': {},
  'card:addressbook-home-set': {},
};

export interface Discovery {
  collections: DavCollection[];
  /** Where new calendars and address books go (the home sets, else the account URL). */
  homes: Record<PimKindName, string>;
  /** Collections semsync made because the account had none. */
  created: DavCollection[];
}

const hrefsOf = (v: unknown): string[] => {
  if (!v || typeof v !== 'object') return [];
  const h = (v as Record<string, unknown>).href;
  return (Array.isArray(h) ? h : [h]).map(str).filter((x): x is string => !!x);
};

function kindOf(r: Resp): PimKindName | undefined {
  const rt = (r.props?.resourcetype ?? {}) as Record<string, unknown>;
  return 'calendar' in rt ? 'calendar' : 'addressbook' in rt ? 'contacts' : undefined;
}

function asCollection(r: Resp): DavCollection | undefined {
  const kind = kindOf(r);
  return kind && r.href ? { url: r.href, kind, name: str(r.props?.displayname) } : undefined;
}

/** The principal's home sets (absolute URLs). */
async function homeSets(client: DavClient, url: string): Promise<{ calendar: string[]; contacts: string[]; principal?: string }> {
  const r = (await client.propfind(url, PROPS, '0')).find((x) => x.ok && x.href);
  if (!r) return { calendar: [], contacts: [] };
  const res = (k: string) => hrefsOf(r.props?.[k]).map((h) => client.resolve(h, url));
  return { calendar: res('calendarHomeSet'), contacts: res('addressbookHomeSet'), principal: res('currentUserPrincipal')[0] };
}

/**
 * The account's collections: the URL itself when it is a calendar or address book; else the calendars and address
 * books in it, in its principal's home sets, and (when the URL is a bare server) in those /.well-known/caldav and
 * /.well-known/carddav lead to. Every href is checked to stay on the account's origin.
 */
export async function discover(client: DavClient): Promise<Discovery> {
  const base = client.base;
  const here = await client.propfind(base, PROPS, '0');
  const self = here.find((r) => r.ok && r.href);
  const selfColl = self && asCollection(self);
  if (selfColl) return { collections: [selfColl], homes: { calendar: base, contacts: base }, created: [] };

  let sets = await homeSets(client, base);
  if (!sets.calendar.length && !sets.contacts.length && sets.principal) sets = { ...(await homeSets(client, sets.principal)), principal: sets.principal };
  if (!sets.calendar.length && !sets.contacts.length && !self) {
    for (const wk of ['/.well-known/caldav', '/.well-known/carddav']) {
      const found = await homeSets(client, client.resolve(wk)).catch(() => undefined);
      const viaPrincipal = found?.principal && !found.calendar.length && !found.contacts.length ? await homeSets(client, found.principal) : found;
      if (viaPrincipal) {
        sets.calendar.push(...viaPrincipal.calendar);
        sets.contacts.push(...viaPrincipal.contacts);
      }
    }
  }
  const seen = new Map<string, DavCollection>();
  for (const where of new Set([...(self ? [base] : []), ...sets.calendar, ...sets.contacts])) {
    const rs = await client.propfind(where, PROPS, '1');
    for (const r of rs) {
      const c = r.ok ? asCollection(r) : undefined;
      if (c && !seen.has(hrefKey(c.url))) seen.set(hrefKey(c.url), c);
    }
  }
  if (!self && !sets.calendar.length && !sets.contacts.length && !seen.size) {
    throw new DavError(`${base}: no calendar or address book there, and the server names no home for this user (PROPFIND answered ${here[0]?.status ?? 'nothing'}); give the URL of your calendar home, e.g. https://server/dav/calendars/USER/`, here[0]?.status);
  }
  return { collections: [...seen.values()], homes: { calendar: sets.calendar[0] ?? base, contacts: sets.contacts[0] ?? base }, created: [] };
}

/** An account without any collection gets a calendar and an address book in its homes; a clear error when the server refuses. */
export async function createDefaults(client: DavClient, d: Discovery): Promise<Discovery> {
  if (d.collections.length) return d;
  const created: DavCollection[] = [];
  for (const kind of ['contacts', 'calendar'] as const) {
    const home = d.homes[kind].replace(/\/?$/, '/');
    const url = client.resolve(kind === 'calendar' ? 'calendar/' : 'contacts/', home);
    const status = await client.create(url, kind, kind === 'calendar' ? 'Calendar' : 'Contacts');
    if (status !== 201) {
      const how = kind === 'calendar' ? 'MKCALENDAR' : 'MKCOL (extended, RFC 5689)';
      throw new DavError(`${client.base}: the account has no calendar or address book, and creating ${url} with ${how} was refused (${status}); create one in the server's web interface, then sync again`, status);
    }
    created.push({ url, kind, name: kind === 'calendar' ? 'Calendar' : 'Contacts' });
  }
  return { ...d, collections: created, created };
}
