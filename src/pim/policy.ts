// Privacy policies for PIM data as pure functions: which contacts and calendar items (and which fields) may leave.
import n3 from 'n3';
import type { Quad, Term } from '@rdfjs/types';
import { ICAL, RDF, SS, VCARD, pimItemOf } from '../graph/vocab.js';
import { propName } from '../extractors/index.js';
import { FailureError } from '../base/index.js';

const { literal, quad } = n3.DataFactory;

/** What a policy keeps from leaving. Category and class names compare case-insensitively. */
export interface Exclusions {
  /** Contacts with any of these CATEGORIES. */
  contactCategories?: string[];
  /** Contacts with one of these CLASS values (vCard 3). */
  contactClasses?: string[];
  /** Events, todos and journals with any of these CATEGORIES. */
  eventCategories?: string[];
  /** Events, todos and journals with one of these CLASS values. */
  eventClasses?: string[];
  /** Birthday events (a Birthday category, a birthday UID) and every contact's BDAY. */
  birthdays?: boolean;
}

/** A policy for one peer or server (JSON). `work: true` starts from {@link WORK_EXCLUSIONS}; `exclude` adds to or overrides it. */
export interface PimPolicy {
  work?: boolean;
  exclude?: Exclusions;
}

/** What a work node or server never gets, unless its policy says otherwise. */
export const WORK_EXCLUSIONS: Readonly<Required<Exclusions>> = Object.freeze({
  contactCategories: ['Personal'],
  contactClasses: ['PRIVATE', 'CONFIDENTIAL'],
  eventCategories: ['Personal'],
  eventClasses: ['PRIVATE', 'CONFIDENTIAL'],
  birthdays: true,
});

export class PolicyError extends FailureError {
  override name = 'PolicyError';
}

const LIST_KEYS = ['contactCategories', 'contactClasses', 'eventCategories', 'eventClasses'] as const;

