// PUT and DELETE by an account: checks (ETags, UID, policy, valid data), then an edit of the PIM graph like any other.
import { allowedItem, effectiveExclusions, type PimPolicy } from '../../pim/index.js';
import { mergedView, readPimBytes, writeItems, type MergedView, type PimKindName, type PimStore } from '../../pim/index.js';
import { SS } from '../../graph/vocab.js';
import { DavRequestError, NS } from './xml.js';
import { etagOf, revOf, visible, type Listing } from './resources.js';
import type { AccountState } from './state.js';

export interface WriteOutcome {
  status: 201 | 204;
  etag?: string;
  /** The item written. */
  master: string;
}

const precondition = (msg: string, name: string, ns: string = NS.cal) => new DavRequestError(msg, 403, { ns, name });
const stale = (msg: string) => new DavRequestError(msg, 412);

/** If-Match / If-None-Match against the resource's current ETag (undefined: it does not exist for this account). */
export function checkPreconditions(current: string | undefined, ifMatch: string | undefined, ifNoneMatch: string | undefined): void {
  const list = (h: string) => h.split(',').map((x) => x.trim().replace(/^W\//, ''));
  if (ifMatch !== undefined) {
    const tags = list(ifMatch);
    if (current === undefined || !(tags.includes('*') || tags.includes(current))) throw stale(`If-Match ${ifMatch}: the resource is now ${current ?? 'gone'}; fetch it again`);
  }
  if (ifNoneMatch !== undefined && current !== undefined) {
    const tags = list(ifNoneMatch);
    if (tags.includes('*') || tags.includes(current)) throw stale(`If-None-Match ${ifNoneMatch}: the resource exists (${current})`);
  }
}

/** A contact's BDAY lines the account never saw (its policy withholds birthdays) go back into what it writes. */
function keepWithheldBirthday(kind: PimKindName, policy: PimPolicy | undefined, text: string, oldSource: string | undefined): string {
  if (kind !== 'contacts' || !effectiveExclusions(policy).birthdays || !oldSource) return text;
  const bday = oldSource.split('\n').filter((l) => /^(?:[\w-]+\.)?BDAY[;:]/i.test(l));
  if (!bday.length || /^(?:[\w-]+\.)?BDAY[;:]/im.test(text)) return text;
  return text.replace(/\r?\nEND:VCARD/i, (m) => `${m.startsWith('\r') ? '\r\n' : '\n'}${bday.join('\r\n')}${m}`);
}

export interface PutRequest {
  kind: PimKindName;
  name: string;
  text: string;
  ifMatch?: string;
  ifNoneMatch?: string;
}

/**
 * Writes one resource. Refused (nothing changes): a stale ETag (412); text that is not one valid item with a UID
 * (400/403 valid-*-data); a UID held by another resource or a changed UID (409/403 no-uid-conflict); an item the
 * account's policy would not show it (403), which is also the answer for a UID the account cannot see, so a write
 * cannot overwrite what the account may not read.
 */
export async function putResource(store: PimStore, policy: PimPolicy | undefined, state: AccountState, list: Listing, req: PutRequest, viewNow: () => MergedView = () => mergedView(store, req.kind)): Promise<WriteOutcome> {
  const { kind, name } = req;
  const here = list.byName.get(name);
  checkPreconditions(here?.etag, req.ifMatch, req.ifNoneMatch);
  const dataError = kind === 'calendar' ? 'valid-calendar-data' : 'valid-address-data';
  const dataNs = kind === 'calendar' ? NS.cal : NS.card;
  const begin = kind === 'calendar' ? 'VCALENDAR' : 'VCARD';
  if (!new RegExp(`^\\s*BEGIN:${begin}\\r?\\n`, 'i').test(req.text)) throw precondition(`not ${kind === 'calendar' ? 'iCalendar' : 'a vCard'}: it must start with BEGIN:${begin}`, dataError, dataNs);
  const item = list.view.items.get(readPimBytes(kind, Buffer.from(req.text)).groups[0]?.master ?? '');
  const oldSource = item?.quads.find((q) => q.subject.value === item.master && q.predicate.equals(SS('sourceText')))?.object.value;
  const text = keepWithheldBirthday(kind, policy, req.text, oldSource);
  const read = readPimBytes(kind, Buffer.from(text));
  const problems = [...read.errors, ...read.groups.flatMap((g) => g.errors)].filter((e) => /unreadable|skipped|outside any|not closed|unclosed/i.test(e));
  if (problems.length) throw precondition(`invalid ${kind === 'calendar' ? 'iCalendar' : 'vCard'}: ${problems.slice(0, 3).join('; ')}`, dataError, dataNs);
  if (read.groups.length !== 1) throw precondition(`one item per resource (this has ${read.groups.length})`, kind === 'calendar' ? 'valid-calendar-object-resource' : dataError, dataNs);
  const group = read.groups[0];
  if (!/^UID[;:]/im.test(text)) throw precondition('the item has no UID', kind === 'calendar' ? 'valid-calendar-object-resource' : dataError, dataNs);
  const master = group.master;
  const existing = list.view.items.get(master);
  if (existing && !existing.deleted && !visible(policy, existing)) throw precondition('this account may not write that item', 'need-privileges', NS.dav);
  if (!allowedItem(policy, group.quads.filter((q) => q.subject.value === master))) throw precondition('this account may not write that item (its policy would not show it)', 'need-privileges', NS.dav);
  if (here && here.master !== master) throw new DavRequestError(`the UID of ${name} cannot change`, 409, { ns: kind === 'calendar' ? NS.cal : NS.card, name: 'no-uid-conflict' });
  const elsewhere = list.byMaster.get(master);
  if (elsewhere && elsewhere.name !== name) throw new DavRequestError(`that UID is already ${elsewhere.name}`, 409, { ns: kind === 'calendar' ? NS.cal : NS.card, name: 'no-uid-conflict' });

  await writeItems(store, kind, [group], { timezones: read.timezones });
  const after = viewNow().items.get(master);
  state.names[master] = name;
  if (after) state.written[master] = { rev: revOf(after), text: req.text, policy: JSON.stringify(policy ?? null) };
  return { status: here ? 204 : 201, etag: etagOf(req.text), master };
}

/** Deletes a resource the account sees: a tombstone in this node's graph, which travels like any edit. */
export async function deleteResource(store: PimStore, state: AccountState, list: Listing, name: string, ifMatch: string | undefined): Promise<void> {
  const here = list.byName.get(name);
  if (!here) throw new DavRequestError(`${name}: no such resource`, 404);
  checkPreconditions(here.etag, ifMatch, undefined);
  await writeItems(store, list.kind, [], { remove: [here.master] });
  delete state.written[here.master];
}
