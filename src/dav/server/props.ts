// Properties of the DAV tree (root, an account's principal/home, its calendar and address book, their resources) and PROPFIND.
import type { PimKindName } from '../../pim/index.js';
import { child, el, esc, is, NS, type XmlElement } from './xml.js';
import { textAs, type Resource } from './resources.js';
import { addressDataVersion, DEFAULT_VCARD } from './vcard.js';

export type Target =
  | { type: 'root' }
  | { type: 'home' }
  | { type: 'collection'; kind: PimKindName; coll: string; ctag: string; token: string; set?: Record<string, string> }
  | { type: 'resource'; kind: PimKindName; coll: string; res: Resource };

export interface PropContext {
  prefix: string;
  account: string;
  maxBody: number;
}

export interface PropName {
  ns: string;
  name: string;
  /** The element's attributes as asked (address-data's content-type and version). */
  attrs?: Record<string, string>;
}

const href = (s: string) => el(NS.dav, 'href', esc(s));
export const homeHref = (c: PropContext) => `${c.prefix}${encodeURIComponent(c.account)}/`;
/** A collection's path (`coll`: its segment, `calendar`, `contacts` or one a client made). */
export const collectionHref = (c: PropContext, coll: string) => `${homeHref(c)}${encodeURIComponent(coll)}/`;
export const resourceHref = (c: PropContext, coll: string, name: string) => `${collectionHref(c, coll)}${encodeURIComponent(name)}`;

export function targetHref(c: PropContext, t: Target): string {
  if (t.type === 'root') return c.prefix;
  if (t.type === 'home') return homeHref(c);
  if (t.type === 'collection') return collectionHref(c, t.coll);
  return resourceHref(c, t.coll, t.res.name);
}

const REPORTS: Record<PimKindName, [string, string][]> = {
  calendar: [[NS.cal, 'calendar-multiget'], [NS.cal, 'calendar-query'], [NS.cal, 'free-busy-query'], [NS.dav, 'sync-collection']],
  contacts: [[NS.card, 'addressbook-multiget'], [NS.card, 'addressbook-query'], [NS.dav, 'sync-collection']],
};
const PRIVILEGES = ['read', 'write', 'write-content', 'write-properties', 'bind', 'unbind', 'read-current-user-privilege-set'];
const CAL_PRIVILEGES = ['read-free-busy'];

/** A live property's value as XML (inner content), or undefined when the target has no such property. */
export function propValue(c: PropContext, t: Target, p: PropName): string | undefined {
  const key = `${p.ns}|${p.name}`;
  if (t.type === 'collection' && t.set?.[key] !== undefined) return esc(t.set[key]);
  const principal = href(homeHref(c));
  switch (key) {
    case `${NS.dav}|resourcetype`:
      if (t.type === 'resource') return '';
      if (t.type === 'home') return el(NS.dav, 'collection') + el(NS.dav, 'principal');
      if (t.type === 'collection') return el(NS.dav, 'collection') + (t.kind === 'calendar' ? el(NS.cal, 'calendar') : el(NS.card, 'addressbook'));
      return el(NS.dav, 'collection');
    case `${NS.dav}|current-user-principal`:
    case `${NS.dav}|principal-URL`:
    case `${NS.dav}|owner`:
      return principal;
    case `${NS.cal}|calendar-home-set`:
    case `${NS.card}|addressbook-home-set`:
      return t.type === 'root' || t.type === 'home' ? principal : undefined;
    case `${NS.dav}|principal-collection-set`:
      return href(c.prefix);
    case `${NS.cal}|calendar-user-address-set`:
      return t.type === 'home' ? href(homeHref(c)) : undefined;
    case `${NS.dav}|displayname`:
      if (t.type === 'collection') return t.coll !== t.kind ? esc(t.coll) : t.kind === 'calendar' ? 'Calendar' : 'Contacts';
      if (t.type === 'home') return esc(c.account);
      return t.type === 'root' ? 'semsync' : undefined;
    case `${NS.dav}|current-user-privilege-set`:
      return PRIVILEGES.map((x) => el(NS.dav, 'privilege', el(NS.dav, x))).join('') + (t.type === 'collection' && t.kind === 'calendar' ? CAL_PRIVILEGES.map((x) => el(NS.dav, 'privilege', el(NS.cal, x))).join('') : '');
    case `${NS.dav}|supported-report-set`:
      return t.type === 'collection' ? REPORTS[t.kind].map(([ns, n]) => el(NS.dav, 'supported-report', el(NS.dav, 'report', el(ns, n)))).join('') : undefined;
    case `${NS.dav}|getetag`:
      return t.type === 'resource' ? esc(t.res.etag) : t.type === 'collection' ? esc(`"${t.ctag}"`) : undefined;
    case `${NS.cs}|getctag`:
      return t.type === 'collection' ? esc(t.ctag) : undefined;
    case `${NS.dav}|sync-token`:
      return t.type === 'collection' ? esc(t.token) : undefined;
    case `${NS.cal}|supported-calendar-component-set`:
      return t.type === 'collection' && t.kind === 'calendar' ? ['VEVENT', 'VTODO', 'VJOURNAL'].map((n) => `<c:comp name="${n}"/>`).join('') : undefined;
    case `${NS.cal}|supported-calendar-data`:
      return t.type === 'collection' && t.kind === 'calendar' ? '<c:calendar-data content-type="text/calendar" version="2.0"/>' : undefined;
    case `${NS.card}|supported-address-data`:
      return t.type === 'collection' && t.kind === 'contacts' ? '<a:address-data-type content-type="text/vcard" version="3.0"/><a:address-data-type content-type="text/vcard" version="4.0"/>' : undefined;
    case `${NS.cal}|max-resource-size`:
    case `${NS.card}|max-resource-size`:
      return t.type === 'collection' && (p.ns === NS.cal) === (t.kind === 'calendar') ? String(c.maxBody) : undefined;
    case `${NS.dav}|getcontenttype`:
      if (t.type !== 'resource') return undefined;
      return t.kind === 'calendar' ? `text/calendar; charset=utf-8; component=${componentOf(t.res)}` : `text/vcard; charset=utf-8; version=${DEFAULT_VCARD}`;
    case `${NS.dav}|getcontentlength`:
      return t.type === 'resource' ? String(Buffer.byteLength(t.kind === 'contacts' ? textAs(t.res, DEFAULT_VCARD) : t.res.text)) : undefined;
    case `${NS.cal}|calendar-data`:
      return t.type === 'resource' && t.kind === 'calendar' ? esc(t.res.text) : undefined;
    case `${NS.card}|address-data`:
      return t.type === 'resource' && t.kind === 'contacts' ? esc(textAs(t.res, addressDataVersion(p.attrs))) : undefined;
    default:
      return undefined;
  }
}

