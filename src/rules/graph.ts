// What the rules read from the graph: a few SPARQL queries fetch every fact planning needs, for all contents.
import type { Term } from '@rdfjs/types';
import { DCTERMS, FOAF, NFO, NIE, NMM, RDFS, SS, sparqlPrefixes } from '../graph/vocab.js';
import type { MediaKind } from './types.js';

/** The slice of the store rules need: SPARQL SELECT over the union of all graphs, rows as variable → term. */
export interface RuleGraph {
  select(sparql: string): Array<Record<string, Term>>;
  /** The same query's results as SPARQL TSV text, when the store can give it (much cheaper than term objects). */
  selectTsv?(sparql: string): string;
  /**
   * Every statement of these predicates (IRIs) as `each(p, s, o)`, subject and object in N-Triples syntax, when the
   * store streams them from disk (a store too big to hold in memory): then preferred to a query.
   */
  scan?(predicates: string[], each: (p: string, s: string, o: string) => void): void;
}

/** The class each kind of media is typed with in the graph. */
export const KIND_CLASS: Record<MediaKind, string> = {
  ebook: SS('EBook').value,
  music: NMM('MusicPiece').value,
  photo: NFO('Image').value,
  document: NFO('Document').value,
};

/** One file the graph says holds a content. */
export interface FileFact {
  iri: string;
  mime?: string;
  size?: number;
  /** `ss:relativePath`, or the file IRI's path. */
  path: string;
}

/** Everything rules use about one content resource; each list sorted and without duplicates. */
export interface ContentFacts {
  iri: string;
  kind: MediaKind;
  values: Record<FactName, string[]>;
  files: FileFact[];
}

const FACTS = [
  'title',
  'creator',
  'subject',
  'genre',
  'date',
  'language',
  'track',
  'disc',
  'album',
  'albumArtist',
  'series',
  'seriesIndex',
  'place',
  'mime',
] as const;
export type FactName = (typeof FACTS)[number];

/** The predicates planning reads, fetched in one scan. */
const P = {
  title: DCTERMS('title').value,
  creator: DCTERMS('creator').value,
  subject: DCTERMS('subject').value,
  genre: NFO('genre').value,
  date: DCTERMS('date').value,
  language: DCTERMS('language').value,
  track: NMM('trackNumber').value,
  disc: NMM('setNumber').value,
  series: SS('series').value,
  seriesIndex: SS('seriesIndex').value,
  place: DCTERMS('spatial').value,
  mime: NIE('mimeType').value,
  album: NMM('musicAlbum').value,
  albumArtist: NMM('albumArtist').value,
  name: FOAF('name').value,
  label: RDFS('label').value,
  interpretedAs: NIE('interpretedAs').value,
  fileSize: NFO('fileSize').value,
  relativePath: SS('relativePath').value,
  onDevice: SS('onDevice').value,
} as const;

function kindValues(kinds: readonly MediaKind[]): string {
  return kinds.map((k) => `<${KIND_CLASS[k]}>`).join(' ');
}

function select(graph: RuleGraph, query: string): Array<Record<string, Term>> {
  return graph.select(`${sparqlPrefixes()}\n${query}`);
}

/**
 * Rows are packed: one row per (group, bucket of subjects), its `?x` the space-separated records
 * `subject|Iobject-IRI` or `subject|L` + ENCODE_FOR_URI(literal). The store hands each term over as an object
 * (for oxigraph, a WebAssembly handle with a finaliser): 10,000 contents as plain rows cost ~100,000 such
 * objects and most of a second in garbage collection; packed they cost a few hundred. Literals are
 * percent-encoded, so nothing a hostile title holds can be read as a separator; IRIs are not (decoding is the
 * expensive part) since an IRI can hold neither a space nor '|' (RFC 3987, SPARQL's IRIREF). Buckets (the
 * first hex digit of the hash) keep each string small in large libraries.
 */
function packed(
  graph: RuleGraph,
  groupVar: string,
  where: string,
  each: (group: string, subject: string, object: string, literal: boolean) => void,
): void {
  const rows = select(
    graph,
    `SELECT ?${groupVar} (GROUP_CONCAT(CONCAT(STR(?s), "|",
  IF(isLiteral(?o), CONCAT("L", ENCODE_FOR_URI(STR(?o))), CONCAT("I", STR(?o)))); separator=" ") AS ?x)
WHERE { ${where} FILTER(isIRI(?s) && !isBlank(?o)) }
GROUP BY ?${groupVar} (SUBSTR(STR(?s), 12, 1))`,
  );
  for (const row of rows) {
    const g = row[groupVar]?.value;
    const x = row.x?.value;
    if (g === undefined || !x) continue;
    for (const rec of x.split(' ')) {
      const bar = rec.indexOf('|');
      if (bar < 0) continue;
      const literal = rec.charCodeAt(bar + 1) === 76; // 'L'
      const o = rec.slice(bar + 2);
      each(g, rec.slice(0, bar), literal && o.includes('%') ? decodeURIComponent(o) : o, literal);
    }
  }
}

