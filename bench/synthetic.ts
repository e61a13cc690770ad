// A synthetic library in the query contract's shape: N ebooks, each a file and a content resource (~11 quads each).
import { createWriteStream } from 'node:fs';
import { mkdir, rename, stat } from 'node:fs/promises';
import path from 'node:path';
import { once } from 'node:events';
import { dataDir } from './lib.js';

const NS = {
  rdf: 'http://www.w3.org/1999/02/22-rdf-syntax-ns#',
  xsd: 'http://www.w3.org/2001/XMLSchema#',
  dcterms: 'http://purl.org/dc/terms/',
  foaf: 'http://xmlns.com/foaf/0.1/',
  nie: 'http://www.semanticdesktop.org/ontologies/2007/01/19/nie#',
  nfo: 'http://www.semanticdesktop.org/ontologies/2007/03/22/nfo#',
  ss: 'https://w3id.org/semsync/ns#',
  rdfs: 'http://www.w3.org/2000/01/rdf-schema#',
  id: 'https://w3id.org/semsync/id/',
};

export const CATEGORIES = ['SciFi', 'Fantasy', 'Mystery', 'Romance', 'Horror', 'Thriller', 'Biography', 'History', 'Science', 'Poetry', 'Children', 'Fiction'];

/** Deterministic pseudo-random numbers (mulberry32). */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a |= 0;
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Writes (once) an N-Quads file of `files` books into one share graph in the bench's data folder; its path and quad count. */
export async function syntheticLibrary(files: number, graph = `${NS.id}graph/bench/share/library`): Promise<{ file: string; quads: number }> {
  await mkdir(dataDir, { recursive: true });
  const file = path.join(dataDir, `library-${files}.nq`);
  if (await stat(file).catch(() => undefined)) return { file, quads: syntheticQuadCount(files) };
  // written under a temporary name first, so a run stopped mid-way does not leave a short file that looks complete
  const quads = await writeSyntheticLibrary(`${file}.part`, files, graph);
  await rename(`${file}.part`, file);
  return { file, quads };
}

const QUADS_PER_FILE = 11;
/** Every synthetic book's nfo:fileLastModified. */
export const SYNTHETIC_MTIME = '2024-01-01T00:00:00.000Z';
const peopleFor = (files: number) => Math.max(10, Math.floor(files / 20));

/** How many statements the library of `files` books holds. */
export function syntheticQuadCount(files: number): number {
  return files * QUADS_PER_FILE + peopleFor(files) * 2 + CATEGORIES.length * 2;
}

/**
 * Writes the synthetic library of `files` books into `graph` as N-Quads at `file` (no blank nodes, so sorted N-Quads
 * are canonical); returns the statement count. Deterministic: the same arguments write the same bytes. Book i is the
 * file `${fileBase}book-i.epub`, of 100000 + i bytes, last modified at SYNTHETIC_MTIME.
 */
export async function writeSyntheticLibrary(file: string, files: number, graph: string, fileBase = 'file:///library/'): Promise<number> {
  const people = peopleFor(files);
  const out = createWriteStream(file);
  const g = `<${graph}>`;
  const random = rng(42);
  const write = async (s: string) => {
    if (!out.write(s)) await once(out, 'drain');
  };
  for (let c = 0; c < CATEGORIES.length; c++) {
    const cat = `<${NS.id}category/${CATEGORIES[c]}>`;
    await write(`${cat} <${NS.rdf}type> <${NS.ss}Category> ${g} .\n${cat} <${NS.rdfs}label> "${CATEGORIES[c]}" ${g} .\n`);
  }
  for (let p = 0; p < people; p++) {
    const person = `<${NS.id}person/author%20${p}>`;
    await write(`${person} <${NS.rdf}type> <${NS.foaf}Person> ${g} .\n${person} <${NS.foaf}name> "Author ${p}" ${g} .\n`);
  }
  for (let i = 0; i < files; i++) await write(book(i, random, people, g, fileBase));
  out.end();
  await once(out, 'finish');
  return syntheticQuadCount(files);
}

function book(i: number, random: () => number, people: number, g: string, fileBase: string): string {
  const hex = i.toString(16).padStart(64, '0');
  const content = `<urn:sha256:${hex}>`;
  const f = `<${fileBase}book-${i}.epub>`;
  const year = 1950 + Math.floor(random() * 75);
  const month = String(1 + Math.floor(random() * 12)).padStart(2, '0');
  const cat = CATEGORIES[Math.floor(random() * CATEGORIES.length)];
  const author = Math.floor(random() * people);
  return (
    `${f} <${NS.rdf}type> <${NS.nfo}FileDataObject> ${g} .\n` +
    `${f} <${NS.nfo}fileSize> "${100000 + i}"^^<${NS.xsd}integer> ${g} .\n` +
    `${f} <${NS.nfo}fileLastModified> "${SYNTHETIC_MTIME}"^^<${NS.xsd}dateTime> ${g} .\n` +
    `${f} <${NS.nie}mimeType> "application/epub+zip" ${g} .\n` +
    `${f} <${NS.nie}interpretedAs> ${content} ${g} .\n` +
    `${content} <${NS.rdf}type> <${NS.ss}EBook> ${g} .\n` +
    `${content} <${NS.dcterms}title> "Title ${i}" ${g} .\n` +
    `${content} <${NS.dcterms}creator> <${NS.id}person/author%20${author}> ${g} .\n` +
    `${content} <${NS.dcterms}subject> "${cat} subject" ${g} .\n` +
    `${content} <${NS.ss}category> <${NS.id}category/${cat}> ${g} .\n` +
    `${content} <${NS.dcterms}date> "${year}-${month}-01"^^<${NS.xsd}date> ${g} .\n`
  );
}

export const QUERIES: Record<string, string> = {
  'lookup by title': `SELECT ?file WHERE { ?c <${NS.dcterms}title> "Title 4242" . ?file <${NS.nie}interpretedAs> ?c }`,
  'books by a creator in a category': `SELECT ?title WHERE { ?p <${NS.foaf}name> "Author 42" . ?c <${NS.dcterms}creator> ?p ; <${NS.ss}category> ?cat ; <${NS.dcterms}title> ?title . ?cat <${NS.rdfs}label> "SciFi" }`,
  'count per category': `SELECT ?label (COUNT(?c) AS ?n) WHERE { ?c <${NS.ss}category> ?cat . ?cat <${NS.rdfs}label> ?label } GROUP BY ?label`,
  'date range': `SELECT ?c ?d WHERE { ?c <${NS.dcterms}date> ?d FILTER(?d >= "2001-01-01"^^<${NS.xsd}date> && ?d < "2002-01-01"^^<${NS.xsd}date>) }`,
};
