// Reads the W3C SPARQL test manifests (../shared/conformance/sparql): the query-evaluation tests and the protocol tests.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import n3 from 'n3';
import type { Quad, Term } from '@rdfjs/types';
import { repoRoot } from '../helpers/corpus.js';

export const SUITE = path.resolve(repoRoot, '..', 'shared', 'conformance', 'sparql');
export const MF = 'http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#';
export const QT = 'http://www.w3.org/2001/sw/DataAccess/tests/test-query#';
const RDF = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#';

export interface EvalTest {
  /** `folder/name`, e.g. `property-path/pp16`; `sparql10/cast/cast-int` for a folder both versions have. */
  id: string;
  name: string;
  /** Files (absolute paths). */
  query: string;
  data: string[];
  graphData: string[];
  result: string;
  /** mf:LaxCardinality: duplicates may be dropped (REDUCED). */
  lax: boolean;
}

/** A parsed Turtle file, with a lookup of objects by subject and predicate. */
export class Graph {
  readonly quads: Quad[];
  private readonly bySp = new Map<string, Term[]>();
  constructor(readonly file: string) {
    const text = fs.readFileSync(file, 'utf8');
    this.quads = new n3.Parser({ baseIRI: pathToFileURL(file).href, blankNodePrefix: '' }).parse(text);
    for (const q of this.quads) {
      const k = `${key(q.subject)} ${q.predicate.value}`;
      const list = this.bySp.get(k);
      if (list) list.push(q.object);
      else this.bySp.set(k, [q.object]);
    }
  }
  all(s: Term, p: string): Term[] {
    return this.bySp.get(`${key(s)} ${p}`) ?? [];
  }
  one(s: Term, p: string): Term | undefined {
    return this.all(s, p)[0];
  }
  /** The members of an RDF list. */
  list(head: Term | undefined): Term[] {
    const out: Term[] = [];
    for (let n = head; n && n.value !== `${RDF}nil`; n = this.one(n, `${RDF}rest`)) {
      const first = this.one(n, `${RDF}first`);
      if (first) out.push(first);
    }
    return out;
  }
  /** The manifest's entries, in order. */
  entries(): Term[] {
    const manifest = this.quads.find((q) => q.predicate.value === `${MF}entries`);
    return manifest ? this.list(manifest.object) : [];
  }
}

function key(t: Term): string {
  return `${t.termType}:${t.value}`;
}

const file = (t: Term): string => fileURLToPath(t.value);

/** The manifests holding query-evaluation tests: every folder of sparql10 and sparql11 but the protocol's. */
export function manifests(): string[] {
  const out: string[] = [];
  for (const version of ['sparql10', 'sparql11']) {
    for (const dir of fs.readdirSync(path.join(SUITE, version)).sort()) {
      const m = path.join(SUITE, version, dir, 'manifest.ttl');
      if (dir !== 'protocol' && fs.existsSync(m)) out.push(m);
    }
  }
  return out;
}

/** Every mf:QueryEvaluationTest the manifests list in their entries. */
export function evalTests(): EvalTest[] {
  const out: EvalTest[] = [];
  for (const m of manifests()) {
    const g = new Graph(m);
    const dir = path.dirname(m);
    const other = path.join(SUITE, path.basename(path.dirname(dir)) === 'sparql10' ? 'sparql11' : 'sparql10', path.basename(dir));
    const folder = fs.existsSync(other) ? path.relative(SUITE, dir) : path.basename(dir);
    for (const entry of g.entries()) {
      if (!g.all(entry, `${RDF}type`).some((t) => t.value === `${MF}QueryEvaluationTest`)) continue;
      const action = g.one(entry, `${MF}action`)!;
      const result = g.one(entry, `${MF}result`);
      if (!result) continue;
      out.push({
        id: `${folder.split(path.sep).join('/')}/${decodeURIComponent(entry.value.replace(/^.*#/, ''))}`,
        name: g.one(entry, `${MF}name`)?.value ?? '',
        query: file(g.one(action, `${QT}query`)!),
        data: g.all(action, `${QT}data`).map(file),
        graphData: g.all(action, `${QT}graphData`).map(file),
        result: file(result),
        lax: g.all(entry, `${MF}resultCardinality`).some((t) => t.value === `${MF}LaxCardinality`),
      });
    }
  }
  return out;
}
