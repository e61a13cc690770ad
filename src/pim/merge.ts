// The one merge rule for contacts and calendar items (pure functions): what every node shows when several nodes wrote
// versions of one item. Each node writes only its own version (its PIM graph); this turns the versions into one item.
//
// Field by field, with causal clocks (docs/pim.md, "Merging edits"): every value of a field carries the dot (node, revision)
// of the write that set it, and every version carries the context of what its author had seen (a version vector of
// revisions). A dot survives unless a version whose author had seen it no longer holds it. So disjoint edits merge, a
// set-valued field (EMAIL, TEL, CATEGORIES...) is an add-wins set with deletions respected, and a single-valued field
// with two surviving values is a conflict: both kept, the greater dot (revision, then node id) shown meanwhile.
// A version without clocks (written before this rule, or an undo) stands for whole-item last-writer-wins: it covers
// every dot up to its own (revision, node).
import { createHash } from 'node:crypto';
import type { Quad } from '@rdfjs/types';
import { SS } from '../graph/vocab.js';
import { fieldMode, itemFields, parseValueText, valueText, type FieldValue } from './field-values.js';

export const REVISION = SS('revision').value;
export const DELETED = SS('deleted').value;
/** The clocks of a version: one literal (JSON) on the item's master, in the author's graph. */
export const FIELD_CLOCKS = SS('fieldClocks');

/** A revision: the hybrid logical clock "<ms>.<counter>" of the write. Compared numerically. */
export function compareRev(a: string, b: string): number {
  const [am, ac] = a.split('.').map(Number);
  const [bm, bc] = b.split('.').map(Number);
  return (am || 0) - (bm || 0) || (ac || 0) - (bc || 0);
}

/** One write of one value: by node `o` at revision `r`. */
export interface Dot {
  o: string;
  r: string;
  /** Where the value came from when not from the node itself: a CalDAV/CardDAV collection's URL. */
  v?: string;
}

/** The order of the rule: revision, then node id (the larger wins). */
export function compareDot(a: Dot, b: Dot): number {
  return compareRev(a.r, b.r) || (a.o < b.o ? -1 : a.o > b.o ? 1 : 0);
}

/** What a version's author had seen: the latest revision per node, and (versions without clocks) a horizon. */
export interface Ctx {
  vv: Record<string, string>;
  /** Every dot up to [revision, node] (whole-item last-writer-wins of a version without clocks). */
  h?: [string, string];
}

export function covers(ctx: Ctx, d: Dot): boolean {
  const seen = ctx.vv[d.o];
  if (seen !== undefined && compareRev(seen, d.r) >= 0) return true;
  return ctx.h !== undefined && compareDot(d, { r: ctx.h[0], o: ctx.h[1] }) <= 0;
}

/** One surviving value of a field, with every dot that set it. */
export interface Entry extends FieldValue {
  dots: Dot[];
}

/** A single-valued field with two or more surviving values. Sides: the shown one first. */
export interface FieldConflict {
  /** Stable on every node: a hash of the item, the field and the sides' dots. */
  id: string;
  master: string;
  field: string;
  sides: Array<{ hash: string; quads: Quad[]; author: string; rev: string; via?: string }>;
}

/** One item in the merged view. */
export interface MergedItem {
  master: string;
  /** The revision and author of the version the rest of the item (types, source text) comes from: the latest live one. */
  rev: string;
  author: string;
  deleted: boolean;
  quads: Quad[];
  /** Changes whenever what the item merges from changes (the DAV layers compare it). */
  tag: string;
  conflicts: FieldConflict[];
  /** field → surviving values, the shown one first (for writing the next version). */
  entries: Map<string, Entry[]>;
  /** Everything the versions had seen (the context of the next version written here). */
  ctx: Ctx;
}

/** One node's version of an item: the quads of the item (master, overrides, parts) in that node's graph. */
export interface Version {
  author: string;
  quads: Quad[];
}

interface Parsed {
  author: string;
  rev: string;
  deleted: boolean;
  ctx: Ctx;
  fields: Map<string, Map<string, Entry>>;
  /** `field \n node \n rev` of every dot held. */
  held: Set<string>;
  rest: Quad[];
  plain: Quad[];
}

