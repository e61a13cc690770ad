// The person's own contacts and calendar in the graph: per-node PIM graphs, item upserts with revisions, field clocks and
// tombstones, the merged view (the rule itself is merge.ts).
import n3 from 'n3';
import type { Quad, Term } from '@rdfjs/types';
import { ICAL, RDF, SS, VCARD, graphAuthor, graphIri, pimItemOf } from '../graph/vocab.js';
import type { Change, Patch, VersionVector } from '../graph/types.js';
import { readCalendars } from '../extractors/index.js';
import { readVcards } from '../extractors/index.js';
import { quadProblem } from '../graph/index.js';
import { exportIcs, exportVcf, pimItems } from './export.js';
import { filterQuads, type PimPolicy } from './policy.js';
import { FIELD_CLOCKS, compareRev, mergeVersions, versionClocks, type Entry, type MergedItem, type Version } from './merge.js';

export { compareRev } from './merge.js';
export type { FieldConflict, MergedItem } from './merge.js';

const { quad, literal, namedNode } = n3.DataFactory;

export type PimKindName = 'contacts' | 'calendar';
export const PIM_KINDS: readonly PimKindName[] = ['contacts', 'calendar'];

/** The store surface the PIM layer needs (GraphStore has it). */
export interface PimStore {
  readonly nodeId: string;
  match(s?: Term | null, p?: Term | null, o?: Term | null, g?: Term | null): Quad[];
  commit(changes: Iterable<Change>): Promise<Patch | null>;
  clockNow(): string;
  versionVector(): VersionVector;
  query(sparql: string, opts?: object): unknown;
}

/** This node's graph for one kind: `graph/<nodeId>/pim/contacts` or `…/pim/calendar`. Sent to every paired peer (policy permitting). */
export function pimGraph(nodeId: string, kind: PimKindName): ReturnType<typeof graphIri> {
  return graphIri(nodeId, `pim/${kind}`);
}

/** One contact, or one calendar item with its overrides (same UID): the unit of upsert, LWW and DAV resources. */
export interface ItemGroup {
  master: string;
  /** Quads about the master, its parts and overrides (graph ignored). */
  quads: Quad[];
  errors: string[];
}

export interface PimFileRead {
  kind: PimKindName;
  groups: ItemGroup[];
  /** VTIMEZONE quads (calendars). */
  timezones: Quad[];
  errors: string[];
}

/** Which kind a file holds: by extension, else by its first BEGIN. */
export function pimKindOf(name: string, bytes: Uint8Array): PimKindName | undefined {
  if (/\.(vcf|vcard)$/i.test(name)) return 'contacts';
  if (/\.(ics|ical|ifb)$/i.test(name)) return 'calendar';
  const head = Buffer.from(bytes.subarray(0, 4096)).toString('latin1');
  if (/BEGIN:VCARD/i.test(head)) return 'contacts';
  if (/BEGIN:VCALENDAR/i.test(head)) return 'calendar';
  return undefined;
}

/** Reads a .vcf/.ics into item groups (never throws; problems per item). */
export function readPimBytes(kind: PimKindName, bytes: Uint8Array): PimFileRead {
  const r = kind === 'contacts' ? readVcards(bytes) : readCalendars(bytes);
  const groups = new Map<string, ItemGroup>();
  for (const item of r.items) {
    const owner = pimItemOf(item.iri.value);
    const master = owner?.master ?? item.iri.value;
    let g = groups.get(master);
    if (!g) groups.set(master, (g = { master, quads: [], errors: [] }));
    g.errors.push(...item.errors);
    for (const q of item.quads) g.quads.push(storable(q, g.errors));
  }
  return { kind, groups: [...groups.values()], timezones: 'timezoneQuads' in r ? (r.timezoneQuads as Quad[]) : [], errors: r.errors };
}

const ANY_URI = namedNode('http://www.w3.org/2001/XMLSchema#anyURI');

/** A quad the store can hold: an object IRI that is not absolute (`URL:www.example.com`) becomes an xsd:anyURI literal (reported). */
function storable(q: Quad, errors: string[]): Quad {
  if (q.object.termType !== 'NamedNode' || !quadProblem(q)) return q;
  errors.push(`${q.subject.value}: <${q.predicate.value}> "${q.object.value}" is not an absolute IRI: kept as text`);
  return quad(q.subject, q.predicate, literal(q.object.value, ANY_URI), q.graph);
}

