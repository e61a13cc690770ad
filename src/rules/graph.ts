// What the rules read from the graph: a few SPARQL queries fetch every fact planning needs, for all contents.
import type { Term } from '@rdfjs/types';
import { NFO, NMM, SS, sparqlPrefixes } from '../graph/vocab.js';
import type { MediaKind } from './types.js';

/** The slice of the store rules need: SPARQL SELECT over the union of all graphs, rows as variable → term. */
export interface RuleGraph {
  select(sparql: string): Array<Record<string, Term>>;
}

/** The class each kind of media is typed with in the graph. */
export const KIND_CLASS: Record<MediaKind, string> = {
  ebook: SS('EBook').value,
  music: NMM('MusicPiece').value,
  photo: NFO('Image').value,
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

/** Run a query, naming the query in the error if the graph rejects it. */
function select(graph: RuleGraph, query: string): Array<Record<string, Term>> {
  return graph.select(`${sparqlPrefixes()}\n${query}`);
}

function kindValues(kinds: readonly MediaKind[]): string {
  return kinds.map((k) => `<${KIND_CLASS[k]}>`).join(' ');
}

/**
 * The facts of every content of the given kinds: three queries whatever the number of contents (kinds,
 * literal and linked values, files). A content typed with two kinds' classes counts as the first kind in
 * `kinds` order.
 */
export function fetchFacts(graph: RuleGraph, kinds: readonly MediaKind[]): Map<string, ContentFacts> {
  const out = new Map<string, ContentFacts>();
  if (kinds.length === 0) return out;
  const byClass = new Map<string, MediaKind>(kinds.map((k) => [KIND_CLASS[k], k]));
  const rank = (k: MediaKind): number => kinds.indexOf(k);
  for (const row of select(graph, `SELECT ?c ?type WHERE { VALUES ?type { ${kindValues(kinds)} } ?c a ?type }`)) {
    const c = row.c;
    const kind = byClass.get(row.type?.value ?? '');
    if (!c || c.termType !== 'NamedNode' || !kind) continue;
    const seen = out.get(c.value);
    if (seen && rank(seen.kind) <= rank(kind)) continue;
    out.set(c.value, { iri: c.value, kind, values: emptyValues(), files: [] });
  }
  if (out.size === 0) return out;
  const sets = new Map<string, Record<FactName, Set<string>>>();
  const factsQuery = `SELECT ?c ?f ?o WHERE {
  VALUES ?type { ${kindValues(kinds)} }
  ?c a ?type .
  {
    VALUES (?p ?f) {
      (dcterms:title "title") (dcterms:creator "creator") (dcterms:subject "subject") (nfo:genre "genre")
      (dcterms:date "date") (dcterms:language "language") (nmm:trackNumber "track") (nmm:setNumber "disc")
      (ss:series "series") (ss:seriesIndex "seriesIndex") (dcterms:spatial "place") (nie:mimeType "mime")
    }
    ?c ?p ?o . FILTER(isLiteral(?o))
  }
  UNION { ?c dcterms:creator ?x . ?x foaf:name ?o . BIND("creator" AS ?f) }
  UNION { ?c nmm:musicAlbum ?a . ?a dcterms:title ?o . BIND("album" AS ?f) }
  UNION { ?c nmm:musicAlbum ?a . ?a nmm:albumArtist ?x . ?x foaf:name ?o . BIND("albumArtist" AS ?f) }
  UNION { ?c dcterms:spatial ?x . ?x rdfs:label ?o . BIND("place" AS ?f) }
}`;
  for (const row of select(graph, factsQuery)) {
    const c = row.c?.value;
    const f = row.f?.value as FactName | undefined;
    const o = row.o;
    if (!c || !f || !o || o.termType !== 'Literal' || !out.has(c)) continue;
    let rec = sets.get(c);
    if (!rec) sets.set(c, (rec = emptySets()));
    rec[f]?.add(o.value.normalize('NFC'));
  }
  for (const [c, rec] of sets) {
    const facts = out.get(c)!;
    for (const name of FACTS) facts.values[name] = [...rec[name]].sort();
  }
  const filesQuery = `SELECT ?c ?file ?mime ?size ?path WHERE {
  VALUES ?type { ${kindValues(kinds)} }
  ?c a ?type .
  ?file nie:interpretedAs ?c .
  OPTIONAL { ?file nie:mimeType ?mime }
  OPTIONAL { ?file nfo:fileSize ?size }
  OPTIONAL { ?file ss:relativePath ?path }
}`;
  const seenFiles = new Set<string>();
  for (const row of select(graph, filesQuery)) {
    const c = row.c?.value;
    const file = row.file?.value;
    if (!c || !file || !out.has(c)) continue;
    const key = `${c} ${file}`;
    if (seenFiles.has(key)) continue;
    seenFiles.add(key);
    const size = row.size ? Number(row.size.value) : undefined;
    out.get(c)!.files.push({
      iri: file,
      mime: row.mime?.value,
      size: size !== undefined && Number.isFinite(size) ? size : undefined,
      path: row.path?.value.normalize('NFC') ?? pathOfIri(file),
    });
  }
  for (const facts of out.values()) facts.files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : a.iri < b.iri ? -1 : 1));
  return out;
}

function pathOfIri(iri: string): string {
  try {
    return decodeURIComponent(new URL(iri).pathname).normalize('NFC');
  } catch {
    return iri;
  }
}

function emptyValues(): Record<FactName, string[]> {
  return Object.fromEntries(FACTS.map((f) => [f, []])) as unknown as Record<FactName, string[]>;
}

function emptySets(): Record<FactName, Set<string>> {
  return Object.fromEntries(FACTS.map((f) => [f, new Set<string>()])) as unknown as Record<FactName, Set<string>>;
}

/** Contents of `kind` that satisfy a rule's `ss:where` pattern: one query per such rule. */
export function whereMatches(graph: RuleGraph, kind: MediaKind, where: string): Set<string> {
  const rows = select(graph, `SELECT DISTINCT ?content WHERE { ?content a <${KIND_CLASS[kind]}> . ${where} }`);
  return new Set(rows.map((r) => r.content?.value).filter((v): v is string => v !== undefined));
}
