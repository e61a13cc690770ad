// `semsync query`, `describe`, `export`, `import`: asking the graph and moving it in and out as RDF.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { writeFileAtomic } from '../base/index.js';
import type { ResultFormat } from '../graph/types.js';
import { fail, globals, withApi } from './context.js';
import { table } from './output.js';

const QUERY_FORMATS = ['table', 'json', 'xml', 'csv', 'tsv', 'turtle', 'ntriples', 'nquads', 'trig', 'jsonld'] as const;
const EXPORT_FORMATS = ['nquads', 'trig', 'turtle', 'jsonld', 'ntriples'] as const;
const DESCRIBE_FORMATS = ['turtle', 'ntriples', 'nquads'] as const;

export function registerGraphCommands(program: Command): void {
  program
    .command('query [sparql]')
    .description('run a SPARQL 1.1 query over everything this node knows (the union of all graphs; common prefixes predeclared)')
    .option('-f, --file <file>', 'read the query from a file')
    .option('--format <format>', `${QUERY_FORMATS.join('|')} (default: table; turtle for CONSTRUCT/DESCRIBE)`)
    .option('--json', 'the same as --format json')
    .option('--timeout <ms>', 'time limit in ms: for a federated query (one with SERVICE <http://…/sparql>), and for any query a running node answers', '30000')
    .action(async (text: string | undefined, opts: { file?: string; format?: string; json?: boolean; timeout: string }, cmd: Command) => {
      const sparql = opts.file ? await readFile(opts.file, 'utf8') : text;
      if (!sparql) fail('give a query, or --file FILE');
      const format = opts.json || globals(cmd).json ? 'json' : (opts.format ?? 'table');
      if (!(QUERY_FORMATS as readonly string[]).includes(format)) fail(`unknown --format "${format}"; use one of ${QUERY_FORMATS.join(', ')}`);
      const timeoutMs = Number(opts.timeout);
      if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) fail(`--timeout takes a positive number of milliseconds, not "${opts.timeout}"`);
      await withApi(cmd, async (api) => {
        const answer = await api.query(sparql, format as 'table' | ResultFormat, { timeoutMs });
        if (answer.kind === 'text') process.stdout.write(answer.text);
        else process.stdout.write(`${table(answer.vars, answer.rows)}\n${answer.rows.length} row${answer.rows.length === 1 ? '' : 's'}\n`);
      }, sparql);
    });

  program
    .command('describe <path>')
    .description('print what is known about one file: its file facts, its content, and the people and albums they name')
    .option('--format <format>', DESCRIBE_FORMATS.join('|'), 'turtle')
    .action(async (file: string, opts: { format: string }, cmd: Command) => {
      if (!(DESCRIBE_FORMATS as readonly string[]).includes(opts.format)) fail(`unknown --format "${opts.format}"; use one of ${DESCRIBE_FORMATS.join(', ')}`);
      await withApi(cmd, async (api) => {
        process.stdout.write(await api.describe(path.resolve(file), opts.format as (typeof DESCRIBE_FORMATS)[number]));
      });
    });

  program
    .command('export')
    .description('write the whole graph (every named graph) as RDF')
    .option('--format <format>', EXPORT_FORMATS.join('|'), 'nquads')
    .option('--out <file>', 'write to a file (atomically) instead of standard output')
    .action(async (opts: { format: string; out?: string }, cmd: Command) => {
      if (!(EXPORT_FORMATS as readonly string[]).includes(opts.format)) fail(`unknown --format "${opts.format}"; use one of ${EXPORT_FORMATS.join(', ')}`);
      await withApi(cmd, async (api) => {
        const text = await api.export(opts.format as ResultFormat);
        if (!opts.out) {
          process.stdout.write(text);
          return;
        }
        await writeFileAtomic(opts.out, text, { mode: 0o644 });
        console.error(`wrote ${opts.out}`);
      }, undefined, true);
    });

  program
    .command('import <file>')
    .description("add the statements of an RDF file (N-Quads, TriG, Turtle, N-Triples, JSON-LD); triples without a graph go to this node's import graph")
    .option('--format <format>', 'the file format (default: from the extension)')
    .action(async (file: string, opts: { format?: string }, cmd: Command) => {
      await withApi(cmd, async (api) => {
        const result = await api.import(path.resolve(file), opts.format);
        console.log(`imported ${result.quads} statements in ${result.patches} transactions`);
      });
    });
}
