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
  sides: Array<{ hash: string; quads: Quad[]; author: string; rev: string }>;
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
  f: Record<string, Array<[string, string, string, string?]>>;
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
      for (const [hash, o, r, text] of list) {
        const quads = fields.get(field)?.get(hash)?.quads ?? (text ? parseValueText(text) : []);
        if (quads.length) addEntry(out.fields, field, { hash, quads }, { o, r });
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
    sides: entries.map((e) => ({ hash: e.hash, quads: e.quads, author: e.dots[0].o, rev: e.dots[0].r })),
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

/**
 * The clocks of the version `self` writes at `rev` with `quads` (the item as the person, a phone or a server now has
 * it), given the merged item it replaces (undefined: a new item). A field whose value is the one shown keeps its dots
 * (and an open conflict stays open); a changed field gets the dot (self, rev); a set keeps the dots of the elements
 * still there. Fields in `settle` get a new dot even when unchanged: the person chose that value (a conflict settled).
 */
export function versionClocks(master: string, before: MergedItem | undefined, quads: readonly Quad[], self: string, rev: string, settle?: ReadonlySet<string>): string {
  const next = quads.length ? itemFields(master, quads).fields : new Map<string, Map<string, FieldValue>>();
  const f: Clocks['f'] = {};
  for (const [field, values] of next) {
    const was = before?.entries.get(field) ?? [];
    const out: Clocks['f'][string] = [];
    if (fieldMode(field) === 'single') {
      const hash = [...values.keys()][0];
      if (!settle?.has(field) && was[0]?.hash === hash) for (const e of was) out.push(...e.dots.map((d) => entryOf(e, d, e.hash !== hash)));
      else out.push([hash, self, rev]);
    } else {
      for (const hash of values.keys()) {
        const e = was.find((x) => x.hash === hash);
        if (e && !settle?.has(field)) out.push(...e.dots.map((d) => entryOf(e, d, false)));
        else out.push([hash, self, rev]);
      }
    }
    f[field] = out;
  }
  const ctx = before?.ctx ?? { vv: {} };
  const clocks: Clocks = { c: { ...ctx.vv, [self]: rev }, ...(ctx.h ? { h: ctx.h } : {}), f };
  return JSON.stringify(clocks);
}

const entryOf = (e: Entry, d: Dot, withText: boolean): [string, string, string, string?] => (withText ? [e.hash, d.o, d.r, valueText(e.quads)] : [e.hash, d.o, d.r]);
