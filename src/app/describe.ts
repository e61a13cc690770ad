// A file's description as the CLI prints it: the statements of the file, its content and what they name, serialised.
import n3 from 'n3';
import type { Quad, Term } from '@rdfjs/types';
import { PREFIXES } from '../graph/index.js';

type Matcher = { match: (s?: Term | null, p?: Term | null, o?: Term | null, g?: Term | null) => Quad[] };

/** The file's statements, its content's, and those of the resources they name (people, albums), from every graph. */
export function describeQuads(store: Matcher, iri: Term): Quad[] {
  const out: Quad[] = [];
  const done = new Set<string>();
  const queue: Term[] = [iri];
  while (queue.length > 0) {
    const s = queue.shift()!;
    if (done.has(s.value)) continue;
    done.add(s.value);
    for (const q of store.match(s, null, null, null)) {
      out.push(q);
      const o = q.object;
      if (o.termType === 'NamedNode' && (o.value.startsWith('urn:sha256:') || o.value.startsWith('https://w3id.org/semsync/id/'))) {
        if (!o.value.includes('/id/share/') && !o.value.includes('/id/category/')) queue.push(o);
      }
    }
  }
  return out;
}

export function serializeQuads(quads: Quad[], format: 'turtle' | 'ntriples' | 'nquads'): string {
  const name = { turtle: 'Turtle', ntriples: 'N-Triples', nquads: 'N-Quads' }[format];
  const triplesOnly = format !== 'nquads';
  const seen = new Set<string>();
  const unique: Quad[] = [];
  for (const q of quads) {
    const t = triplesOnly ? n3.DataFactory.quad(q.subject, q.predicate, q.object) : q;
    const k = `${t.subject.value}\u0000${t.predicate.value}\u0000${JSON.stringify(t.object)}\u0000${t.graph.value}`;
    if (seen.has(k)) continue;
    seen.add(k);
    unique.push(t);
  }
  return writeQuads(unique, name);
}

/** Serialises with n3 (prefix declarations included for Turtle); n3's writer finishes synchronously for strings. */
export function writeQuads(quads: Quad[], format: string): string {
  const writer = new n3.Writer({ format, prefixes: format === 'Turtle' ? PREFIXES : undefined });
  writer.addQuads(quads);
  let text = '';
  writer.end((err, result) => {
    if (err) throw err;
    text = result;
  });
  return text;
}

/** A term as a person reads it: IRIs bare, literals as their text. */
export function termText(t: Term | undefined): string {
  if (!t) return '';
  if (t.termType === 'BlankNode') return `_:${t.value}`;
  return t.value;
}
