// The placement planner: (graph, rules, device profile, device listing, local sources) → operations. Pure.
import type { DeviceEntry, DeviceProfile, MediaKind, Operation } from './types.js';
import { categoriseFacts, type Assigned } from './categorise.js';
import { canonicalMime, contentMime, fieldValues } from './fields.js';
import { documentsByEbookFormats, effectiveProfile } from './documents.js';
import { type ContentFacts, type RuleGraph, fetchFacts } from './graph.js';
import { KINDS, cmp, type PlacementRule, type Rules } from './load.js';
import { type FileSystemKind, pathKey, safeRelativePath, suffixedSegment } from './names.js';
import { renderSegment, templateFields, type Field } from './template.js';

/** A local file holding a content's bytes. */
export interface SourceFile {
  path: string;
  size?: number;
}

export interface PlanInput {
  graph: RuleGraph;
  rules: Rules;
  profile: DeviceProfile;
  /** What the device holds now (paths relative to its root). */
  listing: readonly DeviceEntry[];
  /** Content IRI → a local file with those bytes. Content without one is fetched from a peer by hash. */
  sources: ReadonlyMap<string, SourceFile>;
  /**
   * The graph's facts from an earlier {@link fetchFacts} with at least the profile's kinds, when the graph has
   * not changed since: saves the queries (most of a no-change re-plan's time). Omit it to query the graph.
   */
  facts?: ReadonlyMap<string, ContentFacts>;
  /**
   * Told of each content the device takes that has a local source, as soon as its rule is known (before its path
   * is worked out), in content order: a caller that will place the plan can start reading its bytes meanwhile.
   * Only an observer: the plan is the same with or without it.
   */
  onPlace?: (content: string, source: string, size: number) => void;
  /**
   * The facts' categories under these rules, from an earlier {@link categoriseFacts} of the same facts (a running
   * node keeps them while the graph is unchanged): saves the pass. Omit it to categorise here.
   */
  categories?: ReadonlyMap<string, Assigned[]>;
  /**
   * Content the person deleted from the device by hand (the catalog remembers it): not copied back, a 'skip' with
   * the reason instead. Omit it (`semsync place --restore`) to place such content again.
   */
  removedByPerson?: ReadonlySet<string>;
}

/** The skip reason of content the person deleted from the device by hand. */
export const REMOVED_BY_PERSON = 'removed from the device by hand; `semsync place --restore` brings it back';

interface Want {
  content: string;
  base: string;
  baseKey: string;
  rule: string;
  values: Record<string, string>;
  size: number;
  source?: string;
}

/**
 * Plan a device: every content of a kind the profile accepts, in a format it accepts (else a 'skip' with the
 * reason), goes to the path its placement rule's template gives. A content already at that path, or at a
 * suffixed variant of it (`Title (2).epub`), stays. A path held by other content (or by a file we do not
 * know) gets the next free suffix ` (2)`, ` (3)`, ... (case-insensitively on FAT/exFAT). Files semsync placed
 * (`placedBy`) that the rules now put elsewhere, or that are second copies, are removed; content that left the
 * library (its source went away) stays unless the profile mirrors (copy, not mirror); other files are never removed
 * or overwritten.
 * Order: copies (by target), then removes (by target), then skips (by content). Executors must run the
 * removes after the copies: a copy may name a removed file as its `deviceSource`.
 */
