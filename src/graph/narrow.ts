// Narrowing a query's reach inside a snapshot: which lines of each predicate's parts a cold query loads.
// Each pattern keeps the lines that fit its constants; the patterns of one basic graph pattern then narrow each
// other through their shared variables (semi-join reduction): the one author named "Author 42" narrows the
// creator lines to his books, and those narrow the titles to theirs. Every line a solution could use is kept, so
// the answers are the same as over the whole store. Values are compared as the snapshot writes them (oxigraph's
// N-Triples text, one text per term), so the comparison is exact.
import type { PatternReach, Reach, Slot } from './reach.js';

/** One part of the snapshot: the lines of one predicate in one graph (`graph`: its N-Triples text, '' for the default graph). */
export interface PartText {
  predicate: string;
  graph: string;
  /** The part's bytes, or how to read them (then read only when a search needs the whole part). */
  buf: Buffer | (() => Buffer);
  /** The lines whose subject ('s') or object ('o') text is `value`, found without reading the part (part-index.ts). */
  find?: (which: 's' | 'o', value: string) => Array<Omit<Line, 'part'>>;
  /** About how many lines `find` would return (at least as many), without reading any. */
  count?: (which: 's' | 'o', value: string) => number;
}

/** A part's bytes, read on first use. */
export function partBytes(part: PartText): Buffer {
  if (typeof part.buf === 'function') part.buf = part.buf();
  return part.buf;
}

/** Up to this many values, lines are found by searching for each; beyond, by reading every line of the part once. */
const NEEDLES_MAX = 16;
/** Up to this many values, a part with an index finds their lines through it. */
const FIND_MAX = 4096;

export interface Line {
  part: number;
  start: number;
  /** Past the newline. */
  end: number;
  s: string;
  o: string;
  /** The line's text, with its newline. */
  bytes: Buffer;
}

/**
 * Where the line at `start` ends and where its subject and object lie (lines are `S P O [G] .\n`; subjects hold no
 * space; `predicate` and `graph` are the part's); null when the line does not have that shape.
 */
export function lineRange(buf: Buffer, start: number, predicateBytes: number, graphBytes: number): { end: number; sEnd: number; oStart: number; oEnd: number } | null {
  const nl = buf.indexOf(10, start);
  const end = nl < 0 ? buf.length : nl + 1;
  const sEnd = buf.indexOf(32, start);
  if (sEnd < 0 || sEnd >= end) return null;
  const oStart = sEnd + 1 + predicateBytes + 1;
  const oEnd = end - (nl < 0 ? 0 : 1) - 2 - (graphBytes ? graphBytes + 1 : 0); // before `[ G] .`
  if (oEnd <= oStart) return null;
  return { end, sEnd, oStart, oEnd };
}

/** The line of `buf` at `start`: its extent, subject and object text. */
export function parseLine(buf: Buffer, start: number, predicate: string, graph: string): Omit<Line, 'part'> | null {
  const r = lineRange(buf, start, Buffer.byteLength(predicate), graph ? Buffer.byteLength(graph) : 0);
  if (!r) return null;
  return { start, end: r.end, s: buf.toString('utf8', start, r.sEnd), o: buf.toString('utf8', r.oStart, r.oEnd), bytes: buf.subarray(start, r.end) };
}

function lineAt(parts: PartText[], part: number, start: number): Line | null {
  const x = parts[part];
  const line = parseLine(partBytes(x), start, x.predicate, x.graph);
  return line && { ...line, part };
}

/** Lines of the parts `ids` whose slot `which` holds one of `values`. */
export function linesWith(parts: PartText[], ids: number[], which: 's' | 'o', values: Set<string>): Line[] {
  const out: Line[] = [];
  for (const id of ids) {
    const { predicate, find } = parts[id];
    if (find && values.size <= FIND_MAX) {
      for (const v of values) for (const line of find(which, v)) out.push({ ...line, part: id });
    } else if (values.size <= NEEDLES_MAX) {
      const buf = partBytes(parts[id]);
      for (const v of values) {
        // `S P ` at a line start, or ` P O ` right after the subject (an object's text may recur inside a literal)
        const needle = Buffer.from(which === 's' ? `${v} ${predicate} ` : ` ${predicate} ${v} `);
        for (let hit = buf.indexOf(needle); hit >= 0; hit = buf.indexOf(needle, hit + 1)) {
          const start = which === 's' ? hit : hit === 0 ? 0 : buf.lastIndexOf(10, hit - 1) + 1;
          if (which === 's' && start > 0 && buf[start - 1] !== 10) continue;
          const line = lineAt(parts, id, start);
          if (line && line[which] === v) out.push(line);
        }
      }
    } else {
      const buf = partBytes(parts[id]);
      for (let start = 0; start < buf.length; ) {
        const line = lineAt(parts, id, start);
        if (!line) break;
        if (values.has(line[which])) out.push(line);
        start = line.end;
      }
    }
  }
  return out;
}

