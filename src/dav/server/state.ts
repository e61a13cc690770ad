// Per-account server state (HOME/dav-server/state/<account>.json): resource names, sync tokens, and the text each client wrote.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { PimKindName } from '../../pim/index.js';
import { readJsonFile, writeJsonFile } from '../../base/index.js';

/** One collection's change log as this account saw it: only visible items ever enter it, so it tells nothing of the others. */
export interface CollectionLog {
  /** Moves by one each time the visible listing changed (the sync token and the ctag). */
  counter: number;
  /** name → the ETag served and the counter when it last changed. */
  items: Record<string, { etag: string; at: number }>;
  /** name → the counter when it left the listing. */
  removed: Record<string, number>;
  /** Removals up to this counter were forgotten (the log is bounded): older tokens are refused. */
  floor?: number;
}

export interface AccountState {
  /** The account's creation time: an account removed and made again under the same name starts afresh. */
  account?: string;
  /** When a device last signed in with this account (saved at most once a minute), and its User-Agent then. */
  lastSeen?: string;
  device?: string;
  /** Made with the state: a token from another state (a reset home) is refused, not misread. */
  epoch: string;
  /** Per collection (its path segment: `calendar`, `contacts`, or one a client made): its change log. */
  collections: Record<string, CollectionLog>;
  /** Collections this account's clients made (MKCALENDAR, extended MKCOL): segment → kind. */
  extra?: Record<string, { kind: PimKindName; created: string }>;
  /** Properties set by PROPPATCH or at creation, per collection segment: `ns|name` → text. */
  props?: Record<string, Record<string, string>>;
  /** master → the collection (a made one) it is in for this account; absent: the kind's own collection. */
  member?: Record<string, string>;
  /** master → the resource name a client chose for it (a PUT); others are named after their UID. */
  names: Record<string, string>;
  /** master → what this account's client wrote, with the item's `<revision>@<author>` then: served as written while nobody changed it. */
  written: Record<string, { rev: string; text: string; policy: string }>;
}

const emptyLog = (): CollectionLog => ({ counter: 0, items: {}, removed: {} });

export function newState(): AccountState {
  return { epoch: randomBytes(6).toString('hex'), collections: { calendar: emptyLog(), contacts: emptyLog() }, names: {}, written: {} };
}

export class AccountStates {
  private loaded = new Map<string, AccountState>();
  private queues = new Map<string, Promise<unknown>>();

  constructor(readonly home: string) {}

  private file(account: string): string {
    return path.join(this.home, 'dav-server', 'state', `${account}.json`);
  }

  /** Runs `fn` with the account's state, one call at a time per account; saves when `fn` says it changed. */
  with<T>(account: string, created: string, fn: (s: AccountState) => Promise<{ value: T; changed: boolean }>): Promise<T> {
    const prev = this.queues.get(account) ?? Promise.resolve();
    const job = prev.then(async () => {
      let s = this.loaded.get(account);
      if (!s) {
        s = await readJsonFile<AccountState>(this.file(account), newState());
        this.loaded.set(account, s);
      }
      let reset = false;
      if (s.account !== created) {
        s = { ...newState(), account: created };
        this.loaded.set(account, s);
        reset = true;
      }
      const r = await fn(s);
      if (r.changed || reset) await writeJsonFile(this.file(account), s, { dirMode: 0o700 });
      return r.value;
    });
    this.queues.set(account, job.catch(() => {}));
    return job;
  }

}

/** The last sign-in of an account as saved (for `semsync dav serve list`). */
export async function lastSeenOf(home: string, account: string): Promise<{ lastSeen?: string; device?: string }> {
  const s = await readJsonFile<Partial<AccountState>>(path.join(home, 'dav-server', 'state', `${account}.json`), {});
  return { lastSeen: s.lastSeen, device: s.device };
}

/** Notes a sign-in; true when it is worth saving (the device changed, or the last saved one is a minute old). */
export function touch(s: AccountState, device: string, now = new Date()): boolean {
  const stale = !s.lastSeen || now.getTime() - Date.parse(s.lastSeen) > 60_000 || s.device !== device;
  if (stale) {
    s.lastSeen = now.toISOString();
    s.device = device.slice(0, 200);
  }
  return stale;
}

/**
 * Records a listing (name → ETag) in the log: anything new, changed or gone moves the counter once and is stamped
 * with it. Returns whether the log changed.
 */
export function observe(log: CollectionLog, listing: Map<string, string>, maxRemoved = 10_000): boolean {
  const changed: string[] = [];
  for (const [name, etag] of listing) if (log.items[name]?.etag !== etag) changed.push(name);
  const gone = Object.keys(log.items).filter((n) => !listing.has(n));
  if (!changed.length && !gone.length) return false;
  const at = ++log.counter;
  for (const name of changed) {
    log.items[name] = { etag: listing.get(name)!, at };
    delete log.removed[name];
  }
  for (const name of gone) {
    delete log.items[name];
    log.removed[name] = at;
  }
  const removed = Object.entries(log.removed);
  if (removed.length > maxRemoved) {
    // Forget the older half; a client holding a token from before then syncs again from the start (403 valid-sync-token).
    removed.sort((a, b) => a[1] - b[1]);
    const drop = removed.slice(0, removed.length - Math.floor(maxRemoved / 2));
    for (const [name] of drop) delete log.removed[name];
    log.floor = Math.max(log.floor ?? 0, drop[drop.length - 1][1]);
  }
  return true;
}

export const TOKEN_BASE = 'https://w3id.org/semsync/ns/dav-sync/';

/** The token of a collection's log; a made collection's names it (`coll`), so it is refused on another collection. */
export function syncToken(s: AccountState, log: CollectionLog, coll?: string): string {
  return `${TOKEN_BASE}${s.epoch}${madeTag(coll)}-${log.counter}`;
}

const madeTag = (coll: string | undefined) => (coll && coll !== 'calendar' && coll !== 'contacts' ? `.${encodeURIComponent(coll)}` : '');
const escRe = (x: string) => x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The counter a client's token stands for; undefined when it is not one of ours (answered 403 valid-sync-token). */
export function tokenCounter(s: AccountState, log: CollectionLog, token: string, coll?: string): number | undefined {
  if (token === '') return 0;
  const m = new RegExp(`^(?:${escRe(TOKEN_BASE)})?([0-9a-f]+)${escRe(madeTag(coll))}-(\\d+)$`).exec(token.trim());
  if (!m || m[1] !== s.epoch) return undefined;
  const n = Number(m[2]);
  return n <= log.counter && n >= (log.floor ?? 0) ? n : undefined;
}