const w = new n3.Writer({ format: 'N-Quads' });
const keyOf = (q: Quad) => w.quadToString(q.subject, q.predicate, q.object);
const REV = SS('revision');
const DELETED = SS('deleted');
const SOURCE = SS('sourceText');
/** Kept in a tombstone so a deleted item is judged by a privacy policy as the item was. */
const POLICY_FIELDS = [RDF('type'), ICAL('class'), ICAL('categories'), ICAL('uid'), VCARD('category'), SS('class')];

/** Masters of the PIM quads, each with its quads. Quads about no item (time zones) go under ''. */
export function groupByMaster(quads: Iterable<Quad>): Map<string, Quad[]> {
  const out = new Map<string, Quad[]>();
  for (const q of quads) {
    const m = pimItemOf(q.subject.value)?.master ?? '';
    const list = out.get(m);
    if (list) list.push(q);
    else out.set(m, [q]);
  }
  return out;
}

/** A new revision: never behind the store's clock (which follows every peer's), so a later write wins. */
export function nextRevision(store: PimStore, last?: string): string {
  const [ms, c] = store.clockNow().split('.').map(Number);
  const now = Date.now();
  let rev = now > (ms || 0) ? `${now}.0` : `${ms}.${(c || 0) + 1}`;
  if (last && compareRev(rev, last) <= 0) {
    const [lm, lc] = last.split('.').map(Number);
    rev = `${lm}.${(lc || 0) + 1}`;
  }
  return rev;
}

export interface WriteResult {
  added: string[];
  changed: string[];
  unchanged: string[];
  deleted: string[];
}

export interface WriteOptions {
  remove?: string[];
  timezones?: Quad[];
  batch?: number;
  /** master → fields whose value is chosen by the person (a conflict settled: a new dot even when the value is the one shown). */
  settle?: ReadonlyMap<string, ReadonlySet<string>>;
  /** master → field → values kept beside the one written (a conflict with a CalDAV/CardDAV server, merge.ts replicaMerge). */
  keep?: ReadonlyMap<string, ReadonlyMap<string, Entry[]>>;
  /** Where the new values of this write came from (a CalDAV/CardDAV collection's URL). */
  via?: string;
}

/** What a version carries about itself (written here, never taken from the group). */
const MARKS = [REV, DELETED, FIELD_CLOCKS];
const XSD_BOOLEAN = namedNode('http://www.w3.org/2001/XMLSchema#boolean');
const ownContent = (qs: Quad[]) => qs.filter((q) => !q.predicate.equals(REV) && !q.predicate.equals(DELETED) && !q.predicate.equals(FIELD_CLOCKS)).map(keyOf).sort().join('');

/**
 * Upserts item groups into this node's graph for `kind`: an item whose quads (revision and clocks aside) are the same is
 * left alone; a new or changed one replaces what the graph held for it and gets a new `ss:revision` and field clocks
 * (merge.ts: a field not changed against the merged item keeps its clocks). `remove` masters become tombstones
 * (`ss:deleted true`, a revision, the type/class/categories the policy judges by, and the item's source text, so that a
 * deletion can be undone). Commits in batches of `batch` items.
 */
