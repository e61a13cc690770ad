// Two-way sync of the merged PIM view with one CalDAV/CardDAV collection: ETags for the server side, revisions for ours,
// field-level merge with listed conflicts (pim/merge.ts). Nothing is deleted without proof: a complete listing compared by normalised href.
import type { Quad } from '@rdfjs/types';
import { SS } from '../graph/vocab.js';
import { viaOf, withChannel } from '../graph/index.js';
import { allowedGroup, type PimPolicy } from '../pim/index.js';
import { mergedView, readPimBytes, writeItems, type ItemGroup, type MergedItem, type PimKindName, type PimStore } from '../pim/index.js';
import { baseOf, replicaMerge, type Entry } from '../pim/index.js';
import { type DavClient, type DavCollection, type Listing } from './client.js';
import { hrefKey } from './href.js';
import { pushGuard, pushLocal } from './outgoing.js';
import { massDeleteCheck, type DavSyncReport, type DavSyncState, type SyncedItem } from './state.js';

export interface DavSyncOptions {
  policy?: PimPolicy;
  /** The account's name, for the channel its changes are recorded with (`dav:<account>/<collection>`; default the server's host). */
  account?: string;
  /** Only these collections (default: every one discovery finds). */
  collections?: DavCollection[];
  /** Called after each collection with the state so far (the caller persists it). */
  onState?: (state: DavSyncState) => Promise<void>;
  /** Go ahead with a sync that would delete more than the guard allows (see {@link massDeleteCheck}). */
  allowMassDelete?: boolean;
  /** Now, in ms (failures back off from it). */
  now?: number;
  /** May a local item this collection does not hold be created in it (default: yes)? */
  mayCreate?: (master: string) => boolean;
  /** Items gone from the collection are put here instead of deleted (the account deletes them unless another collection holds them). */
  pending?: Map<string, { kind: PimKindName; report: DavSyncReport }>;
}

export const revOf = (i: MergedItem | undefined): string => i?.tag ?? '';

/** The modelled content of an item (source text, revision and tombstone marks aside), to tell a real edit from a re-serialisation. */
function content(quads: readonly Quad[]): string {
  return quads
    .filter((q) => !q.predicate.equals(SS('sourceText')) && !q.predicate.equals(SS('revision')) && !q.predicate.equals(SS('deleted')))
    .map((q) => `${q.subject.value} ${q.predicate.value} ${q.object.termType}:${q.object.value}`)
    .sort()
    .join('\n');
}

/** The state of one collection, keyed by normalised href; a state written by an older semsync (raw hrefs) is re-keyed. */
export function collectionState(state: DavSyncState, coll: DavCollection): Record<string, SyncedItem> {
  const key = hrefKey(coll.url);
  let c = state.collections[key];
  for (const [k, v] of Object.entries(state.collections)) {
    if (k === key || hrefKey(k) !== key) continue;
    c = { ...v, items: { ...v.items, ...(c?.items ?? {}) } };
    delete state.collections[k];
  }
  c ??= { kind: coll.kind, items: {} };
  const items: Record<string, SyncedItem> = {};
  for (const [k, v] of Object.entries(c.items)) items[hrefKey(k)] = { ...v, href: v.href ?? k };
  state.collections[key] = { ...c, url: coll.url, items };
  return items;
}

/** Syncs the given collections; each is independent (one failing does not stop the others). */
/**
 * Syncs the given collections; each is independent (one failing does not stop the others). An account with several
 * calendars (or address books) sends a new local item to one of them, its primary (the first found, kept in the
 * state); every collection keeps syncing the items it holds, so an event from the Work calendar is not copied into Home.
 */
export function syncAccount(store: PimStore, client: DavClient, state: DavSyncState, collections: DavCollection[], opts: DavSyncOptions = {}): Promise<DavSyncReport[]> {
  const account = opts.account ?? (URL.canParse(collections[0]?.url ?? '') ? new URL(collections[0].url).host : 'server');
  return withChannel(viaOf('dav', account), () => syncCollections(store, client, state, collections, account, opts));
}

/** The last segment of a collection's path (its id on the server). */
function collectionLabel(c: DavCollection): string {
  const parts = (URL.canParse(c.url) ? new URL(c.url).pathname : c.url).split('/').filter(Boolean);
  return parts.length ? decodeURIComponent(parts[parts.length - 1]) : c.url;
}

