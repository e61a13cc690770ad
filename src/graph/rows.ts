// Patch rows against oxigraph: a patch's net effect, applying it, and which rows the store already holds.
// Rows are quads in N-Quads syntax (`s p o [g]`, with the final dot as the log holds them, or without as keys).
import oxigraph from 'oxigraph';
import { linePredicate, reachesPredicate, type Reach } from './reach.js';

/** The net effect of patch rows: for each quad, the last operation on it wins. */
export function netRows(text: string): { adds: string[]; dels: string[] } {
  const last = new Map<string, 'A' | 'D'>();
  const start = text.indexOf('\nTX .\n');
  for (let pos = start + 6; pos < text.length; ) {
    let nl = text.indexOf('\n', pos);
    if (nl < 0) nl = text.length;
    const op = text[pos];
    if (op === 'A' || op === 'D') last.set(text.slice(pos + 2, nl), op);
    pos = nl + 1;
  }
  const adds: string[] = [];
  const dels: string[] = [];
  for (const [row, op] of last) (op === 'A' ? adds : dels).push(row);
  return { adds, dels };
}

/** Apply the rows of an encoded patch to oxigraph: deletions one by one, additions as one N-Quads load. With `reach`, only rows of its predicates. */
export function applyRows(ox: oxigraph.Store, text: string, reach?: Reach): void {
  applyNet(ox, netRows(text), reach);
}

/** applyRows for a patch's net effect already worked out (netRows). */
export function applyNet(ox: oxigraph.Store, net: { adds: string[]; dels: string[] }, reach?: Reach): void {
  let { adds, dels } = net;
  if (reach) {
    // By predicate only (a superset of the reach is fine); a row whose predicate is written with escapes is kept.
    const keep = (row: string) => {
      const p = linePredicate(row);
      return p === null || p.includes('\\') || reachesPredicate(reach, p);
    };
    adds = adds.filter(keep);
    dels = dels.filter(keep);
  }
  if (dels.length) for (const q of oxigraph.parse(dels.join('\n') + '\n', { format: 'application/n-quads' })) ox.delete(q);
  for (const [from, to] of loadParts(adds.length)) {
    ox.load(utf8(adds.slice(from, to).join('\n') + '\n'), { format: 'application/n-quads', lenient: true, no_transaction: true });
  }
}

/** Add rows (`s p o [g]`, no final dot) to a store in parts (see loadParts). */
export function loadRowsInParts(ox: oxigraph.Store, rows: readonly string[]): void {
  for (const [from, to] of loadParts(rows.length)) loadRows(ox, rows.slice(from, to));
}

/** Most rows per oxigraph load: 80,000 rows at once cost ~5x the CPU of parts of 10,000. */
const LOAD_PART = 10_000;

/**
 * The parts `[from, to)` `count` rows are loaded in: 100 rows, then twice as many each time up to LOAD_PART. While
 * oxigraph's wasm is cold (a fresh process), a call runs to its end in the baseline code it started in (V8 replaces a
 * wasm function by its optimised code only at its next call), so small first calls let the rest run optimised: a
 * cold load of 80,000 rows took ~0.45 s of CPU this way against ~0.75-0.95 s in parts of 10,000 (one script, load
 * average 12); warm, the same.
 */
export function* loadParts(count: number): Generator<[number, number]> {
  for (let from = 0, n = 100; from < count; from += n, n = Math.min(n * 2, LOAD_PART)) yield [from, Math.min(from + n, count)];
}

/**
 * Which of these rows (`s p o [g]` in N-Triples syntax) the store holds, by index. One VALUES query per
 * kind of graph, cheaper than a has() per quad across the wasm boundary. FILTER EXISTS makes oxigraph look
 * each row up in its indexes; a plain join scanned the store (1,000 rows on 1M quads: 10 ms instead of 70-440).
 */
