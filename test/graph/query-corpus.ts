// A varied corpus and queries over it, for comparing a store's answers with another's (reach.test.ts, paged.test.ts).
import n3 from 'n3';
import type { Quad } from '@rdfjs/types';
import { rng } from '../helpers/rng.js';

const { namedNode, literal, quad } = n3.DataFactory;
export const DC = 'http://purl.org/dc/terms/';
export const EX = 'http://ex.org/';
export const XSD = 'http://www.w3.org/2001/XMLSchema#';

/** A varied store: literals that look like other terms, quotes, non-ASCII, typed and tagged values, several graphs. */
export function corpus(seed: number, n: number): Quad[] {
  const random = rng(seed);
  const pick = <T>(xs: T[]) => xs[Math.floor(random() * xs.length)];
  const preds = ['title', 'creator', 'subject', 'date', 'identifier'].map((p) => namedNode(DC + p));
  const graphs = [0, 1, 2].map((g) => namedNode(`https://w3id.org/semsync/id/graph/node${g}/share`));
  const values = () =>
    pick([
      literal(`Title ${Math.floor(random() * 20)}`),
      literal(`x <${DC}title> "Title 3" y`),
      literal('Café ✓'),
      literal('say "hi"\nthere'),
      literal(`${Math.floor(random() * 5)}`, namedNode(`${XSD}integer`)),
      literal('Title 3', 'en'),
      namedNode(`${EX}thing/${Math.floor(random() * 20)}`),
    ]);
  const out: Quad[] = [];
  for (let i = 0; i < n; i++) out.push(quad(namedNode(`${EX}thing/${Math.floor(random() * 20)}`), pick(preds), values(), pick(graphs)));
  return out;
}

export const T = (n: number) => `<${EX}thing/${n}>`;
export const QUERIES = [
  // one basic graph pattern: its triples narrow each other (semi-join), over IRIs and literals
  `SELECT ?s ?o WHERE { ?s <${DC}creator> ${T(4)} . ?s <${DC}title> ?o }`,
  `SELECT * WHERE { ?a <${DC}title> "Title 3" . ?a <${DC}creator> ?b . ?b <${DC}subject> ?c }`,
  `SELECT ?s WHERE { ?s <${DC}creator> ?x . ?x <${DC}title> "Title 5" FILTER(?s != ${T(1)}) }`,
  `SELECT ?s WHERE { ?s <${DC}creator> [ <${DC}title> "Title 2" ] }`,
  `SELECT ?s WHERE { ?s <${DC}creator> ?s }`,
  `SELECT ?a ?b WHERE { ?a <${DC}title> ?t . ?b <${DC}subject> ?t . ?a <${DC}creator> ${T(3)} }`,
  `SELECT ?s ?c WHERE { ?s <${DC}identifier> 3 . ?s <${DC}creator> ?c }`,
  `SELECT ?o WHERE { ?s <${DC}title> "Fresh" . ?s <${DC}creator> ?o }`,
  `SELECT ?o WHERE { ?s <${DC}title> "Title 4" . ?s <${DC}identifier> ?o OPTIONAL { ?s <${DC}date> ?d } }`,
  `SELECT ?s WHERE { ?s <${DC}title> "Title 3" }`,
  `SELECT ?s ?o WHERE { ?s <${DC}title> "Title 3" . ?s <${DC}creator> ?o }`,
  `SELECT ?o WHERE { <${EX}thing/3> <${DC}subject> ?o }`,
  `SELECT ?s WHERE { ?s <${DC}creator> <${EX}thing/4> OPTIONAL { ?s <${DC}date> ?d } }`,
  `SELECT (COUNT(*) AS ?n) WHERE { ?s <${DC}identifier> ?o }`,
  `SELECT ?s WHERE { ?s <${DC}title> "Café ✓" }`,
  `SELECT ?s WHERE { ?s <${DC}title> 3 }`,
  `SELECT ?s WHERE { ?s <${DC}title> "Title 3"@en }`,
  `ASK { ?s <${DC}creator>/<${DC}title> "Title 5" }`,
  `SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s <${DC}date> ?o } } GROUP BY ?g`,
  `SELECT ?s WHERE { ?s <${DC}title> ?t FILTER NOT EXISTS { ?s <${DC}subject> "Title 1" } }`,
  'SELECT ?s ?p WHERE { ?s ?p "Title 2" }',
];

/** Random joins of two or three patterns over the corpus's terms (seeded): constants and shared variables. */
export function randomQueries(seed: number, n: number): string[] {
  const random = rng(seed);
  const pick = <T>(xs: T[]) => xs[Math.floor(random() * xs.length)];
  const preds = ['title', 'creator', 'subject', 'identifier'].map((p) => `<${DC}${p}>`);
  const out: string[] = [];
  for (let q = 0; q < n; q++) {
    const vars = ['?a', '?b', '?c'];
    const term = (objectSide: boolean) =>
      random() < 0.6 ? pick(vars) : objectSide && random() < 0.5 ? `"Title ${Math.floor(random() * 20)}"` : T(Math.floor(random() * 20));
    const triples = Array.from({ length: 2 + Math.floor(random() * 2) }, () => `${term(false)} ${pick(preds)} ${term(true)}`);
    out.push(`SELECT * WHERE { ${triples.join(' . ')} }`);
  }
  return out;
}

/** CSV results with their rows sorted. */
export function canon(csv: string): string {
  const out = csv.trim().split(/\r?\n/);
  return [out[0], ...out.slice(1).sort()].join('\n');
}

