// Collections a client makes (MKCALENDAR, RFC 5689 extended MKCOL) and collection properties it sets (PROPPATCH).
// A made collection is a per-account folder over the one PIM calendar or address book: what a client writes into it
// is an ordinary edit of the graph (other accounts and paired nodes see it in their own collections), and this
// account keeps which of its items sit in which of its collections.
import type { PimKindName } from '../../pim/index.js';
import type { Listing, Resource } from './resources.js';
import type { AccountState } from './state.js';
import { child, DavRequestError, el, esc, is, NS, type XmlElement } from './xml.js';

/** At most this many made collections per account, and this long a property value (hostile clients). */
export const MAX_COLLECTIONS = 32;
export const MAX_PROP_VALUE = 4096;
export const MAX_PROPS = 32;

export const DEFAULT_COLLECTIONS: Record<string, PimKindName> = { calendar: 'calendar', contacts: 'contacts' };
const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$/;

/** Properties a client may set on a collection (their text is kept); any other property is refused. */
export const WRITABLE: Record<string, PimKindName | 'any'> = {
  [`${NS.dav}|displayname`]: 'any',
  [`${NS.ical}|calendar-color`]: 'calendar',
  [`${NS.ical}|calendar-order`]: 'calendar',
  [`${NS.cal}|calendar-description`]: 'calendar',
  [`${NS.cal}|calendar-timezone`]: 'calendar',
  [`${NS.card}|addressbook-description`]: 'contacts',
};

/** The kind of a collection of this account, or undefined when it has none of that name. */
export function kindOf(s: AccountState, seg: string): PimKindName | undefined {
  return DEFAULT_COLLECTIONS[seg] ?? s.extra?.[seg]?.kind;
}

/** The account's collections of a kind: the kind's own first, then the made ones by name. */
export function collectionsOf(s: AccountState, kind: PimKindName): string[] {
  const made = Object.entries(s.extra ?? {}).filter(([, c]) => c.kind === kind).map(([seg]) => seg).sort();
  return [kind, ...made];
}

/** The collection an item is in for this account. */
export function memberOf(s: AccountState, kind: PimKindName, master: string): string {
  const m = s.member?.[master];
  return m && s.extra?.[m]?.kind === kind ? m : kind;
}

/** One collection's part of a kind's listing (same view, only its members). */
export function part(list: Listing, s: AccountState, seg: string): Listing {
  const byName = new Map<string, Resource>();
  const byMaster = new Map<string, Resource>();
  for (const r of list.byName.values()) {
    if (memberOf(s, list.kind, r.master) !== seg) continue;
    byName.set(r.name, r);
    byMaster.set(r.master, r);
  }
  return { kind: list.kind, view: list.view, byName, byMaster };
}

/** The `set` properties of a MKCALENDAR/MKCOL/PROPPATCH body, and the `remove` ones (names only). */
function updates(body: XmlElement | undefined): { op: 'set' | 'remove'; prop: XmlElement }[] {
  const out: { op: 'set' | 'remove'; prop: XmlElement }[] = [];
  for (const op of body?.children ?? []) {
    if (op.ns !== NS.dav || (op.name !== 'set' && op.name !== 'remove')) continue;
    for (const p of op.children) if (is(p, NS.dav, 'prop')) for (const x of p.children) out.push({ op: op.name, prop: x });
  }
  return out;
}

/** Why a property cannot be set on a collection of this kind (undefined: it can). */
function refusal(kind: PimKindName, op: 'set' | 'remove', p: XmlElement): { status: string; error?: string } | undefined {
  const key = `${p.ns}|${p.name}`;
  const w = WRITABLE[key];
  if (w === undefined || (w !== 'any' && w !== kind)) {
    return { status: 'HTTP/1.1 403 Forbidden', error: el(NS.dav, 'cannot-modify-protected-property') };
  }
  if (op === 'set' && (p.children.length || p.text.length > MAX_PROP_VALUE)) return { status: 'HTTP/1.1 409 Conflict' };
  return undefined;
}

const propstat = (props: XmlElement[], status: string, error = '') =>
  el(NS.dav, 'propstat', el(NS.dav, 'prop', props.map((p) => el(p.ns, p.name)).join('')) + el(NS.dav, 'status', status) + error);

/**
 * PROPPATCH on a collection (RFC 4918 §9.2: all or nothing). Each property is answered: 200 when all were applied;
 * 403 cannot-modify-protected-property for a live or unknown one; 409 for a value that is not text or too long;
 * 424 for the others when any failed (then nothing changed).
 */