const TSV_ESC: Record<string, string> = { t: '\t', b: '\b', n: '\n', r: '\r', f: '\f', '"': '"', "'": "'", '\\': '\\' };

/** One TSV term: [value, isLiteral], or undefined for a blank node or an unbound cell. */
function tsvTerm(cell: string): [string, boolean] | undefined {
  const c = cell.charCodeAt(0);
  if (c === 60) return [cell.slice(1, cell.lastIndexOf('>')), false]; // <iri>
  if (c === 34) {
    // "literal"(^^<dt>|@lang)?: the closing quote is the last one (a datatype IRI holds none, a tag neither)
    const body = cell.slice(1, cell.lastIndexOf('"'));
    return [body.includes('\\') ? body.replace(/\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)/g, (_, e: string) => (e.length > 1 ? String.fromCodePoint(parseInt(e.slice(1), 16)) : TSV_ESC[e] ?? e)) : body, true];
  }
  if (c === 95 || cell === '') return undefined; // _:blank
  return [cell, true]; // a bare number or boolean
}

/**
 * `SELECT ?g ?s ?o` as TSV (one flat scan, no grouping or encoding in the store: ~5x cheaper than {@link packed}),
 * each row handed over as (group, subject, object, literal). Falls back to {@link packed} for a graph without TSV.
 */
function flat(
  graph: RuleGraph,
  groupVar: string,
  where: string,
  each: (group: string, subject: string, object: string, literal: boolean) => void,
): void {
  if (!graph.selectTsv) return packed(graph, groupVar, where, each);
  const text = graph.selectTsv(`${sparqlPrefixes()}\nSELECT ?${groupVar} ?s ?o WHERE { ${where} FILTER(isIRI(?s)) }`);
  let i = text.indexOf('\n') + 1;
  while (i > 0 && i < text.length) {
    let e = text.indexOf('\n', i);
    if (e < 0) e = text.length;
    const line = text.slice(i, e);
    i = e + 1;
    const t1 = line.indexOf('\t');
    const t2 = line.indexOf('\t', t1 + 1);
    if (t1 < 0 || t2 < 0) continue;
    const g = tsvTerm(line.slice(0, t1));
    const s = tsvTerm(line.slice(t1 + 1, t2));
    const o = tsvTerm(line.slice(t2 + 1));
    if (!g || !s || s[1] || !o) continue;
    each(g[0], s[0], o[0], o[1]);
  }
}

const RDF_TYPE = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#type';

/** {@link flat} for a graph that streams statements (RuleGraph.scan): the same rows, IRI subjects only. */
function scanned(graph: RuleGraph, predicates: string[], each: (group: string, subject: string, object: string, literal: boolean) => void): void {
  graph.scan!(predicates, (p, s, o) => {
    if (s.charCodeAt(0) !== 60) return;
    const obj = tsvTerm(o);
    if (obj) each(p.slice(1, -1), s.slice(1, -1), obj[0], obj[1]);
  });
}

/**
 * The facts of every content of the given kinds, in two queries whatever the number of contents: the
 * contents by kind, then one scan of the predicates planning reads (joined here, not in SPARQL: flat scans
 * are several times faster in the store than the same joins). A content typed with two kinds' classes counts
 * as the first kind in `kinds` order.
 */