interface Clocks {
  c: Record<string, string>;
  h?: [string, string];
  /** field → [hash, node, revision, text of a value not in the version's quads or '', where it came from]. */
  f: Record<string, Array<[string, string, string, string?, string?]>>;
}

const str = (x: unknown): x is string => typeof x === 'string';

/** The clocks of a version, or undefined when it has none (or they do not read: then the version counts as without). */
function readClocks(text: string | undefined): Clocks | undefined {
  if (!text) return undefined;
  try {
    const j = JSON.parse(text) as Clocks;
    if (!j || typeof j.c !== 'object' || typeof j.f !== 'object' || !Object.values(j.c).every(str)) return undefined;
    if (j.h !== undefined && !(Array.isArray(j.h) && j.h.length === 2 && j.h.every(str))) return undefined;
    for (const list of Object.values(j.f)) if (!Array.isArray(list) || !list.every((e) => Array.isArray(e) && e.length >= 3 && e.every(str))) return undefined;
    return j;
  } catch {
    return undefined;
  }
}

const dotKey = (field: string, d: Dot) => `${field}\n${d.o}\n${d.r}`;

function addEntry(fields: Parsed['fields'], field: string, value: FieldValue, d: Dot): void {
  let m = fields.get(field);
  if (!m) fields.set(field, (m = new Map()));
  const e = m.get(value.hash);
  if (!e) m.set(value.hash, { hash: value.hash, quads: value.quads, dots: [d] });
  else if (!e.dots.some((x) => x.o === d.o && x.r === d.r)) e.dots.push(d);
}

function parseVersion(master: string, v: Version): Parsed {
  const { fields, rest } = itemFields(master, v.quads);
  const onMaster = (p: string) => rest.find((q) => q.subject.value === master && q.predicate.value === p);
  const rev = onMaster(REVISION)?.object.value ?? '0.0';
  const clocks = readClocks(onMaster(FIELD_CLOCKS.value)?.object.value);
  const out: Parsed = { author: v.author, rev, deleted: !!onMaster(DELETED), ctx: { vv: { [v.author]: rev }, h: [rev, v.author] }, fields: new Map(), held: new Set(), rest: [], plain: [] };
  const own: Dot = { o: v.author, r: rev };
  if (clocks) {
    const seen = clocks.c[v.author];
    out.ctx = { vv: { ...clocks.c, [v.author]: seen && compareRev(seen, rev) > 0 ? seen : rev }, h: clocks.h };
    for (const [field, list] of Object.entries(clocks.f)) {
      for (const [hash, o, r, text, via] of list) {
        const quads = fields.get(field)?.get(hash)?.quads ?? (text ? parseValueText(text) : []);
        if (quads.length) addEntry(out.fields, field, { hash, quads }, via ? { o, r, v: via } : { o, r });
      }
    }
  }
  for (const [field, values] of fields) for (const value of values.values()) if (!out.fields.get(field)?.has(value.hash)) addEntry(out.fields, field, value, own);
  for (const [field, m] of out.fields) for (const e of m.values()) for (const d of e.dots) out.held.add(dotKey(field, d));
  out.rest = rest.filter((q) => q.predicate.value !== FIELD_CLOCKS.value);
  out.plain = v.quads.filter((q) => q.predicate.value !== FIELD_CLOCKS.value);
  return out;
}

const latest = (ps: Parsed[]) => ps.reduce((a, b) => (compareDot({ o: a.author, r: a.rev }, { o: b.author, r: b.rev }) >= 0 ? a : b));
const short = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 12);

function unionCtx(ps: Parsed[]): Ctx {
  const vv: Record<string, string> = {};
  let h: [string, string] | undefined;
  for (const p of ps) {
    for (const [o, r] of Object.entries(p.ctx.vv)) if (vv[o] === undefined || compareRev(r, vv[o]) > 0) vv[o] = r;
    if (p.ctx.h && (!h || compareDot({ r: p.ctx.h[0], o: p.ctx.h[1] }, { r: h[0], o: h[1] }) > 0)) h = p.ctx.h;
  }
  return h ? { vv, h } : { vv };
}