export function proppatch(s: AccountState, seg: string, kind: PimKindName, body: XmlElement | undefined): { inner: string; changed: boolean } {
  if (!is(body, NS.dav, 'propertyupdate')) throw new DavRequestError('PROPPATCH needs a propertyupdate body');
  const ups = updates(body);
  const failed = ups.map((u) => refusal(kind, u.op, u.prop));
  if (failed.some((f) => f)) {
    return { inner: ups.map((u, i) => propstat([u.prop], failed[i]?.status ?? 'HTTP/1.1 424 Failed Dependency', failed[i]?.error)).join(''), changed: false };
  }
  const props = { ...(s.props?.[seg] ?? {}) };
  for (const u of ups) {
    const key = `${u.prop.ns}|${u.prop.name}`;
    if (u.op === 'set') props[key] = u.prop.text;
    else delete props[key];
  }
  if (Object.keys(props).length > MAX_PROPS) throw new DavRequestError(`more than ${MAX_PROPS} properties on one collection`, 507);
  (s.props ??= {})[seg] = props;
  return { inner: ups.length ? propstat(ups.map((u) => u.prop), 'HTTP/1.1 200 OK') : '', changed: ups.length > 0 };
}

/** The kind a MKCALENDAR or MKCOL body asks for (MKCOL: its resourcetype must say calendar or addressbook). */
function wantedKind(method: string, body: XmlElement | undefined): PimKindName {
  if (method === 'MKCALENDAR') {
    if (body && !is(body, NS.cal, 'mkcalendar')) throw new DavRequestError('MKCALENDAR body must be a mkcalendar element', 400);
    return 'calendar';
  }
  if (body && !is(body, NS.dav, 'mkcol')) throw new DavRequestError('MKCOL body must be a mkcol element (RFC 5689)', 415);
  const rt = updates(body).find((u) => u.op === 'set' && is(u.prop, NS.dav, 'resourcetype'))?.prop;
  if (child(rt, NS.cal, 'calendar')) return 'calendar';
  if (child(rt, NS.card, 'addressbook')) return 'contacts';
  throw new DavRequestError('this server makes calendars and address books only: MKCOL needs a resourcetype with calendar or addressbook (RFC 5689), or use MKCALENDAR', 403, { ns: NS.dav, name: 'valid-resourcetype' });
}

/** Makes a collection for the account; its properties from the body are set as a PROPPATCH would (all or nothing). */
export function makeCollection(s: AccountState, seg: string, method: string, body: XmlElement | undefined): void {
  if (kindOf(s, seg)) throw new DavRequestError(`${seg} exists`, 405);
  if (!SEGMENT.test(seg)) throw new DavRequestError(`collection name ${JSON.stringify(seg)}: letters, digits and . _ @ + - only, at most 64`, 403);
  const kind = wantedKind(method, body);
  if (Object.keys(s.extra ?? {}).length >= MAX_COLLECTIONS) throw new DavRequestError(`at most ${MAX_COLLECTIONS} collections per account`, 507);
  const settable = { ns: NS.dav, name: 'propertyupdate', attrs: {}, text: '', children: (body?.children ?? []).filter((c) => is(c, NS.dav, 'set')) };
  for (const set of settable.children) for (const p of set.children) p.children = p.children.filter((x) => !is(x, NS.dav, 'resourcetype'));
  const trial: AccountState = { ...s, props: {} };
  const r = proppatch(trial, seg, kind, settable);
  if (!r.changed && r.inner.includes('Forbidden')) throw new DavRequestError(`cannot set these properties on a new ${kind === 'calendar' ? 'calendar' : 'address book'}`, 403, { ns: NS.dav, name: 'cannot-modify-protected-property' });
  (s.extra ??= {})[seg] = { kind, created: new Date().toISOString() };
  if (trial.props?.[seg]) (s.props ??= {})[seg] = trial.props[seg];
  s.collections[seg] = { counter: 0, items: {}, removed: {} };
}

/** Forgets a made collection (its members were deleted by the caller). */
export function forgetCollection(s: AccountState, seg: string): void {
  delete s.extra?.[seg];
  delete s.props?.[seg];
  delete s.collections[seg];
  for (const [master, m] of Object.entries(s.member ?? {})) if (m === seg) delete s.member![master];
}

/** A collection's property as set by a client, escaped for XML; undefined when not set. */
export function setProp(s: AccountState, seg: string, ns: string, name: string): string | undefined {
  const v = s.props?.[seg]?.[`${ns}|${name}`];
  return v === undefined ? undefined : esc(v);
}