export function plan(input: PlanInput): Operation[] {
  const { graph, rules, listing, sources } = input;
  const profile = effectiveProfile(input.profile, placementRule(rules, 'ebook', input.profile, [])?.folder.join('/'));
  const fs = profile.filesystem;
  const kinds = KINDS.filter((k) => profile.accepts.includes(k));
  const all = input.facts ?? fetchFacts(graph, kinds);
  const everything = byIri(all);
  const docsByFormat = documentsByEbookFormats(input.profile, profile);
  const placeable = (f: ContentFacts) => kinds.includes(f.kind) && !(docsByFormat && f.kind === 'document' && formatProblem(f, profile));
  const ordered = everything.some((f) => !placeable(f)) ? everything.filter(placeable) : everything;
  const facts: ReadonlyMap<string, ContentFacts> = ordered === everything ? all : new Map(ordered.map((f) => [f.iri, f]));
  const categories = input.categories ?? categoriseFacts(graph, facts, rules);
  const { wants, skips, skipped } = collectWants(input, ordered, categories, profile, sources);
  const held = indexListing(listing, fs);
  wants.sort((a, b) => cmp(a.baseKey, b.baseKey)); // stable: wants of one path stay in content order
  const { kept, taken, pending } = keepInPlace(wants, held, fs);
  const { copies, movedTo } = placeRest(pending, held, taken, fs);
  let wanted: Set<string> | undefined;
  const removes: Array<Operation & { kind: 'remove' }> = [];
  for (const e of listing) {
    if (!e.placedBy || kept.has(e)) continue;
    if (!profile.mirror && e.content && !facts.has(e.content) && !skipped.has(e.content)) continue; // the person's now
    wanted ??= new Set(wants.map((w) => w.content));
    removes.push({ kind: 'remove', target: e.path, reason: removeReason(e, wanted, skipped, movedTo, profile, facts) });
  }
  if (!sortedBy(copies, (c) => c.target)) copies.sort((a, b) => cmp(a.target, b.target));
  removes.sort((a, b) => cmp(a.target, b.target));
  skips.sort((a, b) => cmp(a.content, b.content));
  return [...copies, ...removes, ...skips];
}

type Skip = Operation & { kind: 'skip' };

/** Stage 1: what each placeable content wants (its rule and path), or why it is skipped. */
function collectWants(input: PlanInput, ordered: readonly ContentFacts[], categories: ReadonlyMap<string, Assigned[]>, profile: DeviceProfile, sources: PlanInput['sources']): { wants: Want[]; skips: Skip[]; skipped: Map<string, string> } {
  const profileKey = shapeId(JSON.stringify([profile.filesystem, profile.folders, profile.folderDepth]));
  const skips: Skip[] = [];
  const skipped = new Map<string, string>();
  const wants: Want[] = [];
  const skip = (content: string, reason: string) => {
    skips.push({ kind: 'skip', content, reason });
    skipped.set(content, reason);
  };
  for (const f of ordered) {
    const reason = input.removedByPerson?.has(f.iri) ? REMOVED_BY_PERSON : formatProblem(f, profile);
    if (reason) {
      skip(f.iri, reason);
      continue;
    }
    const assigned = categories.get(f.iri) ?? [];
    const rule = placementRule(input.rules, f.kind, profile, assigned);
    if (!rule) {
      skip(f.iri, `no placement rule for ${f.kind} content (add an ss:PlacementRule with ss:kind "${f.kind}")`);
      continue;
    }
    const source = sources.get(f.iri);
    if (source && input.onPlace) input.onPlace(f.iri, source.path, source.size ?? Math.max(0, ...f.files.map((x) => x.size ?? 0)));
    wants.push(cachedWant(f, rule, assigned, profile, profileKey, source));
  }
  return { wants, skips, skipped };
}

/** What the device holds, by collision key (and the folders those paths make), and by content. */
interface Held {
  byKey: Map<string, DeviceEntry>;
  dirs: Set<string>;
  byContent: Map<string, DeviceEntry[]>;
  keyOf: Map<DeviceEntry, string>;
}