export function componentOf(r: Resource): string {
  const type = r.quads.find((q) => q.predicate.value === 'http://www.w3.org/1999/02/22-rdf-syntax-ns#type' && q.object.value.startsWith('http://www.w3.org/2002/12/cal/ical#V'));
  return (type?.object.value.slice('http://www.w3.org/2002/12/cal/ical#'.length) ?? 'Vevent').toLowerCase();
}

/** What `allprop` answers (RFC 4918: the live properties a client usually wants; never the data itself). */
const ALLPROP: PropName[] = [
  { ns: NS.dav, name: 'resourcetype' },
  { ns: NS.dav, name: 'displayname' },
  { ns: NS.dav, name: 'getetag' },
  { ns: NS.dav, name: 'getcontenttype' },
  { ns: NS.dav, name: 'getcontentlength' },
  { ns: NS.dav, name: 'current-user-principal' },
  { ns: NS.dav, name: 'sync-token' },
  { ns: NS.cs, name: 'getctag' },
];

/** The properties a PROPFIND (or a REPORT's `prop`) asks for; `allprop` (or no body) gives the usual set. */
export function requested(body: XmlElement | undefined): { props: PropName[]; names: boolean } {
  if (!body || child(body, NS.dav, 'allprop')) return { props: ALLPROP, names: false };
  if (child(body, NS.dav, 'propname')) return { props: ALLPROP, names: true };
  const prop = is(body, NS.dav, 'prop') ? body : child(body, NS.dav, 'prop');
  return { props: (prop?.children ?? []).map((e) => ({ ns: e.ns, name: e.name, attrs: e.attrs })), names: false };
}

/** One `<d:response>`: found properties under 200, the others under 404. */
export function response(c: PropContext, t: Target, props: PropName[], names = false): string {
  const found: string[] = [];
  const missing: string[] = [];
  for (const p of props) {
    const v = propValue(c, t, p);
    if (v === undefined) missing.push(el(p.ns, p.name));
    else found.push(names ? el(p.ns, p.name) : el(p.ns, p.name, v));
  }
  const stat = (inner: string[], status: string) => (inner.length ? el(NS.dav, 'propstat', el(NS.dav, 'prop', inner.join('')) + el(NS.dav, 'status', status)) : '');
  return el(NS.dav, 'response', href(targetHref(c, t)) + stat(found, 'HTTP/1.1 200 OK') + stat(missing, 'HTTP/1.1 404 Not Found'));
}

/** Properties whose value is the item's data: answers holding them are not kept (they are as large as the data). */
const DATA_PROPS = new Set([`${NS.cal}|calendar-data`, `${NS.card}|address-data`]);

/** Answers made per resource, by what was asked (a resource is remade, and so forgets them, when its item changes). */
const answers = new WeakMap<Resource, Map<string, string>>();

/**
 * The `<d:response>` of each resource of a collection for one request: made once per resource and kept while the
 * resource lives (a resource object stands for one text, name and ETag), so listing a large collection again after
 * a small change makes only the changed resources' answers. Answers with the data itself are made each time.
 */
export function resourceAnswers(c: PropContext, kind: PimKindName, coll: string, props: PropName[], names = false): (res: Resource) => string {
  const make = (res: Resource) => response(c, { type: 'resource', kind, coll, res }, props, names);
  if (props.some((p) => DATA_PROPS.has(`${p.ns}|${p.name}`))) return make;
  const key = `${c.prefix}\u0000${c.account}\u0000${coll}\u0000${names}\u0000${props.map((p) => `${p.ns}|${p.name}`).join(' ')}`;
  return (res) => {
    let byKey = answers.get(res);
    if (!byKey) answers.set(res, (byKey = new Map()));
    let xml = byKey.get(key);
    if (xml === undefined) {
      if (byKey.size >= 4) byKey.clear(); // a client asks for one or two property sets; a hostile one cannot grow this
      byKey.set(key, (xml = make(res)));
    }
    return xml;
  };
}

export function statusResponse(path: string, status: string): string {
  return el(NS.dav, 'response', href(path) + el(NS.dav, 'status', status));
}
