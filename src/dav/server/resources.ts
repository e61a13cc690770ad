// What one account sees of a collection: the merged PIM view filtered by its policy, as named resources with text and ETags.
import { createHash } from 'node:crypto';
import type { Quad } from '@rdfjs/types';
import { allowedItem, type PimPolicy } from '../../pim/index.js';
import { exportItems, mergedView, type MergedItem, type MergedView, type PimKindName, type PimStore } from '../../pim/index.js';
import type { AccountState } from './state.js';
import { convertVcard, type VcardVersion } from './vcard.js';

export interface Resource {
  name: string;
  master: string;
  /** `<revision>@<author>` of the merged item. */
  rev: string;
  text: string;
  etag: string;
  /** The master's own quads as this account may see them (for queries by time and component). */
  quads: Quad[];
  /** A contact's text converted to the other vCard version, made when first asked for. */
  converted?: Partial<Record<VcardVersion, string>>;
}

/** The resource's text in the vCard version asked for (a contact); the text itself when it is that version already. */
export function textAs(res: Resource, version: VcardVersion | undefined): string {
  if (!version) return res.text;
  res.converted ??= {};
  return (res.converted[version] ??= convertVcard(res.text, version));
}

export interface Listing {
  kind: PimKindName;
  view: MergedView;
  byName: Map<string, Resource>;
  byMaster: Map<string, Resource>;
}

export const revOf = (i: MergedItem) => i.tag;
export const extOf = (kind: PimKindName) => (kind === 'calendar' ? '.ics' : '.vcf');
export const etagOf = (text: string) => `"${createHash('sha256').update(text).digest('base64url').slice(0, 27)}"`;

/** A resource name from an item's IRI: its UID, made safe for a path segment. */
export function derivedName(master: string, kind: PimKindName): string {
  const tail = decodeURIComponent(master.slice(master.lastIndexOf('/') + 1));
  const safe = tail.replace(/[^A-Za-z0-9._@+-]/g, '_').slice(0, 120);
  return (safe && safe !== '.' && safe !== '..' ? safe : createHash('sha256').update(master).digest('hex').slice(0, 16)) + extOf(kind);
}

export function visible(policy: PimPolicy | undefined, item: MergedItem): boolean {
  return !item.deleted && allowedItem(policy, item.quads.filter((q) => q.subject.value === item.master));
}

/**
 * An item read without a UID (its IRI ends in `sha256-<hex>`) is served with `UID:sha256-<hex>`, which reads back as
 * the same IRI: so a client's edit of it (PUT with that UID) updates the item instead of being refused for lacking one.
 */
export function withUid(text: string, master: string): string {
  const tail = master.slice(master.lastIndexOf('/') + 1);
  if (!/^sha256-[0-9a-f]+$/.test(tail)) return text;
  return text.replace(/^(BEGIN:(?:VCARD|VEVENT|VTODO|VJOURNAL)\r?\n)((?:(?!^END:)[\s\S])*?)(?=^(?:END|BEGIN):)/m, (m, begin: string, body: string) =>
    /^UID[;:]/m.test(body) ? m : `${begin}${body}UID:${tail}\r\n`,
  );
}

/** Texts already made, per account (an export parses the item's source text: worth keeping). */
export class TextCache {
  private byAccount = new Map<string, Map<string, { key: string; text: string }>>();

  get(account: string, master: string, key: string, make: () => string): string {
    let m = this.byAccount.get(account);
    if (!m) this.byAccount.set(account, (m = new Map()));
    const hit = m.get(master);
    if (hit?.key === key) return hit.text;
    const text = make();
    m.set(master, { key, text });
    return text;
  }
}

/**
 * The account's view of one collection. An item is served as the account's client wrote it while its revision is
 * the one that write made (lossless: no phantom change on the client), else exported from the graph (source text
 * with the fields edited elsewhere rewritten) under the account's policy. `prev` (this account's listing of the
 * kind made before, under the same policy: required) lends the resources that did not change.
 */
export function listing(store: PimStore, kind: PimKindName, account: string, policy: PimPolicy | undefined, state: AccountState, cache: TextCache, onError?: (master: string, err: Error) => void, merged?: MergedView, prev?: Listing): Listing {
  const view = merged ?? mergedView(store, kind);
  const byName = new Map<string, Resource>();
  const byMaster = new Map<string, Resource>();
  const policyKey = JSON.stringify(policy ?? null);
  const masters = [...view.items.keys()].sort();
  for (const master of masters) {
    const item = view.items.get(master)!;
    // An item the store did not touch since `prev` (the same merged item; `prev` was made under the same policy) and
    // listed there is visible still.
    const old = prev?.byMaster.get(master);
    const untouched = old !== undefined && prev!.view.items.get(master) === item;
    if (!untouched && !visible(policy, item)) continue;
    const rev = revOf(item);
    const written = state.written[master];
    const own = written?.rev === rev && written.policy === policyKey ? written.text : undefined;
    let text: string;
    try {
      text = cache.get(account, master, `${rev}|${policyKey}|${own === undefined ? 'e' : 'w'}`, () => own ?? withUid(exportItems(view, [master], policy), master));
    } catch (err) {
      onError?.(master, err as Error); // one item that cannot be written out must not hide the others
      continue;
    }
    let name = state.names[master] ?? derivedName(master, kind);
    if (byName.has(name)) name = name.replace(/(\.[a-z]+)$/, `-${createHash('sha256').update(master).digest('hex').slice(0, 8)}$1`);
    // An untouched item served with the same text under the same name is the same resource: its ETag, conversions
    // and the answers made for it stay (a sync after a small change re-makes only what changed).
    const r: Resource = untouched && old.text === text && old.name === name ? old : { name, master, rev, text, etag: etagOf(text), quads: item.quads.filter((q) => q.subject.value === master) };
    byName.set(name, r);
    byMaster.set(master, r);
  }
  return { kind, view, byName, byMaster };
}