export async function writeItems(store: PimStore, kind: PimKindName, groups: ItemGroup[], opts: WriteOptions = {}): Promise<WriteResult> {
  const g = pimGraph(store.nodeId, kind);
  const existing = groupByMaster(store.match(null, null, null, g));
  const versions = groups.length || opts.remove?.length ? versionsByMaster(store, kind).byMaster : new Map<string, Version[]>();
  const merged = (master: string) => mergeVersions(master, versions.get(master) ?? []);
  const res: WriteResult = { added: [], changed: [], unchanged: [], deleted: [] };
  let changes: Change[] = [];
  let pending = 0;
  let lastRev: string | undefined;
  const flush = async () => {
    if (changes.length) await store.commit(changes);
    changes = [];
    pending = 0;
  };
  const replace = (old: Quad[], next: Quad[]) => {
    const want = new Map(next.map((q) => [keyOf(q), q]));
    for (const q of old) {
      const k = keyOf(q);
      if (want.has(k)) want.delete(k);
      else changes.push({ op: 'D', quad: q });
    }
    for (const q of want.values()) changes.push({ op: 'A', quad: q });
  };
  const marks = (master: string, before: MergedItem | undefined, next: Quad[]) => {
    lastRev = nextRevision(store, lastRev);
    const clocks = versionClocks(master, before, next, store.nodeId, lastRev, { settle: opts.settle?.get(master), keep: opts.keep?.get(master), via: opts.via });
    return [quad(namedNode(master), REV, literal(lastRev), g), quad(namedNode(master), FIELD_CLOCKS, literal(clocks), g)];
  };
  const tzKeys = new Set((existing.get('') ?? []).map(keyOf));
  for (const q of opts.timezones ?? []) if (!tzKeys.has(keyOf(q))) changes.push({ op: 'A', quad: quad(q.subject, q.predicate, q.object, g) });
  for (const group of groups) {
    const old = existing.get(group.master) ?? [];
    const next = group.quads.filter((q) => !MARKS.some((p) => q.predicate.equals(p))).map((q) => quad(q.subject, q.predicate, q.object, g));
    const wasDeleted = old.some((q) => q.predicate.equals(DELETED));
    if (old.length && !wasDeleted && !opts.settle?.has(group.master) && !opts.keep?.has(group.master) && ownContent(old) === ownContent(next)) {
      res.unchanged.push(group.master);
      continue;
    }
    replace(old, [...next, ...marks(group.master, merged(group.master), next)]);
    (old.length && !wasDeleted ? res.changed : res.added).push(group.master);
    if (++pending >= (opts.batch ?? 2000)) await flush();
  }
  for (const master of opts.remove ?? []) {
    const old = existing.get(master) ?? [];
    if (old.some((q) => q.predicate.equals(DELETED))) continue;
    const m = namedNode(master);
    // The policy fields (so the tombstone is judged as the item was) and the item's text, master and overrides (so the
    // deletion can be undone: what was deleted is still in the graph, under the tombstone).
    const keep = old.filter((q) => (q.subject.value === master && POLICY_FIELDS.some((p) => q.predicate.equals(p))) || (q.predicate.equals(SOURCE) && pimItemOf(q.subject.value)?.item === q.subject.value));
    replace(old, [...keep, quad(m, DELETED, literal('true', XSD_BOOLEAN), g), ...marks(master, merged(master), [])]);
    res.deleted.push(master);
    if (++pending >= (opts.batch ?? 2000)) await flush();
  }
  await flush();
  return res;
}

export interface MergedView {
  kind: PimKindName;
  items: Map<string, MergedItem>;
  /** VTIMEZONE quads from every node's calendar graph. */
  timezones: Quad[];
}

/** The graphs `graph/<author>/pim/<kind>` held here, every author's. */
export function pimGraphs(store: PimStore, kind: PimKindName): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const q of store.match(null, REV, null, null)) {
    const gv = q.graph.value;
    if (seen.has(gv)) continue;
    seen.add(gv);
    const author = graphAuthor(gv);
    if (author && gv === pimGraph(author, kind).value) out.push(gv);
  }
  return out;
}

/** Every node's version of every item of `kind` held here (graphs in order), and the VTIMEZONE quads. */
export function versionsByMaster(store: PimStore, kind: PimKindName): { byMaster: Map<string, Version[]>; timezones: Quad[] } {
  const byMaster = new Map<string, Version[]>();
  const timezones: Quad[] = [];
  for (const gv of pimGraphs(store, kind).sort()) {
    const author = graphAuthor(gv)!;
    for (const [master, quads] of groupByMaster(store.match(null, null, null, namedNode(gv)))) {
      if (master === '') timezones.push(...quads);
      else {
        const list = byMaster.get(master);
        if (list) list.push({ author, quads });
        else byMaster.set(master, [{ author, quads }]);
      }
    }
  }
  return { byMaster, timezones };
}

/** The union of every node's PIM graph of `kind`, one merged item per master (the rule: merge.ts). */
export function mergedView(store: PimStore, kind: PimKindName): MergedView {
  const { byMaster, timezones } = versionsByMaster(store, kind);
  const items = new Map<string, MergedItem>();
  for (const [master, versions] of byMaster) {
    const item = mergeVersions(master, versions);
    if (item) items.set(master, item);
  }
  return { kind, items, timezones };
}

/** The text of some items of a view (.vcf or .ics), filtered by `policy` when given; tombstones left out. */
export function exportItems(view: MergedView, masters?: Iterable<string>, policy?: PimPolicy): string {
  const chosen = masters ? [...masters].map((m) => view.items.get(m)).filter((x): x is MergedItem => !!x) : [...view.items.values()];
  let quads = chosen.filter((i) => !i.deleted).flatMap((i) => i.quads);
  if (policy) quads = filterQuads(policy, quads);
  const { contacts, calendarItems } = pimItems(quads);
  if (view.kind === 'contacts') return exportVcf(quads, contacts.sort());
  return exportIcs([...quads, ...view.timezones], calendarItems.sort());
}

/** The live (not deleted) masters of a view, sorted. */
export function liveMasters(view: MergedView): string[] {
  return [...view.items.values()].filter((i) => !i.deleted).map((i) => i.master).sort();
}