/** Checks a parsed JSON value and returns it as a policy; throws PolicyError naming the bad key. */
export function parsePolicy(value: unknown): PimPolicy {
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch (e) {
      throw new PolicyError(`policy is not JSON: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new PolicyError('policy must be a JSON object');
  const v = value as Record<string, unknown>;
  for (const k of Object.keys(v)) if (k !== 'work' && k !== 'exclude') throw new PolicyError(`unknown policy key "${k}" (known: work, exclude)`);
  if (v.work !== undefined && typeof v.work !== 'boolean') throw new PolicyError('"work" must be true or false');
  const out: PimPolicy = v.work === undefined ? {} : { work: v.work };
  if (v.exclude !== undefined) {
    if (!v.exclude || typeof v.exclude !== 'object' || Array.isArray(v.exclude)) throw new PolicyError('"exclude" must be an object');
    const ex = v.exclude as Record<string, unknown>;
    const exclude: Exclusions = {};
    for (const k of Object.keys(ex)) {
      if ((LIST_KEYS as readonly string[]).includes(k)) {
        const list = ex[k];
        if (!Array.isArray(list) || !list.every((x) => typeof x === 'string')) throw new PolicyError(`"exclude.${k}" must be a list of strings`);
        exclude[k as (typeof LIST_KEYS)[number]] = list as string[];
      } else if (k === 'birthdays') {
        if (typeof ex[k] !== 'boolean') throw new PolicyError('"exclude.birthdays" must be true or false');
        exclude.birthdays = ex[k] as boolean;
      } else throw new PolicyError(`unknown key "exclude.${k}" (known: ${[...LIST_KEYS, 'birthdays'].join(', ')})`);
    }
    out.exclude = exclude;
  }
  return out;
}

/** The exclusions a policy means: the work defaults (when `work`) with `exclude` on top. */
export function effectiveExclusions(policy: PimPolicy | undefined): Exclusions {
  if (!policy) return {};
  return policy.work ? { ...WORK_EXCLUSIONS, ...policy.exclude } : { ...policy.exclude };
}

const fold = (s: string) => s.normalize('NFC').trim().toLocaleLowerCase('en-US');
const hits = (values: string[], list: string[] | undefined) => !!list?.length && values.some((v) => list.some((x) => fold(x) === fold(v)));

/**
 * May this item leave? `itemQuads` are the quads whose subject is the item (a contact or a calendar item).
 * Contacts are judged on their categories and class, calendar items on theirs and on being a birthday.
 */
export function allowedItem(policy: PimPolicy | undefined, itemQuads: readonly Quad[]): boolean {
  const ex = effectiveExclusions(policy);
  const values = (p: Term) => itemQuads.filter((q) => q.predicate.equals(p)).map((q) => q.object.value);
  const types = values(RDF('type'));
  if (types.some((t) => t.startsWith(ICAL.iri))) {
    const categories = values(ICAL('categories'));
    if (hits(categories, ex.eventCategories) || hits(values(ICAL('class')), ex.eventClasses)) return false;
    if (ex.birthdays && isBirthdayEvent(categories, values(ICAL('uid')))) return false;
    return true;
  }
  if (types.some((t) => t.startsWith(VCARD.iri))) {
    return !(hits(values(VCARD('category')), ex.contactCategories) || hits(values(SS('class')), ex.contactClasses));
  }
  return true;
}

/**
 * May this item group (a contact, or a calendar item with its overrides) leave? A master that is no component of its own
 * (a series stored only as RECURRENCE-ID overrides, as Google's birthday calendar writes it) is judged by its overrides:
 * it may leave only when one of them may, so that its IRI, UID and revision never leave alone.
 */
export function allowedGroup(policy: PimPolicy | undefined, quads: readonly Quad[], master: string): boolean {
  const own = quads.filter((q) => q.subject.value === master);
  if (!policy || own.some((q) => q.predicate.equals(RDF('type')))) return allowedItem(policy, own);
  const overrides = new Map<string, Quad[]>();
  for (const q of quads) {
    if (q.subject.value === master || pimItemOf(q.subject.value)?.item !== q.subject.value) continue;
    const list = overrides.get(q.subject.value);
    if (list) list.push(q);
    else overrides.set(q.subject.value, [q]);
  }
  const typed = [...overrides.values()].filter((qs) => qs.some((q) => q.predicate.equals(RDF('type'))));
  return typed.length ? typed.some((qs) => allowedItem(policy, qs)) : allowedItem(policy, own);
}

/** A birthday event: a Birthday(s) category, or a UID that says so (Google's and KAddressBook's birthday calendars). */
export function isBirthdayEvent(categories: string[], uids: string[]): boolean {
  return categories.some((c) => /^birthdays?$/i.test(c.trim())) || uids.some((u) => /birthday/i.test(u));
}

/** The item IRIs a quad is about: its subject's item (and master), and its object's, when they are PIM items. */
function itemsOf(q: Quad): string[] {
  const out: string[] = [];
  for (const t of [q.subject, q.object]) {
    if (t.termType !== 'NamedNode') continue;
    const owner = pimItemOf(t.value);
    if (owner) out.push(owner.item, owner.master);
  }
  return out;
}

/**
 * The quads that may leave under `policy`: every quad about an excluded item (its parts, its overrides) and every
 * quad pointing to one are dropped; with `birthdays` excluded, a contact's vcard:bday is dropped and the BDAY lines
 * are removed from its ss:sourceText (so an export on the other side has no birthday either).
 */
export function filterQuads(policy: PimPolicy | undefined, quads: readonly Quad[]): Quad[] {
  const ex = effectiveExclusions(policy);
  const bySubject = new Map<string, Quad[]>();
  for (const q of quads) {
    const list = bySubject.get(q.subject.value);
    if (list) list.push(q);
    else bySubject.set(q.subject.value, [q]);
  }
  const decision = new Map<string, boolean>();
  const allowed = (iri: string) => {
    let ok = decision.get(iri);
    if (ok === undefined) {
      const own = bySubject.get(iri) ?? [];
      const master = pimItemOf(iri)?.master === iri && !own.some((q) => q.predicate.equals(RDF('type')));
      ok = master ? allowedGroup(policy, [...own, ...overridesIn(bySubject, iri)], iri) : allowedItem(policy, own);
      decision.set(iri, ok);
    }
    return ok;
  };
  const out: Quad[] = [];
  for (const q of quads) {
    if (!itemsOf(q).every(allowed)) continue;
    const birthdayField = ex.birthdays ? contactBirthday(q) : 'keep';
    if (birthdayField === 'drop') continue;
    if (birthdayField === 'rewrite') out.push(quad(q.subject, q.predicate, literal(q.predicate.equals(CLOCKS) ? clocksWithoutBirthday(q.object.value) : withoutBirthday(q.object.value)), q.graph));
    else out.push(q);
  }
  return out;
}

/** The quads of a master's overrides (`<master>/rid-…`) among quads grouped by subject. */
function overridesIn(bySubject: Map<string, Quad[]>, master: string): Quad[] {
  const out: Quad[] = [];
  for (const [s, qs] of bySubject) if (s.startsWith(master + '/rid-') && pimItemOf(s)?.item === s) out.push(...qs);
  return out;
}

/** For a quad of a contact: 'drop' (vcard:bday), 'rewrite' (source text with a BDAY), else 'keep'. */
function contactBirthday(q: Quad): 'keep' | 'drop' | 'rewrite' {
  const owner = pimItemOf(q.subject.value);
  if (!owner || owner.kind !== 'contact' || owner.item !== q.subject.value) return 'keep';
  if (q.predicate.equals(VCARD('bday'))) return 'drop';
  if (q.predicate.equals(SS('sourceText')) && hasBirthdayLine(q.object.value)) return 'rewrite';
  if (q.predicate.equals(CLOCKS) && q.object.value.includes('"BDAY"')) return 'rewrite'; // its hashes and a conflict's other side
  return 'keep';
}

const CLOCKS = SS('fieldClocks');

/** A version's field clocks (pim/merge.ts) without the BDAY field; text that does not read as clocks is left out whole. */
export function clocksWithoutBirthday(text: string): string {
  try {
    const j = JSON.parse(text) as { f?: Record<string, unknown> };
    if (j && typeof j.f === 'object' && j.f) delete j.f.BDAY;
    return JSON.stringify(j);
  } catch {
    return '';
  }
}

function hasBirthdayLine(text: string): boolean {
  return /^(?:[\w-]+\.)?BDAY[;:]/im.test(text);
}

/** A vCard's text without its BDAY lines. */
export function withoutBirthday(text: string): string {
  return text
    .split('\n')
    .filter((l) => propName(l) !== 'BDAY')
    .join('\n');
}

/** A node's PIM graph (`…/graph/<node>/pim/contacts|calendar`): time zones and items alike are withheld from a peer without a policy. */
const PIM_GRAPH = /\/graph\/[^/]+\/pim\/(contacts|calendar)$/;

/** A per-peer policy hook `(peerId, quad) => boolean` (the peers' sender-side filter), caching item decisions. */
export interface PolicyHook {
  (peerId: string, q: Quad): boolean;
  /** Forget cached decisions about one item (after it changed), or all. */
  invalidate(itemIri?: string): void;
}

/**
 * Builds the hook. `policyFor(peerId)` gives the peer's policy (undefined: not chosen yet, so no PIM quad goes); `itemQuads(iri)`
 * gives an item's current quads (subject = the item). Quad by quad it cannot rewrite a literal, so with birthdays
 * excluded it drops a contact's vcard:bday and, when that holds a BDAY, its ss:sourceText (the receiver then
 * exports the contact from its modelled fields); {@link filterQuads} rewrites the text instead.
 */
export function policyHook(
  policyFor: (peerId: string) => PimPolicy | undefined,
  itemQuads: (iri: string) => readonly Quad[],
  /** The quads of a master's overrides (needed to judge a master that is no component of its own). */
  overrideQuads: (master: string) => readonly Quad[] = () => [],
): PolicyHook {
  const cache = new Map<string, Map<string, boolean>>();
  const hook = ((peerId: string, q: Quad): boolean => {
    const items = itemsOf(q);
    const inPim = PIM_GRAPH.test(q.graph.value);
    if (items.length === 0 && !inPim) return true;
    const policy = policyFor(peerId);
    if (!policy) return false; // privacy by default: no contact or event goes to a peer whose policy is not chosen yet
    if (items.length === 0) return true;
    let perPeer = cache.get(peerId);
    if (!perPeer) cache.set(peerId, (perPeer = new Map()));
    for (const iri of items) {
      let ok = perPeer.get(iri);
      if (ok === undefined) {
        const own = itemQuads(iri);
        const bare = pimItemOf(iri)?.master === iri && !own.some((q) => q.predicate.equals(RDF('type')));
        ok = bare ? allowedGroup(policy, [...own, ...overrideQuads(iri)], iri) : allowedItem(policy, own);
        perPeer.set(iri, ok);
      }
      if (!ok) return false;
    }
    return !(effectiveExclusions(policy).birthdays && contactBirthday(q) !== 'keep');
  }) as PolicyHook;
  hook.invalidate = (itemIri?: string) => {
    if (itemIri === undefined) cache.clear();
    else for (const perPeer of cache.values()) perPeer.delete(itemIri);
  };
  return hook;
}