export function presentRows(ox: oxigraph.Store, keys: string[], inDefaultGraph: boolean[]): Set<number> {
  const named: string[] = [];
  const deflt: string[] = [];
  const known = knownSubjects(ox, keys);
  keys.forEach((k, i) => {
    if (known && !known.has(k.slice(0, k.indexOf(' ')))) return; // a subject the store says nothing about
    (inDefaultGraph[i] ? deflt : named).push(`(${i} ${k})`);
  });
  const found = new Set<number>();
  const run = (q: string) => {
    const r = JSON.parse(ox.query(q, { results_format: 'application/sparql-results+json' }) as string) as { results: { bindings: Array<{ i: { value: string } }> } };
    for (const b of r.results.bindings) found.add(Number(b.i.value));
  };
  if (named.length) run(`SELECT ?i WHERE { VALUES (?i ?s ?p ?o ?g) {\n${named.join('\n')}\n} FILTER EXISTS { GRAPH ?g { ?s ?p ?o } } }`);
  if (deflt.length) run(`SELECT ?i WHERE { VALUES (?i ?s ?p ?o) {\n${deflt.join('\n')}\n} FILTER EXISTS { ?s ?p ?o } }`);
  return found;
}

/**
 * Of the subjects of these rows, those the store holds anything about (N-Triples text); null when the rows are few
 * or name about as many subjects as rows. New things (a scan's new files, an import) are then known absent from one
 * query per subject instead of one per row: 10,000 new contacts committed in 0.2 s instead of 1.6 s.
 */
function knownSubjects(ox: oxigraph.Store, keys: string[]): Set<string> | null {
  if (keys.length < 64) return null;
  const subjects = new Set(keys.map((k) => k.slice(0, k.indexOf(' '))));
  if (subjects.size * 2 > keys.length) return null;
  const q = `SELECT ?s WHERE { VALUES ?s {\n${[...subjects].join('\n')}\n} FILTER EXISTS { ?s ?p ?o } }`;
  const r = JSON.parse(ox.query(q, { results_format: 'application/sparql-results+json', use_default_graph_as_union: true }) as string) as { results: { bindings: Array<{ s: { value: string } }> } };
  return new Set(r.results.bindings.map((b) => `<${b.s.value}>`));
}

/**
 * A row's terms (`s p o [g]`, N-Quads terms without the final dot): subject, predicate, object and graph ('' for
 * the default graph). IRIs and blank nodes hold no space; a literal ends at its closing quote, datatype or tag.
 */
export function splitRow(row: string): [string, string, string, string] {
  const a = row.indexOf(' ');
  const b = row.indexOf(' ', a + 1);
  let i = b + 1;
  if (row[i] === '"') {
    for (i++; i < row.length && row[i] !== '"'; ) i += row[i] === '\\' ? 2 : 1;
    i++;
    if (row[i] === '^') i = row.indexOf('>', i) + 1;
    else if (row[i] === '@') while (i < row.length && row[i] !== ' ') i++;
  } else {
    i = row.indexOf(' ', i);
    if (i < 0) i = row.length;
  }
  return [row.slice(0, a), row.slice(a + 1, b), row.slice(b + 1, i), row.slice(i + 1)];
}

/** Add rows (`s p o [g]`, no final dot) to a store. */
export function loadRows(store: oxigraph.Store, rows: string[]): void {
  if (rows.length) store.load(utf8(rows.join(' .\n') + ' .\n'), { format: 'application/n-quads', lenient: true, no_transaction: true });
}

/** Delete rows (`s p o [g]`, no final dot) from a store. */
export function deleteRows(store: oxigraph.Store, rows: string[]): void {
  if (rows.length) for (const q of oxigraph.parse(rows.join(' .\n') + ' .\n', { format: 'application/n-quads' })) store.delete(q);
}

/** Text as UTF-8 bytes; ASCII text (as rows mostly are) encoded as latin1, the same bytes at ~3x the speed. */
export function utf8(text: string): Buffer {
  return Buffer.from(text, Buffer.byteLength(text) === text.length ? 'latin1' : 'utf8');
}