/** The surviving values of one field over the live versions, the shown one (greatest dot) first. */
function mergeField(field: string, live: Parsed[]): Entry[] {
  const out = new Map<string, Entry>();
  for (const v of live) {
    for (const e of v.fields.get(field)?.values() ?? []) {
      for (const d of e.dots) {
        if (!live.every((u) => u.held.has(dotKey(field, d)) || !covers(u.ctx, d))) continue;
        const had = out.get(e.hash);
        if (!had) out.set(e.hash, { hash: e.hash, quads: e.quads, dots: [d] });
        else if (!had.dots.some((x) => x.o === d.o && x.r === d.r)) had.dots.push(d);
      }
    }
  }
  const best = (e: Entry) => e.dots.reduce((a, b) => (compareDot(a, b) >= 0 ? a : b));
  for (const e of out.values()) e.dots.sort((a, b) => compareDot(b, a));
  return [...out.values()].sort((a, b) => compareDot(best(b), best(a)) || (a.hash < b.hash ? -1 : 1));
}

function conflictOf(master: string, field: string, entries: Entry[]): FieldConflict {
  const dots = entries.flatMap((e) => e.dots.map((d) => `${e.hash}@${d.o}@${d.r}`)).sort();
  return {
    id: `c${short(`${master}\n${field}\n${dots.join('\n')}`)}`,
    master,
    field,
    sides: entries.map((e) => ({ hash: e.hash, quads: e.quads, author: e.dots[0].o, rev: e.dots[0].r, ...(e.dots[0].v ? { via: e.dots[0].v } : {}) })),
  };
}

/**
 * Merges every node's version of the item `master` (order does not matter). Deleted when every version no other
 * version has seen is a tombstone; otherwise an edit beats a deletion and the fields merge over the live versions.
 */
export function mergeVersions(master: string, versions: readonly Version[]): MergedItem | undefined {
  const ps = versions.filter((v) => v.quads.length).map((v) => parseVersion(master, v)).sort((a, b) => (a.author < b.author ? -1 : 1));
  if (!ps.length) return undefined;
  const maximal = ps.filter((v) => !ps.some((u) => u !== v && covers(u.ctx, { o: v.author, r: v.rev })));
  const ctx = unionCtx(ps);
  const live = ps.filter((v) => !v.deleted);
  const top = latest(maximal.length ? maximal : ps);
  const tagOf = (w: Parsed) => `${w.rev}@${w.author}` + (maximal.length === 1 ? '' : `+${short(maximal.map((m) => `${m.author}@${m.rev}`).join(','))}`);
  if (!live.length || maximal.every((v) => v.deleted)) {
    return { master, rev: top.rev, author: top.author, deleted: top.deleted, quads: top.plain, tag: tagOf(top), conflicts: [], entries: new Map(), ctx };
  }
  const w = latest(live);
  const entries = new Map<string, Entry[]>();
  const quads = [...w.rest];
  const conflicts: FieldConflict[] = [];
  const fields = [...new Set(live.flatMap((v) => [...v.fields.keys()]))].sort();
  for (const field of fields) {
    const list = mergeField(field, live);
    if (!list.length) continue;
    entries.set(field, list);
    if (fieldMode(field) === 'set') for (const e of list) quads.push(...e.quads);
    else {
      quads.push(...list[0].quads);
      if (list.length > 1) conflicts.push(conflictOf(master, field, list));
    }
  }
  return { master, rev: w.rev, author: w.author, deleted: false, quads, tag: tagOf(w), conflicts, entries, ctx };
}

export interface ClockOptions {
  /** Fields whose value the person chose (a conflict settled): a new dot even when the value is the one shown. */
  settle?: ReadonlySet<string>;
  /** field → values to keep beside the one written (the other side of a conflict found by {@link replicaMerge}). */
  keep?: ReadonlyMap<string, Entry[]>;
  /** Where this write's new values came from (a CalDAV/CardDAV collection), recorded with their dots. */
  via?: string;
}

/**
 * The clocks of the version `self` writes at `rev` with `quads` (the item as the person, a phone or a server now has
 * it), given the merged item it replaces (undefined: a new item). A field whose value is the one shown keeps its dots
 * (and an open conflict stays open); a changed field gets the dot (self, rev); a set keeps the dots of the elements
 * still there. See {@link ClockOptions} for settling and keeping.
 */
