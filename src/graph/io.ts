// Export and import formats: serialising the store (whole or one graph, or streamed), and reading RDF files as quads.
import fs from 'node:fs';
import { writeFileAtomic } from '../base/index.js';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import n3 from 'n3';
import oxigraph from 'oxigraph';
import type { Quad, Term } from '@rdfjs/types';
import { ID } from './vocab.js';
import { StoreError, ImportError } from './errors.js';
import { GRAPH_MIME } from './query.js';
import { dumpChunks } from './snapshot.js';
import { termToNQuads } from './terms.js';
import type { Change, ResultFormat } from './types.js';

const { namedNode, quad } = n3.DataFactory;

export type RdfFormat = 'nquads' | 'trig' | 'turtle' | 'ntriples' | 'jsonld';

const EXT: Record<string, RdfFormat> = {
  '.nq': 'nquads',
  '.nquads': 'nquads',
  '.trig': 'trig',
  '.ttl': 'turtle',
  '.turtle': 'turtle',
  '.nt': 'ntriples',
  '.jsonld': 'jsonld',
  '.json': 'jsonld',
};
const ALIASES: Record<string, RdfFormat> = { 'n-quads': 'nquads', 'n-triples': 'ntriples', 'json-ld': 'jsonld', ttl: 'turtle', nq: 'nquads', nt: 'ntriples' };
const N3_FORMAT: Record<Exclude<RdfFormat, 'jsonld'>, string> = { nquads: 'N-Quads', trig: 'TriG', turtle: 'Turtle', ntriples: 'N-Triples' };

/** The RDF format of a file: the one given (a name or an extension) or the one its extension says. */
export function rdfFormat(file: string, given?: string): RdfFormat {
  if (given) {
    const g = given.toLowerCase().replace(/^\./, '');
    const f = (EXT['.' + g] ?? ALIASES[g] ?? (g in N3_FORMAT || g === 'jsonld' ? g : undefined)) as RdfFormat | undefined;
    if (!f) throw new ImportError(`Unknown RDF format "${given}": use nquads, trig, turtle, ntriples or jsonld.`, file, 0);
    return f;
  }
  const f = EXT[path.extname(file).toLowerCase()];
  if (!f) throw new ImportError(`Cannot tell the RDF format of ${file} from its extension: name it .nq, .trig, .ttl, .nt or .jsonld, or give the format.`, file, 0);
  return f;
}

function graphTerm(iri: string): oxigraph.NamedNode | oxigraph.BlankNode {
  return iri.startsWith('_:') ? oxigraph.blankNode(iri.slice(2)) : oxigraph.namedNode(iri);
}

/** The store (or one graph, by IRI) as text chunks in `format`. Dataset formats keep graph names. */
export function* exportChunks(store: oxigraph.Store, format: ResultFormat, graph?: string): Generator<string> {
  const g = graph === undefined ? undefined : graphTerm(graph);
  switch (format) {
    case 'nquads':
      yield* dumpChunks(store, g ? [g] : undefined);
      return;
    case 'trig': {
      if (!g) {
        const def = store.dump({ format: 'text/turtle', from_graph_name: oxigraph.defaultGraph() });
        if (def) yield def;
      }
      const rows = g ? [g] : (store.query('SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }') as Map<string, oxigraph.Term>[]).map((r) => r.get('g') as oxigraph.NamedNode);
      for (const name of rows) {
        const body = store.dump({ format: 'text/turtle', from_graph_name: name });
        if (body) yield `${termToNQuads(name)} {\n${body}}\n`;
      }
      return;
    }
    case 'turtle':
    case 'ntriples': {
      const mime = GRAPH_MIME[format]!;
      if (g) yield store.dump({ format: mime, from_graph_name: g });
      else yield store.query('CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }', { results_format: mime, use_default_graph_as_union: true }) as string;
      return;
    }
    case 'jsonld': {
      if (!g) {
        yield store.dump({ format: 'application/ld+json' });
        return;
      }
      const tmp = new oxigraph.Store();
      tmp.load(store.dump({ format: 'application/n-triples', from_graph_name: g }), { format: 'application/n-triples', to_graph_name: g });
      yield tmp.dump({ format: 'application/ld+json' });
      return;
    }
    default:
      throw new StoreError(`Cannot export as ${format}: use nquads, trig, turtle, ntriples or jsonld.`);
  }
}

/** Write an export to a file, graph by graph (a temp file renamed into place when complete). */
export async function exportToFile(store: oxigraph.Store, file: string, format: ResultFormat, graph?: string): Promise<void> {
  return writeChunks(file, exportChunks(store, format, graph));
}

