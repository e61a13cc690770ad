// Two-way sync of the merged PIM view with one CalDAV/CardDAV account: ETags for the server side, revisions for ours, LWW with conflict copies.
import { createHash } from 'node:crypto';
import type { Quad } from '@rdfjs/types';
import { SS } from '../graph/vocab.js';
import { allowedItem, type PimPolicy } from '../pim/policy.js';
import { exportItems, mergedView, readPimBytes, writeItems, type ItemGroup, type MergedItem, type MergedView, type PimKindName, type PimStore } from '../pim/store.js';
import { DavClient, type DavCollection } from './client.js';

/** What the last sync agreed on for one server object. `rev` is the merged view's `<revision>@<author>` then. */
export interface SyncedItem {
  master: string;
  etag: string;
  rev: string;
  /** The policy let it reach this server at the last sync (false: it came from there and is withheld from going back). */
  allowed?: boolean;
}

export interface DavSyncState {
  collections: Record<string, { kind: PimKindName; items: Record<string, SyncedItem> }>;
}

export interface DavSyncReport {
  collection: string;
  kind: PimKindName;
  /** Items taken from the server (new or changed there). */
  pulled: number;
  /** Items written to the server. */
  pushed: number;
  deletedHere: number;
  deletedThere: number;
  conflicts: number;
  /** Local items the policy keeps from this server. */
  withheld: number;
  /** Writes refused because the object changed meanwhile (resolved next sync). */
  retry: number;
  errors: string[];
}

export interface DavSyncOptions {
  policy?: PimPolicy;
  /** Only these collections (default: every one the account URL lists). */
  collections?: DavCollection[];
  /** Called after each collection with the state so far (the caller persists it). */
  onState?: (state: DavSyncState) => Promise<void>;
}

const revOf = (i: MergedItem | undefined) => (i ? `${i.rev}@${i.author}` : '');

/** The modelled content of an item (source text, revision and tombstone marks aside), to tell a real edit from a re-serialisation. */
function content(quads: readonly Quad[]): string {
  return quads
    .filter((q) => !q.predicate.equals(SS('sourceText')) && !q.predicate.equals(SS('revision')) && !q.predicate.equals(SS('deleted')))
    .map((q) => `${q.subject.value} ${q.predicate.value} ${q.object.termType}:${q.object.value}`)
    .sort()
    .join('\n');
}

/** When a server object was last changed, by its own text: LAST-MODIFIED, else REV (vCard), else DTSTAMP. */
export function textTime(text: string): number | undefined {
  for (const name of ['LAST-MODIFIED', 'REV', 'DTSTAMP']) {
    const m = new RegExp(`^${name}(?:;[^:\\r\\n]*)?:(\\d{4})-?(\\d\\d)-?(\\d\\d)(?:T(\\d\\d):?(\\d\\d):?(\\d\\d))?`, 'm').exec(text);
    if (m) return Date.UTC(+m[1], +m[2] - 1, +m[3], +(m[4] ?? 0), +(m[5] ?? 0), +(m[6] ?? 0));
  }
  return undefined;
}

/** The loser of a conflict, kept as a new item: UID `<uid>-conflict-<hash>` (a new IRI), everything else as it was. */
export function conflictCopy(kind: PimKindName, text: string): ItemGroup | undefined {
  const tag = createHash('sha256').update(text).digest('hex').slice(0, 8);
  if (!/^UID[;:]/m.test(text)) return undefined;
  const copied = text.replace(/^(UID(?:;[^:\r\n]*)?:)([^\r\n]*)/gm, (_m, head: string, uid: string) => `${head}${uid}-conflict-${tag}`);
  return readPimBytes(kind, Buffer.from(copied)).groups[0];
}

function objectName(master: string, kind: PimKindName): string {
  const tail = decodeURIComponent(master.slice(master.lastIndexOf('/') + 1));
  const safe = tail.replace(/[^A-Za-z0-9._@-]/g, '_').slice(0, 120) || createHash('sha256').update(master).digest('hex').slice(0, 16);
  return `${safe}.${kind === 'calendar' ? 'ics' : 'vcf'}`;
}

/** Syncs every collection of the account; each is independent (one failing does not stop the others). */
export async function syncAccount(store: PimStore, client: DavClient, state: DavSyncState, opts: DavSyncOptions = {}): Promise<DavSyncReport[]> {
  const collections = opts.collections ?? (await client.collections());
  const out: DavSyncReport[] = [];
  for (const c of collections) {
    out.push(await syncCollection(store, client, c, state, opts.policy));
    await opts.onState?.(state);
  }
  return out;
}

