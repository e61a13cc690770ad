// Test helpers for rules: an oxigraph-backed RuleGraph, graph builders in the extractors' shape, simulated execution.
import oxigraph from 'oxigraph';
import type { Term } from '@rdfjs/types';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { albumIri, contentIri, personIri } from '../../src/graph/vocab.js';
import type { RuleGraph } from '../../src/rules/index.js';
import type { DeviceEntry, DeviceProfile, Operation } from '../../src/rules/types.js';

export function graphOf(turtle: string): RuleGraph & { store: oxigraph.Store } {
  const store = new oxigraph.Store();
  if (turtle.trim()) store.load(turtle, { format: 'text/turtle', to_graph_name: oxigraph.namedNode('urn:test:g') });
  return {
    store,
    select(sparql: string) {
      const rows = store.query(sparql, { use_default_graph_as_union: true }) as Map<string, Term>[];
      return rows.map((m) => Object.fromEntries(m) as Record<string, Term>);
    },
    selectTsv(sparql: string) {
      return store.query(sparql, { use_default_graph_as_union: true, results_format: 'text/tab-separated-values' }) as string;
    },
  };
}

export const PREFIXES = `
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix geo: <http://www.w3.org/2003/01/geo/wgs84_pos#> .
@prefix nie: <http://www.semanticdesktop.org/ontologies/2007/01/19/nie#> .
@prefix nfo: <http://www.semanticdesktop.org/ontologies/2007/03/22/nfo#> .
@prefix nmm: <http://www.semanticdesktop.org/ontologies/2009/02/19/nmm#> .
@prefix ss: <https://w3id.org/semsync/ns#> .
`;

export function hash(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

const lit = (s: string): string => JSON.stringify(s);

function file(c: string, path: string, mime: string, size: number): string {
  const iri = `file:///home/u/share/${path.split('/').map(encodeURIComponent).join('/')}`;
  return `<${iri}> a nfo:FileDataObject ; nie:interpretedAs <${c}> ; nie:mimeType ${lit(mime)} ;
  nfo:fileSize ${size} ; ss:relativePath ${lit(path)} .\n`;
}

export interface Book {
  id: string;
  title?: string;
  creators?: string[];
  subjects?: string[];
  path?: string;
  mime?: string;
}

export function book(b: Book): { iri: string; ttl: string } {
  const c = contentIri(hash('book:' + b.id)).value;
  let ttl = `<${c}> a ss:EBook`;
  if (b.title !== undefined) ttl += ` ; dcterms:title ${lit(b.title)}`;
  for (const s of b.subjects ?? []) ttl += ` ; dcterms:subject ${lit(s)}`;
  for (const name of b.creators ?? []) ttl += ` ; dcterms:creator <${personIri(name).value}>`;
  ttl += ' .\n';
  for (const name of b.creators ?? []) ttl += `<${personIri(name).value}> a foaf:Person ; foaf:name ${lit(name)} .\n`;
  ttl += file(c, b.path ?? `books/${b.id}.epub`, b.mime ?? 'application/epub+zip', 1000);
  return { iri: c, ttl };
}

export interface Track {
  id: string;
  title?: string;
  artist?: string;
  album?: string;
  albumArtist?: string;
  track?: number;
  genres?: string[];
  path?: string;
  mime?: string;
}

export function track(t: Track): { iri: string; ttl: string } {
  const c = contentIri(hash('track:' + t.id)).value;
  let ttl = `<${c}> a nmm:MusicPiece`;
  if (t.title !== undefined) ttl += ` ; dcterms:title ${lit(t.title)}`;
  if (t.track !== undefined) ttl += ` ; nmm:trackNumber ${t.track}`;
  for (const g of t.genres ?? []) ttl += ` ; nfo:genre ${lit(g)}`;
  if (t.artist) ttl += ` ; dcterms:creator <${personIri(t.artist).value}>`;
  const album = t.album ? albumIri(t.albumArtist ?? t.artist ?? '', t.album).value : undefined;
  if (album) ttl += ` ; nmm:musicAlbum <${album}>`;
  ttl += ' .\n';
  if (t.artist) ttl += `<${personIri(t.artist).value}> a foaf:Person ; foaf:name ${lit(t.artist)} .\n`;
  if (album) {
    ttl += `<${album}> a nmm:MusicAlbum ; dcterms:title ${lit(t.album!)}`;
    if (t.albumArtist) ttl += ` ; nmm:albumArtist <${personIri(t.albumArtist).value}>`;
    ttl += ' .\n';
    if (t.albumArtist) ttl += `<${personIri(t.albumArtist).value}> a foaf:Person ; foaf:name ${lit(t.albumArtist)} .\n`;
  }
  ttl += file(c, t.path ?? `music/${t.id}.mp3`, t.mime ?? 'audio/mpeg', 5000);
  return { iri: c, ttl };
}

export function photo(p: { id: string; date?: string; place?: string; path?: string }): { iri: string; ttl: string } {
  const c = contentIri(hash('photo:' + p.id)).value;
  let ttl = `<${c}> a nfo:Image`;
  if (p.date) ttl += ` ; dcterms:date "${p.date}"^^xsd:dateTime`;
  if (p.place) ttl += ` ; dcterms:spatial ${lit(p.place)}`;
  ttl += ' ; geo:lat 48.85 ; geo:long 2.35 .\n';
  ttl += file(c, p.path ?? `DCIM/${p.id}.JPG`, 'image/jpeg', 3000);
  return { iri: c, ttl };
}

export function graphWith(...items: Array<{ ttl: string }>): ReturnType<typeof graphOf> {
  return graphOf(PREFIXES + items.map((i) => i.ttl).join(''));
}

export function profile(p: Partial<DeviceProfile> = {}): DeviceProfile {
  return {
    id: 'dev-1',
    name: 'Test device',
    accepts: ['ebook', 'music', 'photo'],
    formats: {},
    folders: {},
    filesystem: 'vfat',
    source: 'test',
    ...p,
  };
}

/** Apply a plan to a listing the way an executor would: copies first, then removes. */
export function execute(listing: DeviceEntry[], ops: Operation[]): DeviceEntry[] {
  const out = new Map(listing.map((e) => [e.path, e]));
  const keys = new Set(listing.map((e) => e.path.toLowerCase()));
  for (const op of ops) {
    if (op.kind !== 'copy') continue;
    if (keys.has(op.target.toLowerCase())) throw new Error(`plan overwrites ${op.target}`);
    keys.add(op.target.toLowerCase());
    out.set(op.target, { path: op.target, size: op.size, content: op.content, placedBy: op.rule });
  }
  for (const op of ops) if (op.kind === 'remove') out.delete(op.target);
  return [...out.values()];
}

/** Write rules files into a fresh folder; returns their paths in name order. */
export function ruleFiles(files: Record<string, string>): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'semsync-rules-'));
  return Object.entries(files)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([name, text]) => {
      const p = join(dir, name);
      writeFileSync(p, text);
      return p;
    });
}
