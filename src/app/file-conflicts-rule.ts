// The rule for a file description two nodes disagree on (pure): which nodes' values of one field of one content are
// still open, and when they are a conflict. docs/pim.md "Conflicts of file descriptions", docs/decisions.md.
import { createHash } from 'node:crypto';
import { hlc } from '../graph/index.js';

const { compareHlcText } = hlc;

/** What an edit had seen when it was written (`ss:seen` on its record): other nodes' edits, and value sets. */
export interface EditSeen {
  /** node id → the revision of that node's edit of this field the writer held. */
  n: Record<string, string>;
  /** Hashes ({@link valueHash}) of every value set of this field the writer held (scanned or edited, its own too). */
  v: string[];
}

/** One node's say on one field of one content: its edit when it has one, else what its shares' scans read. */
export interface DescriptionSide {
  node: string;
  /** The values as N-Triples terms, sorted (a set: creators are several people). */
  values: string[];
  /** An edit's revision (hybrid logical clock); absent for a scanned value. */
  rev?: string;
  seen?: EditSeen;
}

export interface DescriptionConflict {
  id: string;
  content: string;
  field: string;
  /** The open sides, the one shown first (the latest edit; a scan after every edit; node id breaks ties). */
  sides: DescriptionSide[];
}

const sha = (text: string) => createHash('sha256').update(text).digest('hex');

/** The hash an edit's `seen` names a value set by. */
export function valueHash(values: readonly string[]): string {
  return sha([...values].sort().join('\n')).slice(0, 16);
}

/** A side's token in a conflict id: an edit by its revision, a scan by its values. */
const token = (s: DescriptionSide) => `${s.node}@${s.rev ?? 'scan:' + valueHash(s.values)}`;

/** How far ahead of this node's clock an edit's revision may be before it counts as having seen nothing (a hostile peer's). */
export const MAX_AHEAD_MS = 86_400_000;

/**
 * Whether edit `by` (of another node) had seen side `s` when it was written. What it claims to have seen later than
 * itself, or an edit stamped more than a day ahead of `now` (this node's clock, ms), covers nothing.
 */
export function covers(by: DescriptionSide, s: DescriptionSide, now = Date.now()): boolean {
  if (by.node === s.node || by.rev === undefined || !by.seen) return false;
  if ((hlc.parseHlc(by.rev)?.ms ?? Infinity) > now + MAX_AHEAD_MS) return false;
  if (s.rev !== undefined) {
    const saw = by.seen.n[s.node];
    return saw !== undefined && compareHlcText(saw, s.rev) >= 0 && compareHlcText(saw, by.rev) <= 0;
  }
  return by.seen.v.includes(valueHash(s.values));
}

/** The later side first: an edit before a scan, then the greater revision, then the greater node id. */
function later(a: DescriptionSide, b: DescriptionSide): number {
  if ((a.rev === undefined) !== (b.rev === undefined)) return a.rev === undefined ? 1 : -1;
  const byRev = a.rev !== undefined && b.rev !== undefined ? compareHlcText(b.rev, a.rev) : 0;
  return byRev || (a.node < b.node ? 1 : a.node > b.node ? -1 : 0);
}

/** `now`: this node's clock (ms); `settles`: whose edits may settle another node's side (default: every node's). */
export interface RuleOptions {
  now?: number;
  settles?: (node: string) => boolean;
}

/** The sides no other node's edit (of a node `settles` accepts) had seen, the later first. */
export function openSides(sides: readonly DescriptionSide[], o: RuleOptions = {}): DescriptionSide[] {
  const now = o.now ?? Date.now();
  const by = sides.filter((b) => o.settles?.(b.node) ?? true);
  return sides.filter((s) => s.values.length > 0 && !by.some((b) => covers(b, s, now))).sort(later);
}

/**
 * The conflict on one field of one content, or null. A side is settled when another node's edit had seen it (its
 * revision, or for a scanned value, its value set); the sides left that hold two different value sets are a conflict.
 */
export function descriptionConflict(content: string, field: string, sides: readonly DescriptionSide[], o: RuleOptions = {}): DescriptionConflict | null {
  const open = openSides(sides, o);
  if (new Set(open.map((s) => valueHash(s.values))).size < 2) return null;
  const id = `f${sha(`${content}\n${field}\n${open.map(token).sort().join('\n')}`).slice(0, 12)}`;
  return { id, content, field, sides: open };
}

/** What a new edit of the field by `self` records as seen: every other node's edit and every value set held now. */
export function seenBy(self: string, sides: readonly DescriptionSide[]): EditSeen {
  const n: Record<string, string> = {};
  for (const s of sides) if (s.node !== self && s.rev !== undefined) n[s.node] = s.rev;
  const v = [...new Set(sides.filter((s) => s.values.length).map((s) => valueHash(s.values)))].sort();
  return { n, v };
}

/** An edit's `ss:seen` JSON read back; anything malformed (a hostile peer's) counts as having seen nothing. */
export function parseSeen(text: string | undefined): EditSeen {
  try {
    const j = JSON.parse(text ?? '') as unknown;
    if (!j || typeof j !== 'object') return { n: {}, v: [] };
    const { n, v } = j as { n?: unknown; v?: unknown };
    const nodes: Record<string, string> = {};
    if (n && typeof n === 'object' && !Array.isArray(n)) for (const [k, r] of Object.entries(n)) if (typeof r === 'string' && k.length <= 128) nodes[k] = r;
    return { n: nodes, v: Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string').slice(0, 10_000) : [] };
  } catch {
    return { n: {}, v: [] };
  }
}
