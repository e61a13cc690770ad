// Hybrid logical clock (pure): "<ms>.<counter>" stamps that follow physical time and never go backwards.

export interface Hlc {
  ms: number;
  counter: number;
}

const HLC_RE = /^(\d{1,15})\.(\d{1,9})$/;

export const HLC_ZERO: Hlc = { ms: 0, counter: 0 };

export function parseHlc(s: string): Hlc | null {
  const m = HLC_RE.exec(s);
  if (!m) return null;
  return { ms: Number(m[1]), counter: Number(m[2]) };
}

export function formatHlc(h: Hlc): string {
  return `${h.ms}.${h.counter}`;
}

/** Negative, zero or positive as a is before, equal to or after b. */
export function compareHlc(a: Hlc, b: Hlc): number {
  return a.ms !== b.ms ? a.ms - b.ms : a.counter - b.counter;
}

/**
 * compareHlc over stamps as text ("<ms>.<counter>", as patches and PIM revisions carry them); a malformed stamp
 * counts as zero. Compare stamps with this or compareHlc, never as strings ("10.0" < "9.0" as text).
 */
export function compareHlcText(a: string, b: string): number {
  return compareHlc(parseHlc(a) ?? HLC_ZERO, parseHlc(b) ?? HLC_ZERO);
}

/** A local event (a commit): the next stamp after `last` at physical time `now`. */
export function tick(last: Hlc, now: number): Hlc {
  if (now > last.ms) return { ms: now, counter: 0 };
  return { ms: last.ms, counter: last.counter + 1 };
}

/**
 * A remote stamp is seen at physical time `now`: the result is after both `last` and `remote`.
 * A remote stamp more than `maxDriftMs` ahead of `now` is not adopted (a peer with a wild clock must not
 * drag ours into the future); the result then only follows `last` and `now`.
 */
export function receive(last: Hlc, remote: Hlc, now: number, maxDriftMs = 86_400_000): Hlc {
  if (remote.ms > now + maxDriftMs) return tick(last, now);
  const ms = Math.max(last.ms, remote.ms, now);
  let counter: number;
  if (ms === last.ms && ms === remote.ms) counter = Math.max(last.counter, remote.counter) + 1;
  else if (ms === last.ms) counter = last.counter + 1;
  else if (ms === remote.ms) counter = remote.counter + 1;
  else counter = 0;
  return { ms, counter };
}

export function maxHlc(a: Hlc, b: Hlc): Hlc {
  return compareHlc(a, b) >= 0 ? a : b;
}