type Domain = Set<string> | 'any';

/** The values a slot is known to be limited to: a constant's, or its variable's domain so far. */
function limit(slot: Slot, domains: Map<string, Domain>): Set<string> | undefined {
  if (!slot) return undefined;
  if ('text' in slot) return new Set([slot.text]);
  const d = domains.get(slot.v);
  return d instanceof Set ? d : undefined;
}

/**
 * For each part, 'all' its lines, the lines to load, or null (none). `dirty`: predicates the log after the
 * snapshot adds statements of; their patterns' variables cannot narrow others (the log's values are not in the
 * parts), and all their log statements are loaded anyway.
 */
export function narrow(reach: Reach, parts: PartText[], dirty: Set<string>): Array<'all' | Buffer | null> {
  const idsOf = new Map<string, number[]>();
  parts.forEach((x, i) => idsOf.set(x.predicate, [...(idsOf.get(x.predicate) ?? []), i]));
  const whole = new Set<number>();
  for (const [p, ids] of idsOf) if (p === '' || reach.all.has(p)) for (const id of ids) whole.add(id);

  const domains = new Map<string, Domain>();
  const found: Array<Line[] | undefined> = reach.patterns.map(() => undefined);
  const vars = (x: PatternReach) => [x.s, x.o].flatMap((sl) => (sl && 'v' in sl ? [sl.v] : []));
  for (const x of reach.patterns) if (x.joins && dirty.has(x.p)) for (const v of vars(x)) domains.set(v, 'any');
  const none = new Map<string, Domain>();
  /** A pattern's limits: its constants, and if it joins, its variables' domains. */
  const limits = (x: PatternReach) => ({ ls: limit(x.s, x.joins ? domains : none), lo: limit(x.o, x.joins ? domains : none) });

  // Resolve the most limited pattern first, then those its values limit, until none is limited.
  for (;;) {
    let best = -1;
    let bestSize = Infinity;
    reach.patterns.forEach((x, i) => {
      if (found[i]) return;
      const { ls, lo } = limits(x);
      const size = Math.min(ls?.size ?? Infinity, lo?.size ?? Infinity);
      if (size < bestSize) [best, bestSize] = [i, size];
    });
    if (best < 0) break;
    const x = reach.patterns[best];
    const { ls, lo } = limits(x);
    // By the side with fewer lines to read: with indexes, their counts; without, the fewer values to search for.
    const cost = (which: 's' | 'o', values: Set<string>) =>
      (idsOf.get(x.p) ?? []).reduce((n, id) => {
        const count = parts[id].count;
        return n + (count && values.size <= FIND_MAX ? [...values].reduce((m, v) => m + count(which, v), 0) : values.size);
      }, 0);
    const bySubject = ls !== undefined && (lo === undefined || cost('s', ls) <= cost('o', lo));
    const lines = linesWith(parts, idsOf.get(x.p) ?? [], bySubject ? 's' : 'o', bySubject ? ls! : lo!).filter((l) => (bySubject ? !lo || lo.has(l.o) : !ls || ls.has(l.s)));
    found[best] = lines;
    if (!x.joins) continue;
    for (const which of ['s', 'o'] as const) {
      const sl = x[which];
      if (!sl || !('v' in sl) || domains.get(sl.v) === 'any') continue;
      const values = new Set(lines.map((l) => l[which]));
      const had = domains.get(sl.v);
      domains.set(sl.v, had instanceof Set ? new Set([...had].filter((v) => values.has(v))) : values);
    }
  }

  // Patterns nothing limits need all their lines; the others keep the lines that fit the final domains.
  const keep = new Map<number, Map<number, Buffer>>(); // part → line start → text
  reach.patterns.forEach((x, i) => {
    const lines = found[i];
    if (!lines) {
      for (const id of idsOf.get(x.p) ?? []) whole.add(id);
      return;
    }
    const { ls, lo } = limits(x);
    for (const l of lines) {
      if ((ls && !ls.has(l.s)) || (lo && !lo.has(l.o))) continue;
      const m = keep.get(l.part) ?? new Map<number, Buffer>();
      m.set(l.start, l.bytes);
      keep.set(l.part, m);
    }
  });
  return parts.map((_, id) => {
    if (whole.has(id)) return 'all';
    const m = keep.get(id);
    if (!m) return null;
    return Buffer.concat([...m].sort((a, b) => a[0] - b[0]).map(([, bytes]) => bytes));
  });
}