export function fetchFacts(graph: RuleGraph, kinds: readonly MediaKind[]): Map<string, ContentFacts> {
  const out = new Map<string, ContentFacts>();
  if (kinds.length === 0) return out;
  const byClass = new Map<string, MediaKind>(kinds.map((k) => [KIND_CLASS[k], k]));
  const rank = (k: MediaKind): number => kinds.indexOf(k);
  const typed = (type: string, c: string) => {
    const kind = byClass.get(type);
    if (!kind) return;
    const seen = out.get(c);
    if (seen && rank(seen.kind) <= rank(kind)) return;
    out.set(c, { iri: c, kind, values: emptyValues(), files: [] });
  };
  if (graph.scan) scanned(graph, [RDF_TYPE], (_, s, o) => typed(o, s));
  else flat(graph, 'type', `VALUES ?type { ${kindValues(kinds)} } ?s a ?type . BIND("" AS ?o)`, typed);
  if (out.size === 0) return out;
  const preds = Object.values(P).map((p) => `<${p}>`).join(' ');
  const nameOf = new Map<string, keyof typeof P>(Object.entries(P).map(([k, v]) => [v, k as keyof typeof P]));
  // One pass over the records: content facts go straight in; links are resolved after the pass.
  const text = new Map<keyof typeof P, Map<string, string[]>>(); // non-content subjects' literals
  const links: Array<[ContentFacts, 'creator' | 'place' | 'album', string]> = [];
  const albumArtists = new Map<string, string[]>();
  const files: Array<[string, ContentFacts]> = [];
  // Copies on devices and targets (a device's catalog graph): not the content's files (never a name, a format or a source).
  const copies = new Set<string>();
  const add = (m: Map<string, string[]>, k: string, v: string) => {
    const list = m.get(k);
    if (list) list.push(v);
    else m.set(k, [v]);
  };
  let lastP = '';
  let name: keyof typeof P | undefined;
  let other = new Map<string, string[]>();
  const fact = (p: string, subject: string, o: string, lit: boolean) => {
    if (p !== lastP) {
      lastP = p;
      name = nameOf.get(p);
      if (name && !text.has(name)) text.set(name, new Map());
      if (name) other = text.get(name)!;
    }
    if (!name) return;
    const f = out.get(subject);
    if (name === 'interpretedAs') {
      const c = lit ? undefined : out.get(o);
      if (c) files.push([subject, c]);
    } else if (name === 'onDevice') {
      copies.add(subject);
    } else if (name === 'albumArtist') {
      if (!lit) add(albumArtists, subject, o);
    } else if (f && (name === 'creator' || name === 'place' || name === 'album')) {
      if (lit) f.values[name].push(o);
      else links.push([f, name, o]);
    } else if (f && lit && name in f.values) {
      f.values[name as FactName].push(o);
    } else if (!f && lit) {
      add(other, subject, o);
    }
  };
  if (graph.scan) scanned(graph, Object.values(P), fact);
  else flat(graph, 'p', `VALUES ?p { ${preds} } ?s ?p ?o .`, fact);
  const lits = (name: keyof typeof P, s: string): string[] => text.get(name)?.get(s) ?? [];
  resolveLinks(links, albumArtists, lits);
  normaliseValues(out.values());
  attachFiles(files, copies, lits);
  return out;
}

type Lits = (name: keyof typeof P, s: string) => string[];

/** Creators, places and albums linked by IRI get their names. */
function resolveLinks(links: ReadonlyArray<[ContentFacts, 'creator' | 'place' | 'album', string]>, albumArtists: ReadonlyMap<string, string[]>, lits: Lits): void {
  for (const [f, kind, o] of links) {
    if (kind === 'creator') f.values.creator.push(...lits('name', o));
    else if (kind === 'place') f.values.place.push(...lits('label', o));
    else {
      f.values.album.push(...lits('title', o));
      for (const person of albumArtists.get(o) ?? []) f.values.albumArtist.push(...lits('name', person));
    }
  }
}

/** Values in NFC; several values of one fact deduplicated and sorted. */
function normaliseValues(all: Iterable<ContentFacts>): void {
  for (const facts of all) {
    const v = facts.values;
    for (const name of FACTS) {
      const list = v[name];
      if (list.length === 1) list[0] = list[0].normalize('NFC');
      else if (list.length > 1) v[name] = [...new Set(list.map((x) => x.normalize('NFC')))].sort();
    }
  }
}

/** Each content's files (not its copies on devices), with size, format and path, in path order. */
function attachFiles(files: ReadonlyArray<[string, ContentFacts]>, copies: ReadonlySet<string>, lits: Lits): void {
  const seenFiles = new Set<string>();
  const touched = new Set<ContentFacts>();
  for (const [file, facts] of files) {
    if (seenFiles.has(`${facts.iri} ${file}`) || copies.has(file)) continue;
    seenFiles.add(`${facts.iri} ${file}`);
    touched.add(facts);
    const size = Number(lits('fileSize', file)[0]);
    const path = lits('relativePath', file).sort()[0];
    facts.files.push({
      iri: file,
      mime: lits('mime', file).sort()[0],
      size: Number.isFinite(size) ? size : undefined,
      path: path !== undefined ? path.normalize('NFC') : pathOfIri(file),
    });
  }
  for (const facts of touched) {
    facts.files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : a.iri < b.iri ? -1 : a.iri > b.iri ? 1 : 0));
  }
}

function pathOfIri(iri: string): string {
  try {
    return decodeURIComponent(new URL(iri).pathname).normalize('NFC');
  } catch {
    return iri;
  }
}

function emptyValues(): Record<FactName, string[]> {
  return {
    title: [], creator: [], subject: [], genre: [], date: [], language: [], track: [],
    disc: [], album: [], albumArtist: [], series: [], seriesIndex: [], place: [], mime: [],
  };
}

/** Contents of `kind` that satisfy a rule's `ss:where` pattern: one query per such rule. */
export function whereMatches(graph: RuleGraph, kind: MediaKind, where: string): Set<string> {
  const rows = select(graph, `SELECT DISTINCT ?content WHERE { ?content a <${KIND_CLASS[kind]}> . ${where} }`);
  return new Set(rows.map((r) => r.content?.value).filter((v): v is string => v !== undefined));
}