export async function syncCollection(store: PimStore, client: DavClient, coll: DavCollection, state: DavSyncState, policy?: PimPolicy): Promise<DavSyncReport> {
  const kind = coll.kind;
  const report: DavSyncReport = { collection: coll.url, kind, pulled: 0, pushed: 0, deletedHere: 0, deletedThere: 0, conflicts: 0, withheld: 0, retry: 0, errors: [] };
  const st = (state.collections[coll.url] ??= { kind, items: {} }).items;
  const listing = await client.etags(coll.url);
  let view = mergedView(store, kind);
  const hrefOf = new Map(Object.entries(st).map(([href, e]) => [e.master, href]));
  const allowed = (i: MergedItem) => !i.deleted && allowedItem(policy, i.quads.filter((q) => q.subject.value === i.master));

  // 1. The server side: new and changed objects come in (or conflict), objects gone from the server go here.
  const changed = [...listing].filter(([href, etag]) => st[href]?.etag !== etag || !etag).map(([href]) => href);
  const fetched = await client.multiget(coll.url, kind, changed);
  const incoming: ItemGroup[] = [];
  const pushBack = new Set<string>(); // masters whose local version won a conflict
  const serverTouched = new Set<string>();
  const landed = new Map<string, { href: string; etag: string }>();
  for (const [href, obj] of fetched) {
    const read = readPimBytes(kind, Buffer.from(obj.text));
    report.errors.push(...read.errors.map((e) => `${href}: ${e}`));
    const group = read.groups[0];
    if (!group) continue;
    const entry = st[href];
    const local = view.items.get(group.master);
    serverTouched.add(group.master);
    landed.set(group.master, { href, etag: obj.etag });
    const localChanged = entry ? revOf(local) !== entry.rev : !!local && !local.deleted;
    if (!localChanged || !local || local.deleted || content(local.quads) === content(group.quads)) {
      // Nothing changed here (or an edit beats our deletion, or both made the same change): the server's version.
      if (!local || local.deleted || content(local.quads) !== content(group.quads)) {
        incoming.push(group);
        report.pulled++;
      }
      continue;
    }
    // Both changed: the later change wins (server: LAST-MODIFIED/REV/DTSTAMP; here: the revision clock); the loser becomes a copy.
    report.conflicts++;
    const serverTime = textTime(obj.text) ?? 0;
    const localTime = Number(local.rev.split('.')[0]);
    if (serverTime > localTime) {
      incoming.push(group);
      const copy = conflictCopy(kind, exportItems(view, [local.master]));
      if (copy) incoming.push(copy);
      report.pulled++;
    } else {
      const copy = conflictCopy(kind, obj.text);
      if (copy) incoming.push(copy);
      pushBack.add(group.master);
    }
  }
  const gone: string[] = [];
  for (const [href, entry] of Object.entries(st)) {
    if (listing.has(href)) continue;
    const local = view.items.get(entry.master);
    if (local && !local.deleted && revOf(local) !== entry.rev) {
      delete st[href]; // changed here since: an edit beats the server's deletion, so it is written again below
      hrefOf.delete(entry.master);
      continue;
    }
    if (local && !local.deleted) gone.push(entry.master);
    delete st[href];
    hrefOf.delete(entry.master);
  }
  if (incoming.length || gone.length) {
    const w = await writeItems(store, kind, incoming, { remove: gone, timezones: [] });
    report.deletedHere += w.deleted.length;
    // Time zones the server's calendars refer to.
    const tz = [...fetched.values()].flatMap((o) => (kind === 'calendar' ? readPimBytes(kind, Buffer.from(o.text)).timezones : []));
    if (tz.length) await writeItems(store, kind, [], { timezones: tz });
    view = mergedView(store, kind);
  }
  for (const [master, at] of landed) {
    const item = view.items.get(master);
    // A local version that won a conflict is written over the server's (If-Match its ETag) below.
    st[at.href] = { master, etag: at.etag, rev: pushBack.has(master) ? '' : revOf(item), allowed: item ? allowed(item) : true };
    hrefOf.set(master, at.href);
  }

  // 2. Our side: new and changed items go out (policy permitting); deleted or newly withheld ones are deleted there.
  for (const item of view.items.values()) {
    const href = hrefOf.get(item.master);
    const entry = href ? st[href] : undefined;
    if (serverTouched.has(item.master) && !pushBack.has(item.master)) continue;
    if (entry && entry.rev === revOf(item) && !pushBack.has(item.master)) continue;
    const ok = allowed(item);
    if (!ok && !item.deleted && !entry) report.withheld++;
    try {
      if (!entry || !href) {
        if (!ok) continue;
        const url = new URL(objectName(item.master, kind), coll.url).href;
        const etag = await client.put(url, exportItems(view, [item.master], policy), kind);
        if (etag === 'precondition') report.retry++;
        else {
          st[url] = { master: item.master, etag, rev: revOf(item), allowed: true };
          report.pushed++;
        }
      } else if (!ok && !item.deleted && entry.allowed === false) {
        report.withheld++; // it came from this server and is withheld from going back: the server keeps its own copy
        entry.rev = revOf(item);
      } else if (!ok) {
        const r = await client.remove(href, entry.etag);
        if (r === 'precondition') report.retry++;
        else {
          delete st[href];
          report.deletedThere++;
        }
      } else {
        const etag = await client.put(href, exportItems(view, [item.master], policy), kind, entry.etag);
        if (etag === 'precondition') report.retry++;
        else {
          st[href] = { master: item.master, etag, rev: revOf(item), allowed: true };
          report.pushed++;
        }
      }
    } catch (err) {
      report.errors.push((err as Error).message);
      if ((err as { status?: number }).status === undefined) throw err; // the server is gone: stop, retry later
    }
  }
  return report;
}

export type { MergedView };