/** Stage 2: index the device's listing. */
function indexListing(listing: readonly DeviceEntry[], fs: DeviceProfile['filesystem']): Held {
  const held: Held = { byKey: new Map(), dirs: new Set(), byContent: new Map(), keyOf: new Map() };
  for (const e of [...listing].sort((a, b) => cmp(a.path, b.path))) {
    const key = pathKey(e.path, fs);
    held.keyOf.set(e, key);
    held.byKey.set(key, e);
    for (let i = key.indexOf('/'); i >= 0; i = key.indexOf('/', i + 1)) held.dirs.add(key.slice(0, i));
    if (e.content) {
      const list = held.byContent.get(e.content);
      if (list) list.push(e);
      else held.byContent.set(e.content, [e]);
    }
  }
  return held;
}

/** Stage 3: content already where it belongs (at its path or a suffixed variant) stays there. */
function keepInPlace(wants: readonly Want[], held: Held, fs: DeviceProfile['filesystem']): { kept: Set<DeviceEntry>; taken: Set<string>; pending: Want[] } {
  const taken = new Set<string>();
  const kept = new Set<DeviceEntry>();
  const pending: Want[] = [];
  for (const w of wants) {
    let best: { entry: DeviceEntry; n: number } | undefined;
    if (held.byContent.size === 0) {
      pending.push(w);
      continue;
    }
    for (const entry of held.byContent.get(w.content) ?? []) {
      const key = held.keyOf.get(entry)!;
      if (taken.has(key)) continue;
      const n = variantNumber(entry.path, key, w.base, w.baseKey, fs);
      if (n !== undefined && (!best || n < best.n)) best = { entry, n };
    }
    if (best) {
      kept.add(best.entry);
      taken.add(held.keyOf.get(best.entry)!);
    } else pending.push(w);
  }
  return { kept, taken, pending };
}

/** Stage 4: the rest, each copied to the first free variant of its path. */
function placeRest(pending: readonly Want[], held: Held, taken: Set<string>, fs: DeviceProfile['filesystem']): { copies: Array<Operation & { kind: 'copy' }>; movedTo: Map<string, string> } {
  const copies: Array<Operation & { kind: 'copy' }> = [];
  const movedTo = new Map<string, string>();
  for (const w of pending) {
    let target = w.base;
    let key = w.baseKey;
    for (let n = 2; taken.has(key) || held.byKey.has(key) || held.dirs.has(key); n++) {
      target = suffixedPath(w.base, n, fs);
      key = pathKey(target, fs);
    }
    taken.add(key);
    const onDevice = held.byContent.size ? held.byContent.get(w.content)?.[0]?.path : undefined;
    if (onDevice !== undefined) movedTo.set(w.content, target);
    const op: Operation & { kind: 'copy' } = { kind: 'copy', content: w.content, target, size: w.size, rule: w.rule, values: w.values };
    if (w.source !== undefined) op.source = w.source;
    if (onDevice !== undefined) op.deviceSource = onDevice;
    copies.push(op);
  }
  return { copies, movedTo };
}

function sortedBy<T>(list: readonly T[], key: (x: T) => string): boolean {
  for (let i = 1; i < list.length; i++) if (cmp(key(list[i - 1]), key(list[i])) > 0) return false;
  return true;
}

function removeReason(
  e: DeviceEntry,
  wanted: Set<string>,
  skipped: Map<string, string>,
  movedTo: Map<string, string>,
  profile: DeviceProfile,
  facts: ReadonlyMap<string, ContentFacts>,
): string {
  if (!e.content) return 'placed by semsync, but the catalog does not say what it holds';
  const moved = movedTo.get(e.content);
  if (moved !== undefined) return `its content now belongs at ${moved}`;
  if (wanted.has(e.content)) return 'a second copy of content that is already in place';
  const skip = skipped.get(e.content);
  if (skip !== undefined) return skip;
  if (!facts.has(e.content)) return `no longer in the library, or not of a kind ${profile.name} accepts`;
  return 'no rule places it any more';
}

