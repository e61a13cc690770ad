// `semsync query`, `describe`, `export`, `import`: asking the graph and moving it in and out as RDF.
import { readFile, writeFile, rename } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import n3 from 'n3';
import type { Quad, Term } from '@rdfjs/types';
import type { ResultFormat } from '../graph/types.js';
import { PREFIXES } from '../graph/vocab.js';
import { fileIri } from '../library/index.js';
import { withNode, fail, globals } from './context.js';
import { table, termText } from './output.js';
import { progress } from './progress.js';

const QUERY_FORMATS = ['table', 'json', 'xml', 'csv', 'tsv', 'turtle', 'ntriples', 'nquads', 'trig', 'jsonld'] as const;
const EXPORT_FORMATS = ['nquads', 'trig', 'turtle', 'jsonld', 'ntriples'] as const;

export function registerGraphCommands(program: Command): void {
  program
    .command('query [sparql]')
    .description('run a SPARQL 1.1 query over everything this node knows (the union of all graphs; common prefixes predeclared)')
    .option('-f, --file <file>', 'read the query from a file')
    .option('--format <format>', `output: ${QUERY_FORMATS.join('|')} (default: table for SELECT, turtle for CONSTRUCT/DESCRIBE)`)
    .option('--json', 'the same as --format json')
    .action(async (text: string | undefined, opts: { file?: string; format?: string; json?: boolean }, cmd: Command) => {
      const sparql = opts.file ? await readFile(opts.file, 'utf8') : text;
      if (!sparql) fail('give a query, or --file FILE');
      const format = opts.json || globals(cmd).json ? 'json' : (opts.format ?? 'table');
      if (!(QUERY_FORMATS as readonly string[]).includes(format)) fail(`unknown --format "${format}"; use one of ${QUERY_FORMATS.join(', ')}`);
      await withNode(cmd, async (node) => {
        process.stdout.write(runQuery(node.store, sparql, format));
      });
    });

  program
    .command('describe <path>')
    .description('print what is known about one file: its file facts, its content, and who they name')
    .option('--format <format>', 'turtle|ntriples|nquads', 'turtle')
    .action(async (file: string, opts: { format: string }, cmd: Command) => {
      await withNode(cmd, async (node) => {
        const iri = fileIri(path.resolve(file));
        const quads = describeQuads(node.store, iri);
        if (quads.length === 0) fail(`${path.resolve(file)} is not described; is it in a share, and has it been scanned?`);
        process.stdout.write(await serialize(quads, opts.format));
      });
    });

  program
    .command('export')
    .description('write the whole graph (every named graph) as RDF')
    .option('--format <format>', EXPORT_FORMATS.join('|'), 'nquads')
    .option('--out <file>', 'write to a file (atomically) instead of standard output')
    .action(async (opts: { format: string; out?: string }, cmd: Command) => {
      if (!(EXPORT_FORMATS as readonly string[]).includes(opts.format)) fail(`unknown --format "${opts.format}"; use one of ${EXPORT_FORMATS.join(', ')}`);
      await withNode(cmd, async (node) => {
        const text = node.store.export(opts.format as ResultFormat);
        if (!opts.out) {
          process.stdout.write(text);
          return;
        }
        const tmp = `${opts.out}.semsync-tmp`;
        await writeFile(tmp, text);
        await rename(tmp, opts.out);
        console.error(`wrote ${node.store.size} statements to ${opts.out}`);
      });
    });

  program
    .command('import <file>')
    .description('add the statements of an RDF file (N-Quads, TriG, Turtle, N-Triples, JSON-LD); triples without a graph go to this node\'s import graph')
    .option('--format <format>', 'the file format (default: from the extension)')
    .action(async (file: string, opts: { format?: string }, cmd: Command) => {
      await withNode(cmd, async (node) => {
        const bar = progress('importing');
        const result = await node.store.importFile(file, { format: opts.format, onProgress: (n) => bar.update(n, n) });
        bar.stop();
        console.log(`imported ${result.quads} statements in ${result.patches} transactions`);
      });
    });
}

type StoreLike = { query: (q: string, o?: { format?: ResultFormat }) => unknown; match: (...a: Array<Term | null>) => Quad[] };

function runQuery(store: StoreLike, sparql: string, format: string): string {
  const asked = format === 'table' ? undefined : (format as ResultFormat);
  const out = store.query(sparql, { format: asked }) as {
    kind: 'bindings' | 'boolean' | 'quads';
    vars?: string[];
    rows?: Array<Record<string, Term>>;
    value?: boolean;
    quads?: Quad[];
    serialized?: string;
  };
  if (out.serialized !== undefined) return out.serialized.endsWith('\n') ? out.serialized : out.serialized + '\n';
  if (out.kind === 'boolean') return `${out.value}\n`;
  if (out.kind === 'quads') return new n3.Writer({ prefixes: PREFIXES }).quadsToString(out.quads ?? []);
  const vars = out.vars ?? [];
  const rows = (out.rows ?? []).map((r) => vars.map((v) => termText(r[v])));
  return `${table(vars, rows)}\n${rows.length} row${rows.length === 1 ? '' : 's'}\n`;
}

/** The file's statements, its content's, and those of the resources they name (people, albums), from every graph. */
function describeQuads(store: StoreLike, iri: Term): Quad[] {
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
        if (!o.value.includes('/id/share/')) queue.push(o);
      }
    }
  }
  return out;
}

async function serialize(quads: Quad[], format: string): Promise<string> {
  const fmt = { turtle: 'Turtle', ntriples: 'N-Triples', nquads: 'N-Quads' }[format];
  if (!fmt) fail(`unknown --format "${format}"; use turtle, ntriples or nquads`);
  const triplesOnly = fmt !== 'N-Quads';
  const writer = new n3.Writer({ format: fmt, prefixes: fmt === 'Turtle' ? PREFIXES : undefined });
  const seen = new Set<string>();
  for (const q of quads) {
    const t = triplesOnly ? n3.DataFactory.quad(q.subject, q.predicate, q.object) : q;
    const k = JSON.stringify([t.subject.value, t.predicate.value, t.object, t.graph.value]);
    if (seen.has(k)) continue;
    seen.add(k);
    writer.addQuad(t);
  }
  return await new Promise<string>((resolve, reject) => writer.end((err, result) => (err ? reject(err) : resolve(result))));
}