async function syncCollections(store: PimStore, client: DavClient, state: DavSyncState, collections: DavCollection[], account: string, opts: DavSyncOptions): Promise<DavSyncReport[]> {
  const primary = (state.primary ??= {});
  for (const kind of ['contacts', 'calendar'] as const) {
    const keys = collections.filter((c) => c.kind === kind).map((c) => hrefKey(c.url));
    if (!keys.length) delete primary[kind];
    else if (!primary[kind] || !keys.includes(primary[kind]!)) primary[kind] = keys[0];
  }
  const out: DavSyncReport[] = [];
  const pending = new Map<string, { kind: PimKindName; report: DavSyncReport }>();
  for (const c of collections) {
    const self = hrefKey(c.url);
    let elsewhere: Set<string> | undefined;
    const heldElsewhere = (master: string) => {
      elsewhere ??= new Set(Object.entries(state.collections).filter(([k, cs]) => k !== self && cs.kind === c.kind).flatMap(([, cs]) => Object.values(cs.items).map((e) => e.master)));
      return elsewhere.has(master);
    };
    const one = () => syncCollection(store, client, c, state, { ...opts, pending, mayCreate: (m) => primary[c.kind] === self && !heldElsewhere(m) && !pending.has(m) });
    out.push(await withChannel(viaOf('dav', `${account}/${collectionLabel(c)}`), one));
    await opts.onState?.(state);
  }
  // Gone from one collection and held by none: deleted here. Held by another (moved between calendars): kept.
  const held = new Set(Object.values(state.collections).flatMap((cs) => Object.values(cs.items).map((e) => e.master)));
  for (const kind of ['contacts', 'calendar'] as const) {
    const remove = [...pending].filter(([m, p]) => p.kind === kind && !held.has(m)).map(([m]) => m);
    if (!remove.length) continue;
    const w = await writeItems(store, kind, [], { remove });
    for (const m of w.deleted) pending.get(m)!.report.deletedHere++;
  }
  return out;
}

interface Pulled {
  incoming: ItemGroup[];
  /** Masters whose local version won a conflict (written over the server's below). */
  pushBack: Set<string>;
  /** Masters the server sent this time: master → where. */
  landed: Map<string, { key: string; href: string; etag: string }>;
  /** VTIMEZONE quads of the server's calendars. */
  timezones: Quad[];
  /** master → field → our values kept beside the server's (a conflict, settled by the person). */
  keep: Map<string, Map<string, Entry[]>>;
  /** master → the item as the server has it (the base of the next sync). */
  server: Map<string, Quad[]>;
}

/** The server's new and changed objects: taken, or a conflict (the later change wins, the loser becomes a copy). */
async function pull(client: DavClient, coll: DavCollection, listing: Listing, st: Record<string, SyncedItem>, view: ReturnType<typeof mergedView>, report: DavSyncReport): Promise<Pulled> {
  const kind = coll.kind;
  const changed = [...listing.items].filter(([key, l]) => st[key]?.etag !== l.etag || !l.etag).map(([, l]) => l.href);
  const fetched = await client.multiget(coll.url, kind, changed);
  const out: Pulled = { incoming: [], pushBack: new Set(), landed: new Map(), timezones: [], keep: new Map(), server: new Map() };
  for (const [key, obj] of fetched) {
    const read = readPimBytes(kind, Buffer.from(obj.text));
    report.errors.push(...read.errors.map((e) => `${obj.href}: ${e}`));
    const group = read.groups[0];
    if (!group) continue;
    const entry = st[key];
    const local = view.items.get(group.master);
    out.landed.set(group.master, { key, href: obj.href, etag: obj.etag });
    out.server.set(group.master, group.quads);
    const localChanged = entry ? revOf(local) !== entry.rev : !!local && !local.deleted;
    if (!localChanged || !local || local.deleted || content(local.quads) === content(group.quads)) {
      // Nothing changed here (or an edit beats our deletion, or both made the same change): the server's version.
      if (!local || local.deleted || content(local.quads) !== content(group.quads)) {
        out.incoming.push(group);
        report.pulled++;
      }
      continue;
    }
    report.conflicts++;
    // Field by field against what both had at the last sync: a field both changed is a conflict listed by
    // `semsync conflicts` (the server's value shown, ours kept); the merged item goes back to the server. A state
    // from before field-level merging has no base: every field the two hold differently is then a listed conflict
    // and sets are united (no `-conflict-` copy, which was an extra item nothing listed).
    const merged = replicaMerge(group.master, local, group.quads, entry?.base ?? {});
    out.incoming.push({ master: group.master, quads: merged.quads, errors: [] });
    out.keep.set(group.master, merged.keep);
    out.pushBack.add(group.master);
  }
  if (kind === 'calendar') out.timezones = [...fetched.values()].flatMap((o) => readPimBytes(kind, Buffer.from(o.text)).timezones);
  return out;
}