export function versionClocks(master: string, before: MergedItem | undefined, quads: readonly Quad[], self: string, rev: string, opts: ClockOptions = {}): string {
  const next = quads.length ? itemFields(master, quads).fields : new Map<string, Map<string, FieldValue>>();
  const fresh = (hash: string): Clocks['f'][string][number] => (opts.via ? [hash, self, rev, '', opts.via] : [hash, self, rev]);
  const f: Clocks['f'] = {};
  for (const [field, values] of next) {
    const was = before?.entries.get(field) ?? [];
    const settle = opts.settle?.has(field);
    const out: Clocks['f'][string] = [];
    if (fieldMode(field) === 'single') {
      const hash = [...values.keys()][0];
      if (!settle && was[0]?.hash === hash) for (const e of was) out.push(...e.dots.map((d) => entryOf(e, d, e.hash !== hash)));
      else out.push(fresh(hash));
      for (const e of opts.keep?.get(field) ?? []) if (e.hash !== hash) out.push(...e.dots.map((d) => entryOf(e, d, true)));
    } else {
      for (const hash of values.keys()) {
        const e = was.find((x) => x.hash === hash);
        if (e && !settle) out.push(...e.dots.map((d) => entryOf(e, d, false)));
        else out.push(fresh(hash));
      }
    }
    f[field] = out;
  }
  const ctx = before?.ctx ?? { vv: {} };
  const clocks: Clocks = { c: { ...ctx.vv, [self]: rev }, ...(ctx.h ? { h: ctx.h } : {}), f };
  return JSON.stringify(clocks);
}

const entryOf = (e: Entry, d: Dot, withText: boolean): Clocks['f'][string][number] => {
  const text = withText ? valueText(e.quads) : '';
  return d.v ? [e.hash, d.o, d.r, text, d.v] : text ? [e.hash, d.o, d.r, text] : [e.hash, d.o, d.r];
};

/** What a replica (a CalDAV/CardDAV server) and we agreed on at the last sync: field → the hashes of its values. */
export type Base = Record<string, string[]>;

/** The base of an item as sent to or taken from a replica (its quads as the replica has them). */
export function baseOf(master: string, quads: readonly Quad[]): Base {
  const out: Base = {};
  for (const [field, values] of itemFields(master, quads).fields) out[field] = [...values.keys()].sort();
  return out;
}

/**
 * A replica's version `server` of an item changed there while the merged item `local` changed here since `base`:
 * field by field, a side that did not change takes the other's value; a set takes the replica's additions and
 * removals; a single-valued field both changed to different values is a conflict (the replica's value written, ours
 * kept beside it through `keep`). A value removed on one side and changed on the other keeps the change. The rest of
 * the item (source text) is the replica's.
 */
export function replicaMerge(master: string, local: MergedItem, server: readonly Quad[], base: Base): { quads: Quad[]; keep: Map<string, Entry[]>; conflicts: string[] } {
  const { fields: theirs, rest } = itemFields(master, server);
  const quads = [...rest];
  const keep = new Map<string, Entry[]>();
  const conflicts: string[] = [];
  for (const field of new Set([...local.entries.keys(), ...theirs.keys()])) {
    const ours = local.entries.get(field) ?? [];
    const there = theirs.get(field) ?? new Map<string, FieldValue>();
    const was = new Set(base[field] ?? []);
    if (fieldMode(field) === 'set') {
      const kept = ours.filter((e) => there.has(e.hash) || !was.has(e.hash)); // the replica removed what it had and has not
      const added = [...there.values()].filter((v) => !was.has(v.hash) && !ours.some((e) => e.hash === v.hash));
      for (const v of [...kept, ...added]) quads.push(...v.quads);
      continue;
    }
    const mine = ours[0];
    const their = [...there.values()][0];
    const theyChanged = their?.hash !== [...was][0];
    const weChanged = mine?.hash !== [...was][0];
    if (their?.hash === mine?.hash || !theyChanged) quads.push(...(mine?.quads ?? [])); // the same, or theirs unchanged
    else if (!weChanged) quads.push(...(their?.quads ?? [])); // ours unchanged: theirs, a removal too
    else if (!their || !mine) quads.push(...(their ?? mine)!.quads); // a change beats a removal on the other side
    else {
      quads.push(...their.quads);
      keep.set(field, ours);
      conflicts.push(field);
    }
  }
  return { quads, keep, conflicts };
}
