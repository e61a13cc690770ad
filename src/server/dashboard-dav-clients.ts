// The dashboard's "Calendar and contact servers" panel: the node's CalDAV/CardDAV client accounts (`semsync dav add`),
// each with its last sync, result, totals and failing items, and "Sync now" (the same code as `semsync dav sync NAME`).
import type { NodeApi } from '../node/index.js';
import type { DavAccountStatus } from '../node/index.js';

export interface DavClientRow {
  name: string;
  /** The account's URL without a password (one written into the URL is never shown). */
  url: string;
  policy: DavAccountStatus['policy'];
  lastSync?: string;
  result?: DavAccountStatus['result'];
  /** What the result means in a line: the guard's or the server's message. */
  message?: string;
  counts?: DavAccountStatus['counts'];
  syncing: boolean;
  failures: Array<{ name: string; uid: string; reason: string; nextTry?: string; collection: string }>;
}

/** An http(s) URL with its password (and user) blanked; anything unparsable is shown as its origin-less text. */
export function shownUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '';
    return u.href;
  } catch {
    return url.replace(/\/\/[^/@]*@/, '//');
  }
}

/** The accounts as the panel shows them (an empty list when the node has none, or its PIM side cannot be read). */
export async function davClientRows(api: NodeApi): Promise<DavClientRow[]> {
  const list = await api.davStatus().catch(() => [] as DavAccountStatus[]);
  return list.map((a) => {
    const result = a.result ?? (a.lastSync ? (a.ok ? 'ok' : 'failed') : undefined);
    const message = a.stopped?.length ? a.stopped.join('; ') : result === 'failed' && !a.counts ? a.summary : undefined;
    return {
      name: a.name,
      url: shownUrl(a.url),
      policy: a.policy,
      lastSync: a.lastSync,
      result,
      message,
      counts: a.counts,
      syncing: a.syncing,
      failures: a.failures.map((f) => ({ name: f.name, uid: f.uid, reason: f.reason, nextTry: f.nextTry, collection: shownUrl(f.collection) })),
    };
  });
}

/** "Sync now": one account, as `semsync dav sync NAME` (never with --allow-mass-delete: that stays a deliberate CLI step). */
export async function davClientSync(api: NodeApi, name: unknown): Promise<{ collections: number; failed: number; stopped: number }> {
  if (typeof name !== 'string' || !name) throw new Error('say which account to sync ({"name": "…"})');
  const reports = await api.davSync(name);
  return { collections: reports.length, failed: reports.reduce((n, r) => n + r.failed.length, 0), stopped: reports.filter((r) => r.stopped).length };
}
