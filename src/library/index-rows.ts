// The indexer's pure parts: a batch's rows (content quads checked per file, file-quad differences) and the store's answers read back.
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import n3 from 'n3';
import type { NamedNode, Quad, Term } from '@rdfjs/types';
import type { Change } from '../graph/types.js';
import { ID } from '../graph/vocab.js';
import type { DescribeResult } from './describe.js';
import { storableQuads, type Share } from './quads.js';

/** A described file's content quads, in graph `g`; none and the reason when the text does not parse or the store would refuse a quad. */
export function contentQuads(g: NamedNode, result: DescribeResult): { quads: Quad[]; problem?: string } {
  let parsed: Quad[];
  try {
    parsed = new n3.Parser({ format: 'N-Quads' }).parse(result.nquads);
  } catch (err) {
    return { quads: [], problem: `its description could not be stored (${(err as Error).message}); only its file facts are kept` };
  }
  const quads = parsed.map((q) => n3.DataFactory.quad(q.subject, q.predicate, q.object, g));
  const { notes } = storableQuads(quads);
  if (notes.length === 0) return { quads };
  return { quads: [], problem: `its description could not be stored (${notes[0]}); only its file facts are kept` };
}

export function diffInto(changes: Change[], old: Quad[], next: Quad[]): void {
  const oldKeys = new Set(old.map(key));
  const nextKeys = new Set(next.map(key));
  for (const q of old) if (!nextKeys.has(key(q))) changes.push({ op: 'D', quad: q });
  for (const q of next) if (!oldKeys.has(key(q))) changes.push({ op: 'A', quad: q });
}

export function key(q: Quad): string {
  const o = q.object;
  const obj = o.termType === 'Literal' ? `"${o.value}"@${o.language}^^${o.datatype.value}` : `<${o.value}>`;
  return `${q.subject.value} ${q.predicate.value} ${obj}`;
}

export function isDerived(t: Term): boolean {
  return t.termType === 'NamedNode' && t.value.startsWith(ID.iri) && !t.value.startsWith(ID.iri + 'share/');
}

/** The lexical value of a literal as SPARQL TSV writes it: `"v"`, `"v"^^<dt>`, or a bare number. */
export function literalValue(cell: string): string {
  if (!cell.startsWith('"')) return cell;
  return cell.slice(1, cell.lastIndexOf('"'));
}

export function relPathOf(share: Share, p: string): string {
  return p.slice(share.root.length).replace(/^[\\/]+/, '').split(/[\\/]/).join('/').normalize('NFC');
}

/** The path of a file IRI written by pathToFileURL: percent-decoding on POSIX (fileURLToPath costs ~5 µs a call). */
export function pathOfIri(iri: string): string {
  if (path.sep === '/' && iri.startsWith('file:///')) {
    try {
      return decodeURIComponent(iri.slice(7));
    } catch {
      // not valid percent-encoding: let the URL parser say what it is
    }
  }
  return fileURLToPath(iri);
}