/** Write text chunks to a file atomically (removed on failure), readable by others as an export should be. */
export async function writeChunks(file: string, chunks: Iterable<string | Buffer>): Promise<void> {
  await writeFileAtomic(file, chunks, { mode: 0o644 });
}

/** The IRI a blank node of one import becomes (a skolem IRI: blank nodes do not sync). */
export function skolemIri(importId: string, label: string): string {
  return `${ID.iri}genid/${importId}/${encodeURIComponent(label)}`;
}

function skolemize(q: Quad, importId: string): Quad {
  const fix = <T extends Term>(t: T): T => (t.termType === 'BlankNode' ? (namedNode(skolemIri(importId, t.value)) as unknown as T) : t);
  if (q.subject.termType !== 'BlankNode' && q.object.termType !== 'BlankNode' && q.graph.termType !== 'BlankNode') return q;
  return quad(fix(q.subject), q.predicate, fix(q.object), fix(q.graph));
}

/**
 * The quads of an RDF file, streamed. Blank nodes become skolem IRIs unique to this read (see skolemIri),
 * so two imports never merge their blank nodes by accident.
 */
export async function* readQuads(file: string, format: RdfFormat): AsyncGenerator<Quad> {
  await fsp.access(file, fs.constants.R_OK).catch((e: Error) => {
    throw new ImportError(`Cannot read ${file}: ${e.message}`, file, 0);
  });
  const base = pathToFileURL(path.resolve(file)).href;
  const importId = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
  if (format === 'jsonld') {
    const tmp = new oxigraph.Store();
    try {
      tmp.load(await fsp.readFile(file, 'utf8'), { format: 'application/ld+json', base_iri: base });
    } catch (e) {
      throw new ImportError(`${file} is not valid JSON-LD: ${(e as Error).message}`, file, 0);
    }
    const text = tmp.dump({ format: 'application/n-quads' });
    for (const q of new n3.Parser({ format: 'N-Quads', blankNodePrefix: '' }).parse(text)) yield skolemize(q, importId);
    return;
  }
  const parser = new n3.StreamParser({ format: N3_FORMAT[format], baseIRI: base, blankNodePrefix: '' });
  const input = fs.createReadStream(file);
  input.on('error', (e) => parser.destroy(e));
  input.pipe(parser);
  try {
    for await (const q of parser as AsyncIterable<Quad>) yield skolemize(q, importId);
  } catch (e) {
    const msg = (e as Error).message;
    const line = /line (\d+)/.exec(msg);
    throw new ImportError(`${file} is not valid ${N3_FORMAT[format]}: ${msg}`, file, 0, line ? Number(line[1]) : undefined);
  } finally {
    input.destroy();
  }
}

export interface ImportOptions {
  format?: string;
  onProgress?: (quads: number) => void;
  /** Quads per patch (default 10,000). */
  batch?: number;
}

/**
 * Read an RDF file and hand its quads to `commit` in batches (default-graph triples moved to `target`). The whole
 * file is read once before anything is committed: a file rejected for bad syntax changes nothing (a second parse;
 * memory stays bounded). `commit` answers whether the batch changed anything.
 */
export async function importInBatches(file: string, opts: ImportOptions, target: Quad['graph'], commit: (batch: Change[]) => Promise<boolean>): Promise<{ quads: number; patches: number }> {
  const format = rdfFormat(file, opts.format);
  const size = opts.batch ?? 10_000;
  let quads = 0;
  let patches = 0;
  let batch: Change[] = [];
  for await (const _ of readQuads(file, format)); // eslint-disable-line @typescript-eslint/no-unused-vars
  const flush = async () => {
    try {
      if (await commit(batch)) patches++;
    } catch (e) {
      throw new ImportError(`Importing ${file} stopped after ${quads - batch.length} quads: ${(e as Error).message}`, file, quads - batch.length);
    }
    batch = [];
    opts.onProgress?.(quads);
  };
  try {
    for await (const q of readQuads(file, format)) {
      batch.push({ op: 'A', quad: q.graph.termType === 'DefaultGraph' ? quad(q.subject, q.predicate, q.object, target) : q });
      quads++;
      if (batch.length >= size) await flush();
    }
  } catch (e) {
    if (e instanceof ImportError && e.quads === 0 && quads > batch.length) {
      throw new ImportError(`${e.message} (${quads - batch.length} quads before it were imported)`, file, quads - batch.length, e.line);
    }
    throw e;
  }
  if (batch.length) await flush();
  return { quads, patches };
}