/** Why the device does not take `f`'s format, or undefined if it does (an empty list means any format). */
function formatProblem(f: ContentFacts, profile: DeviceProfile): string | undefined {
  const formats = profile.formats[f.kind];
  if (!formats || formats.length === 0) return undefined;
  const mime = contentMime(f);
  const accepted = formats.map(canonicalMime);
  if (mime !== undefined && accepted.includes(mime)) return undefined;
  return `format ${mime ?? 'unknown'} is not one ${profile.name} accepts for ${f.kind} (${formats.join(', ')})`;
}

/**
 * The placement rule for a content: of the rules for its kind that apply on this device and to its
 * categories, the highest ss:priority; then the more specific (device, then category); then the later loaded.
 */
export function placementRule(
  rules: Rules,
  kind: MediaKind,
  profile: DeviceProfile,
  assigned: readonly Assigned[],
): PlacementRule | undefined {
  let best: PlacementRule | undefined;
  let bestScore: number[] = [];
  for (const r of rules.placementRules) {
    if (r.kind !== kind) continue;
    if (r.forDevice !== undefined && r.forDevice !== profile.id && r.forDevice !== profile.name) continue;
    if (r.forCategory !== undefined && !assigned.some((a) => a.label === r.forCategory)) continue;
    const score = [r.priority, (r.forDevice ? 2 : 0) + (r.forCategory ? 1 : 0), r.order];
    if (!best || compareScores(score, bestScore) > 0) {
      best = r;
      bestScore = score;
    }
  }
  return best;
}