/**
 * Known objects the server no longer lists. Only a complete listing is proof; an object that moved (its item came back
 * under another href) is not gone; an item edited here since is written again instead of deleted.
 */
function goneFromServer(listing: Listing, st: Record<string, SyncedItem>, landed: Pulled['landed'], view: ReturnType<typeof mergedView>): string[] {
  const gone: string[] = [];
  if (!listing.complete) return gone;
  for (const [key, entry] of Object.entries(st)) {
    if (listing.items.has(key)) continue;
    const local = view.items.get(entry.master);
    delete st[key];
    if (landed.has(entry.master)) continue;
    if (local && !local.deleted && revOf(local) === entry.rev) gone.push(entry.master);
  }
  return gone;
}

/**
 * The collection's objects: with a sync token, what we knew plus the changes since it (RFC 6578: removals are named
 * by the server, which is proof); without one, or when the server cannot answer for it, a full PROPFIND listing
 * (the token is read first, so a change made during the listing is reported again next time, never missed).
 */
async function listCollection(client: DavClient, coll: DavCollection, st: Record<string, SyncedItem>, token?: string): Promise<{ listing: Listing; token?: string }> {
  const delta = token ? await client.changesSince(coll.url, token).catch(() => undefined) : undefined;
  if (delta) {
    const items = new Map(Object.entries(st).map(([k, e]) => [k, { href: e.href, etag: e.etag }]));
    for (const [k, l] of delta.changed) items.set(k, l);
    for (const k of delta.removed) items.delete(k);
    return { listing: { items, complete: true }, token: delta.token };
  }
  const fresh = await client.syncToken(coll.url).catch(() => undefined);
  const listing = await client.list(coll.url);
  return { listing, token: listing.complete ? fresh : undefined }; // after an incomplete listing, the next sync lists all again
}

export async function syncCollection(store: PimStore, client: DavClient, coll: DavCollection, state: DavSyncState, opts: DavSyncOptions = {}): Promise<DavSyncReport> {
  const kind = coll.kind;
  const report: DavSyncReport = { collection: coll.url, kind, pulled: 0, pushed: 0, deletedHere: 0, deletedThere: 0, conflicts: 0, withheld: 0, retry: 0, errors: [], failed: [] };
  const st = collectionState(state, coll);
  const cs = state.collections[hrefKey(coll.url)];
  const known = Object.keys(st).length;
  const { listing, token } = await listCollection(client, coll, st, cs.syncToken);
  if (!listing.complete) report.errors.push(`${coll.url}: the server's listing was incomplete; nothing is deleted here on its account this time`);
  let view = mergedView(store, kind);
  const allowed = (i: MergedItem) => !i.deleted && allowedGroup(opts.policy, i.quads, i.master);

  const pulled = await pull(client, coll, listing, st, view, report);
  const before = { ...st };
  const gone = goneFromServer(listing, st, pulled.landed, view);
  const serverTouched = new Set([...pulled.landed.keys()].filter((m) => !pulled.pushBack.has(m)));
  const ctx = { coll, view, st, report, policy: opts.policy, allowed, serverTouched, mayCreate: opts.mayCreate ?? (() => true) };
  const stop = opts.allowMassDelete ? undefined : (massDeleteCheck('here', gone.length, known, coll.url) ?? pushGuard(ctx, listing.items.size));
  if (stop) {
    Object.assign(st, before);
    report.stopped = stop;
    return report;
  }
  const deferred = opts.pending !== undefined; // the account decides, once every collection is listed (a move between two is no deletion)
  if (pulled.incoming.length || (gone.length && !deferred)) {
    const w = await writeItems(store, kind, pulled.incoming, { remove: deferred ? [] : gone, keep: pulled.keep, via: coll.url });
    report.deletedHere += w.deleted.length;
    if (pulled.timezones.length) await writeItems(store, kind, [], { timezones: pulled.timezones });
    view = mergedView(store, kind);
  }
  if (deferred) for (const m of gone) (opts.pending!.set(m, { kind, report }), serverTouched.add(m));
  for (const [master, at] of pulled.landed) {
    const item = view.items.get(master);
    for (const [k, e] of Object.entries(st)) if (e.master === master && k !== at.key) delete st[k];
    st[at.key] = { master, href: at.href, etag: at.etag, rev: pulled.pushBack.has(master) ? '' : revOf(item), allowed: item ? allowed(item) : true, base: baseOf(master, pulled.server.get(master) ?? []) };
  }
  await pushLocal({ ...ctx, client, view, state, now: opts.now ?? Date.now() });
  if (token) cs.syncToken = token;
  else delete cs.syncToken;
  return report;
}
