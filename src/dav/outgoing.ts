// Our side of a DAV sync: new and changed items go out (policy permitting, repaired so servers take them), deleted or
// newly withheld ones are deleted there (If-Match always); what the server refuses is reported by item and backs off.
import { ICAL, VCARD } from '../graph/vocab.js';
import type { PimPolicy } from '../pim/index.js';
import { repairForServer } from '../pim/index.js';
import { exportItems, readPimBytes, type MergedItem, type MergedView } from '../pim/index.js';
import { baseOf } from '../pim/index.js';
import { DavError, type DavClient, type DavCollection } from './client.js';
import { hrefKey, objectName } from './href.js';
import { backoffMs, massDeleteCheck, type DavSyncReport, type DavSyncState, type FailureRecord, type SyncedItem } from './state.js';

const revOf = (i: MergedItem) => i.tag;

/** Requests in flight at once while sending. */
const PARALLEL = 4;

export interface PushContext {
  client: DavClient;
  coll: DavCollection;
  view: MergedView;
  st: Record<string, SyncedItem>;
  state: DavSyncState;
  report: DavSyncReport;
  policy?: PimPolicy;
  allowed: (i: MergedItem) => boolean;
  /** Masters the server's version of which was just taken (nothing to send). */
  serverTouched: Set<string>;
  /** May an item this collection does not hold be created in it (the account's primary collection of its kind, and no other collection holds it)? */
  mayCreate: (master: string) => boolean;
  now: number;
}

type Op = { item: MergedItem; op: 'create' | 'update' | 'delete'; key?: string };

/** What would be sent, updated or deleted there (withheld items counted in the report as they are met). */
export function planPush(c: Omit<PushContext, 'client' | 'state' | 'now'>, count = true): Op[] {
  const keyOf = new Map(Object.entries(c.st).map(([k, e]) => [e.master, k]));
  const ops: Op[] = [];
  for (const item of c.view.items.values()) {
    if (c.serverTouched.has(item.master)) continue;
    const key = keyOf.get(item.master);
    const entry = key ? c.st[key] : undefined;
    if (entry && entry.rev === revOf(item)) continue;
    const ok = c.allowed(item);
    if (!entry || !key) {
      if (ok) {
        if (c.mayCreate(item.master)) ops.push({ item, op: 'create' });
      } else if (!item.deleted && count) c.report.withheld++;
    } else if (ok) ops.push({ item, op: 'update', key });
    else if (!item.deleted && entry.allowed === false) {
      if (count) c.report.withheld++; // it came from this server and is withheld from going back: the server keeps its own copy
      if (count) entry.rev = revOf(item);
    } else ops.push({ item, op: 'delete', key });
  }
  return ops;
}

/** The name and UID an item is reported by. */
export function describe(item: MergedItem): { name: string; uid: string } {
  const first = (p: ReturnType<typeof VCARD>) => item.quads.find((q) => q.predicate.equals(p))?.object.value;
  const name = first(VCARD('fn')) ?? first(ICAL('summary')) ?? first(VCARD('hasEmail'))?.replace(/^mailto:/, '') ?? '(no name)';
  const uid = first(VCARD('uid')) ?? first(ICAL('uid')) ?? derivedUid(item.master);
  return { name, uid };
}

/** The UID an item without one gets on a server: its IRI's last segment (`sha256-<hex>` of its text), so it comes back as itself. */
export const derivedUid = (master: string): string => decodeURIComponent(master.slice(master.lastIndexOf('/') + 1));

/** The text an item goes to a server as (policy applied, repaired), or no text when nothing of it may go. */
export function outgoingText(view: MergedView, item: MergedItem, policy?: PimPolicy): { text?: string; notes: string[] } {
  const raw = exportItems(view, [item.master], policy);
  if (!/^BEGIN:(VCARD|VEVENT|VTODO|VJOURNAL)\r?$/m.test(raw)) return { notes: [] };
  return repairForServer(view.kind, raw, derivedUid(item.master));
}

/** Counts the deletions on the server a push would make; the guard's message when there are too many. */
export function pushGuard(c: Omit<PushContext, 'client' | 'state' | 'now'>, listed: number): string | undefined {
  const deletes = planPush(c, false).filter((o) => o.op === 'delete').length;
  return massDeleteCheck('there', deletes, listed, c.coll.url);
}

export async function pushLocal(c: PushContext): Promise<void> {
  const failed = (c.state.collections[hrefKey(c.coll.url)].failed ??= {});
  const { report, st } = c;
  const one = async ({ item, op, key }: Op): Promise<void> => {
    const f = failed[item.master];
    if (op !== 'delete' && f && f.rev === revOf(item) && f.next > c.now) {
      report.failed.push({ name: f.name, uid: f.uid, href: f.href, reason: f.reason, nextTry: new Date(f.next).toISOString() });
      return;
    }
    const entry = key ? st[key] : undefined;
    const href = entry?.href ?? c.client.resolve(objectName(item.master, c.coll.kind), c.coll.url.replace(/\/?$/, '/'));
    try {
      if (op === 'delete') {
        const r = await c.client.remove(entry!.href, entry!.etag);
        if (r === 'precondition') report.retry++;
        else {
          delete st[key!];
          report.deletedThere++;
        }
        return;
      }
      const out = outgoingText(c.view, item, c.policy);
      report.errors.push(...out.notes.map((n) => `${describe(item).uid}: ${n}`));
      if (out.text === undefined) {
        report.withheld++;
        return;
      }
      const r = await c.client.put(href, out.text, c.coll.kind, entry?.etag);
      if (r === 'precondition') report.retry++;
      else {
        if (key) delete st[key];
        st[hrefKey(r.href)] = { master: item.master, href: r.href, etag: r.etag, rev: revOf(item), allowed: true, base: baseOf(item.master, readPimBytes(c.coll.kind, Buffer.from(out.text)).groups.find((g) => g.master === item.master)?.quads ?? []) };
        delete failed[item.master];
        report.pushed++;
      }
    } catch (err) {
      const status = (err as { status?: number }).status;
      if (!(err instanceof DavError) || status === undefined || status === 401) throw err; // the server is gone or refuses us: stop, retry later
      const { name, uid } = describe(item);
      const tries = (f && f.rev === revOf(item) ? f.tries : 0) + 1;
      const rec: FailureRecord = { name, uid, href, reason: err.message, rev: revOf(item), tries, next: c.now + backoffMs(tries), at: c.now };
      failed[item.master] = rec;
      report.failed.push({ name, uid, href, reason: err.message, nextTry: new Date(rec.next).toISOString() });
    }
  };
  // A few requests at once (as vdirsyncer does): the server's latency overlaps; each item's bookkeeping is its own.
  const ops = planPush(c);
  let next = 0;
  let fatal: unknown;
  await Promise.all(Array.from({ length: Math.min(PARALLEL, ops.length) }, async () => {
    while (next < ops.length && fatal === undefined) await one(ops[next++]).catch((err: unknown) => void (fatal ??= err));
  }));
  if (fatal !== undefined) throw fatal; // the server is gone or refuses us: stop, the state so far is kept
  for (const master of Object.keys(failed)) {
    const item = c.view.items.get(master);
    if (!item || !c.allowed(item)) delete failed[master]; // deleted or withheld since: nothing to send any more
  }
}
