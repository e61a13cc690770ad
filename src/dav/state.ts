// What a DAV sync remembers and reports: per collection the objects agreed on and the items that failed (with back-off),
// and the mass-deletion guard.
import type { Base } from '../pim/index.js';

/** What the last sync agreed on for one server object. `rev` is the merged view's `<revision>@<author>` then. */
export interface SyncedItem {
  master: string;
  /** The href as the server names it (the state is keyed by its normalised form, see hrefKey). */
  href: string;
  etag: string;
  rev: string;
  /** The policy let it reach this server at the last sync (false: it came from there and is withheld from going back). */
  allowed?: boolean;
  /** The item's fields as the server has it after the last sync (pim/merge.ts replicaMerge), field → value hashes. */
  base?: Base;
}

/** An item the server would not take (or that could not be sent), kept until it goes through. */
export interface FailureRecord {
  name: string;
  uid: string;
  href?: string;
  reason: string;
  /** The item's revision when it failed: a new revision is tried at once. */
  rev: string;
  tries: number;
  /** Not tried again before this time (ms). */
  next: number;
  at: number;
}

export interface CollectionState {
  kind: 'contacts' | 'calendar';
  url?: string;
  /** hrefKey → object. */
  items: Record<string, SyncedItem>;
  /** master → why it is not on the server. */
  failed?: Record<string, FailureRecord>;
  /** RFC 6578 token the items above agree with (the next sync asks only for what changed since). */
  syncToken?: string;
}

export interface DavSyncState {
  collections: Record<string, CollectionState>;
  /** Per kind, the collection (hrefKey) new local items go to; other collections keep only what they hold. */
  primary?: Partial<Record<'contacts' | 'calendar', string>>;
  /** The last sync of the account: when, and what came of it. */
  last?: { at: number; ok: boolean; summary: string; result?: DavSyncResult; counts?: DavSyncCounts; stopped?: string[] };
}

/** How the last sync of an account ended: everything through, something not (an item, or the server), or the mass-deletion guard. */
export type DavSyncResult = 'ok' | 'failed' | 'stopped';

/** What one sync did, as counts (a collection's report, or the totals over an account's collections). */
export interface DavSyncTotals {
  /** Items taken from the server (new or changed there). */
  pulled: number;
  /** Items written to the server. */
  pushed: number;
  deletedHere: number;
  deletedThere: number;
  conflicts: number;
  /** Local items the policy keeps from this server. */
  withheld: number;
}

/** The last sync's totals over the account's collections. */
export interface DavSyncCounts extends DavSyncTotals {
  failed: number;
}

export interface ItemFailure {
  name: string;
  uid: string;
  href?: string;
  reason: string;
  /** ISO time of the next attempt (when it backs off). */
  nextTry?: string;
}

export interface DavSyncReport extends DavSyncTotals {
  collection: string;
  kind: 'contacts' | 'calendar';
  /** Writes refused because the object changed meanwhile (resolved next sync). */
  retry: number;
  /** Items the server refused or that could not be sent: by item, with the server's reason. */
  failed: ItemFailure[];
  /** Set when the sync of this collection stopped before changing anything (the mass-deletion guard). */
  stopped?: string;
  /** The collection was made by this sync (the account had none). */
  created?: boolean;
  /** Repairs made to what was sent, and other notes. */
  errors: string[];
}

/** Back-off after the n-th failure: 1 min, 2, 4, … up to a day. */
export function backoffMs(tries: number): number {
  return Math.min(24 * 3600_000, 60_000 * 2 ** Math.max(0, tries - 1));
}

/** The guard: more than 50 deletions, or at least 3 and more than 20% of the collection, or every item of one with 2 or more. */
export const MASS_DELETE = { max: 50, share: 0.2, minForShare: 3 } as const;

/**
 * Why a sync that would delete `count` of `size` items on one side must stop (undefined: it may go on). The message says
 * what would happen and how to let it.
 */
export function massDeleteCheck(side: 'here' | 'there', count: number, size: number, collection: string): string | undefined {
  const trips = count > MASS_DELETE.max || (count >= MASS_DELETE.minForShare && count > size * MASS_DELETE.share) || (size >= 2 && count >= size);
  if (!trips) return undefined;
  const what = side === 'here'
    ? `delete ${count} of the ${size} item(s) synced with ${collection} here (the server no longer lists them)`
    : `delete ${count} of the ${size} object(s) in ${collection} on the server (deleted here, or now withheld by the policy)`;
  return `stopped: this sync would ${what}; nothing was changed. If that is right, run \`semsync dav sync --allow-mass-delete\``;
}