function compareScores(a: number[], b: number[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}

// A content's wanted path is a pure function of its facts (objects the caller keeps while the graph is
// unchanged), its rule, its primary category, the profile's naming and its source: a re-plan reuses it.
const wantCache = new WeakMap<ContentFacts, { rk: number; pk: number; label?: string; rule?: string; path?: string; size?: number; want: Want }>();
const ruleKeys = new WeakMap<PlacementRule, number>();
const shapes = new Map<string, number>(); // a rule's or a profile's content → a short id (a handful per process)
const shapeId = (json: string) => {
  let id = shapes.get(json);
  if (id === undefined) shapes.set(json, (id = shapes.size));
  return id;
};

function cachedWant(
  f: ContentFacts,
  rule: PlacementRule,
  assigned: readonly Assigned[],
  profile: DeviceProfile,
  pk: number,
  source: SourceFile | undefined,
): Want {
  let rk = ruleKeys.get(rule);
  if (rk === undefined) ruleKeys.set(rule, (rk = shapeId(JSON.stringify(rule))));
  const primary = rule.forCategory !== undefined ? assigned.find((a) => a.label === rule.forCategory) : assigned[0];
  const hit = wantCache.get(f);
  if (hit && hit.rk === rk && hit.pk === pk && hit.label === primary?.label && hit.rule === primary?.rule && hit.path === source?.path && hit.size === source?.size) {
    return hit.want;
  }
  const w = want(f, rule, assigned, profile, source);
  wantCache.set(f, { rk, pk, label: primary?.label, rule: primary?.rule, path: source?.path, size: source?.size, want: w });
  return w;
}

function want(
  f: ContentFacts,
  rule: PlacementRule,
  assigned: readonly Assigned[],
  profile: DeviceProfile,
  source: SourceFile | undefined,
): Want {
  const fs = profile.filesystem;
  const primary = rule.forCategory !== undefined ? assigned.find((a) => a.label === rule.forCategory) : assigned[0];
  const all = cachedFieldValues(f, primary?.label, source?.path);
  const override = profile.folders[f.kind];
  const folder = override !== undefined ? override.split(/[/\\]/u).filter((s) => s !== '' && s !== '.') : rule.folder;
  // A folder segment that renders empty (no month) is dropped.
  const segments = rule.segments;
  let dirs: string[] = [];
  for (let i = 0; i < segments.length - 1; i++) {
    const s = renderSegment(segments[i], all);
    if (s.trim() !== '') dirs.push(s);
  }
  let file = renderSegment(segments[segments.length - 1], all);
  if (f.kind === 'music' && profile.folderDepth !== undefined && profile.folderDepth >= 0) {
    // Rhythmbox's folder_depth: keep that many folder levels; fold the deeper ones into the file name.
    const depth = Math.floor(profile.folderDepth);
    file = [...dirs.slice(depth), file].join(' - ');
    dirs = dirs.slice(0, depth);
  }
  const base = safeRelativePath(folder.length ? folder.concat(dirs, file) : (dirs.push(file), dirs), fs);
  const values: Record<string, string> = { kind: f.kind };
  for (const field of fieldsOf(rule)) values[field] = all[field];
  if (primary) {
    values.category = primary.label;
    values.categoryRule = primary.rule;
  }
  const size = source?.size ?? Math.max(0, ...f.files.map((x) => x.size ?? 0));
  const w: Want = { content: f.iri, base, baseKey: pathKey(base, fs), rule: rule.iri, values, size };
  if (source) w.source = source.path;
  return w;
}

const ruleFields = new WeakMap<PlacementRule, Field[]>();
function fieldsOf(rule: PlacementRule): Field[] {
  let fields = ruleFields.get(rule);
  if (!fields) ruleFields.set(rule, (fields = templateFields(rule.segments)));
  return fields;
}

// A content's field values depend only on its facts, its primary category and its source file; worked out ahead
// (after a scan, see prepareFieldValues) or on first use, and kept with the facts object.
const fieldCache = new WeakMap<ContentFacts, { label?: string; path?: string; values: Record<Field, string> }>();

function cachedFieldValues(f: ContentFacts, label: string | undefined, sourcePath: string | undefined): Record<Field, string> {
  const hit = fieldCache.get(f);
  if (hit && hit.label === label && hit.path === sourcePath) return hit.values;
  const values = fieldValues(f, label, sourcePath);
  fieldCache.set(f, { label, path: sourcePath, values });
  return values;
}

/**
 * Work out every content's template field values ahead of planning (with its first category, which is the one
 * a placement rule without ss:forCategory uses): a running node does it once per graph change, so placing a
 * device that is plugged in later only renders templates and names.
 */
export function prepareFieldValues(
  facts: ReadonlyMap<string, ContentFacts>,
  categories: ReadonlyMap<string, readonly Assigned[]>,
  sources: ReadonlyMap<string, SourceFile>,
): void {
  for (const f of byIri(facts)) cachedFieldValues(f, categories.get(f.iri)?.[0]?.label, sources.get(f.iri)?.path);
}

// Every content in IRI order (the plan's order), sorted once per facts map (one per graph version in a node).
const orderCache = new WeakMap<ReadonlyMap<string, ContentFacts>, ContentFacts[]>();
function byIri(facts: ReadonlyMap<string, ContentFacts>): ContentFacts[] {
  let list = orderCache.get(facts);
  if (!list) orderCache.set(facts, (list = [...facts.values()].sort((a, b) => cmp(a.iri, b.iri))));
  return list;
}

/** `dir/name (n).ext` for `dir/name.ext`: the file name gets the suffix, legal and within the length limit. */
export function suffixedPath(path: string, n: number, fs: FileSystemKind): string {
  const i = path.lastIndexOf('/');
  return path.slice(0, i + 1) + suffixedSegment(path.slice(i + 1), n, fs);
}

/** 1 if `path` is `base`, n if it is `base`'s suffixed variant n (case-insensitively on FAT), else undefined. */
function variantNumber(path: string, key: string, base: string, baseKey: string, fs: FileSystemKind): number | undefined {
  if (key === baseKey) return 1;
  for (const m of path.slice(path.lastIndexOf('/') + 1).matchAll(/ \((\d{1,6})\)/gu)) {
    const n = Number(m[1]);
    if (n >= 2 && pathKey(suffixedPath(base, n, fs), fs) === key) return n;
  }
  return undefined;
}
