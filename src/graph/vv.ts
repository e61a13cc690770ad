// Version vectors (pure): per author, the highest contiguous sequence number held.
import type { VersionVector } from './types.js';

export function get(vv: VersionVector, author: string): number {
  return Object.prototype.hasOwnProperty.call(vv, author) ? vv[author] : 0;
}

/** The element-wise maximum: what someone holding both would hold. */
export function merge(a: VersionVector, b: VersionVector): VersionVector {
  const out: VersionVector = { ...a };
  for (const [k, v] of Object.entries(b)) if (v > get(out, k)) out[k] = v;
  return out;
}

/** True when `a` holds everything `b` holds (a >= b on every author). */
export function dominates(a: VersionVector, b: VersionVector): boolean {
  for (const [k, v] of Object.entries(b)) if (get(a, k) < v) return false;
  return true;
}

export function equals(a: VersionVector, b: VersionVector): boolean {
  return dominates(a, b) && dominates(b, a);
}

export type Order = 'equal' | 'before' | 'after' | 'concurrent';

/** How `a` relates to `b`: before means b holds strictly more. */
export function compare(a: VersionVector, b: VersionVector): Order {
  const ab = dominates(a, b);
  const ba = dominates(b, a);
  return ab && ba ? 'equal' : ab ? 'after' : ba ? 'before' : 'concurrent';
}

export interface Range {
  author: string;
  /** First missing seq (inclusive). */
  from: number;
  /** Last missing seq (inclusive). */
  to: number;
}

/** What the holder of `have` lacks of `want`, per author, sorted by author. */
export function missing(have: VersionVector, want: VersionVector): Range[] {
  const out: Range[] = [];
  for (const author of Object.keys(want).sort()) {
    const h = get(have, author);
    const w = want[author];
    if (w > h) out.push({ author, from: h + 1, to: w });
  }
  return out;
}

/** `vv` with `author` advanced to `seq` (a new object; never lowers). */
export function advance(vv: VersionVector, author: string, seq: number): VersionVector {
  return seq > get(vv, author) ? { ...vv, [author]: seq } : { ...vv };
}

/** A well-formed vector: author keys non-empty, values non-negative safe integers. */
export function isVersionVector(x: unknown): x is VersionVector {
  if (!x || typeof x !== 'object' || Array.isArray(x)) return false;
  for (const [k, v] of Object.entries(x)) {
    if (!k || typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) return false;
  }
  return true;
}
