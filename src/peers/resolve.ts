// The resolved view over per-author graphs: last-writer-wins by HLC (peer-id tiebreak) or add-wins sets.
//
// Stored data never conflicts: each node writes only its own named graphs, so "the same value edited on two
// nodes" is two statements in two graphs, and every node converges to the same union. A reader that wants one
// value (a contact's name) asks resolveValues over the candidates, each with the HLC of the patch that last
// wrote it: for a single-valued property the candidate with the greatest HLC wins, ties broken by the greater
// peer id (byte order); for a set-valued property the result is the union of all authors' values (add-wins:
// one node removing a value from its own graph does not remove what another node still says).
// The function is pure and order-independent, so every node resolves the same way.

export interface Candidate<V> {
  /** The node id (peer id) whose graph holds the value. */
  author: string;
  /** The HLC of the patch that last added it, `"<ms>.<counter>"`. */
  hlc: string;
  value: V;
}

export interface Resolution<V> {
  /** Single: zero or one value. Set: every distinct value, sorted by key. */
  values: V[];
  /** Single: the winning candidate. */
  winner?: Candidate<V>;
}

function parseHlc(h: string): [number, number] {
  const m = /^(\d{1,16})\.(\d{1,10})$/.exec(h);
  return m ? [Number(m[1]), Number(m[2])] : [-1, -1];
}

/** Order two HLCs: negative when a is earlier. Malformed clocks sort before every valid one. */
export function compareHlc(a: string, b: string): number {
  const [am, ac] = parseHlc(a);
  const [bm, bc] = parseHlc(b);
  return am !== bm ? am - bm : ac - bc;
}

/** Total order on candidates: HLC, then author, then value key. */
function compareCandidates<V>(a: Candidate<V>, b: Candidate<V>, key: (v: V) => string): number {
  const h = compareHlc(a.hlc, b.hlc);
  if (h !== 0) return h;
  if (a.author !== b.author) return a.author < b.author ? -1 : 1;
  const ka = key(a.value);
  const kb = key(b.value);
  return ka === kb ? 0 : ka < kb ? -1 : 1;
}

export function resolveValues<V>(candidates: readonly Candidate<V>[], mode: 'single' | 'set', key: (v: V) => string = (v) => String(v)): Resolution<V> {
  if (mode === 'single') {
    let best: Candidate<V> | undefined;
    for (const c of candidates) if (!best || compareCandidates(c, best, key) > 0) best = c;
    return best ? { values: [best.value], winner: best } : { values: [] };
  }
  const byKey = new Map<string, V>();
  for (const c of candidates) if (!byKey.has(key(c.value))) byKey.set(key(c.value), c.value);
  return { values: [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v) };
}
