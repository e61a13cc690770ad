// Federated SPARQL: a query with SERVICE <http://…> runs in comunica over the local store (an RDF/JS source) and the remote endpoints.
import { createRequire, Module } from 'node:module';
import { Readable } from 'node:stream';
import sparqljs from 'sparqljs';
import type { Quad, Term } from '@rdfjs/types';
import { QueryError, QueryEvaluationError } from './errors.js';
import { GRAPH_MIME, prelude, queryKind, type QueryOutput } from './query.js';
import { refuseBadQuery } from './reach.js';
import type { ResultFormat } from './types.js';
import { FailureError } from '../base/index.js';

/** A remote endpoint failed, was unreachable, or did not answer in time. Names the service. */
export class FederationError extends FailureError {
  override name = 'FederationError';
  constructor(
    message: string,
    readonly services: string[],
    readonly timedOut = false,
  ) {
    super(message);
  }
}

/** What the local side must offer: quads matching a pattern over every graph (the store's `match`). */
export interface QuadSource {
  match(s?: Term | null, p?: Term | null, o?: Term | null, g?: Term | null): Quad[];
}

export interface FederateOptions {
  format?: ResultFormat;
  /** The whole query's time limit in ms (default 30 s). */
  timeoutMs?: number;
  /** Its SERVICE IRIs when already known (serviceUrls, e.g. from the query worker): the text is not read again for them. */
  services?: string[];
}

/**
 * The longest query that can be federated. sparqljs (here, and in comunica) reads ~0.3 MB a second: a megabyte would
 * hold a thread for seconds. A longer query is never federated (the store then refuses its SERVICE).
 */
export const FEDERATED_MAX_CHARS = 64 * 1024;

/**
 * The IRIs of the SERVICE clauses of a query, read by the SPARQL parser (sparqljs, our prefixes predeclared): so
 * `SERVICE<iri>` and `SERVICE e:sparql` count, and "service" in a string, a comment or an IRI does not. Empty for a
 * plain query, for one the parser cannot read (its error comes from the store, with a position), and for one longer
 * than FEDERATED_MAX_CHARS. Linear in the query's length: the parser's lexer never backtracks over a run of characters.
 */
export function serviceUrls(sparql: string): string[] {
  if (!/service/i.test(sparql) || sparql.length > FEDERATED_MAX_CHARS) return [];
  let parsed: unknown;
  try {
    // skipValidation (sparqljs 3.7; not in its types): the store validates, and reports with positions.
    parsed = new sparqljs.Parser({ skipValidation: true } as sparqljs.ParserOptions).parse(prelude(sparql) + sparql);
  } catch {
    return []; // not readable here (or too deep for the parser): not federated; the store says what is wrong
  }
  const out: string[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (!node || typeof node !== 'object') return;
    const n = node as Record<string, unknown>;
    const name = n.name as { termType?: string; value?: string } | undefined;
    if (n.type === 'service' && name?.termType === 'NamedNode' && name.value && !out.includes(name.value)) out.push(name.value);
    for (const [key, value] of Object.entries(n)) if (key !== 'prefixes') walk(value);
  };
  try {
    walk(parsed);
  } catch {
    return []; // nested past the stack: not federated either
  }
  return out;
}

const MIME: Partial<Record<ResultFormat, string>> = {
  json: 'application/sparql-results+json',
  xml: 'application/sparql-results+xml',
  csv: 'text/csv',
  tsv: 'text/tab-separated-values',
  ...GRAPH_MIME,
};

interface Engine {
  query(q: string, ctx: Record<string, unknown>): Promise<ComunicaResult>;
  resultToString(r: ComunicaResult, mediaType: string): Promise<{ data: NodeJS.ReadableStream }>;
}
type ComunicaResult =
  | { resultType: 'bindings'; execute(): Promise<AsyncIterable<{ get(v: string): Term | undefined }> & Stream>; metadata(): Promise<{ variables: Array<{ variable?: { value: string }; value?: string }> }> }
  | { resultType: 'boolean'; execute(): Promise<boolean> }
  | { resultType: 'quads'; execute(): Promise<AsyncIterable<Quad> & Stream> }
  | { resultType: 'void' };
interface Stream {
  on(ev: string, f: (x: unknown) => void): unknown;
  destroy?(e?: Error): void;
}

let engine: Promise<Engine> | undefined;

/**
 * comunica 5.4's HTTP actor requires undici 8 (Node >= 22.19), which fails to load on Node 20. The actor only uses
 * undici for its optional HTTP cache (`httpCache`, which we never turn on); requests go through Node's own fetch.
 * On an older Node, give it a stand-in for that cache so the engine loads.
 */
function shimUndici(): void {
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major > 22 || (major === 22 && minor >= 19)) return;
  const req = createRequire(import.meta.url);
  const actor = createRequire(req.resolve('@comunica/query-sparql/package.json')).resolve('@comunica/actor-http-fetch');
  const undici = createRequire(actor).resolve('undici');
  if (req.cache[undici]) return;
  class Agent {
    compose(): this {
      return this;
    }
  }
  class MemoryCacheStore {
    delete(): void {}
  }
  const m = new Module(undici);
  m.filename = undici;
  m.loaded = true;
  m.exports = { Agent, interceptors: { cache: () => (d: unknown) => d }, cacheStores: { MemoryCacheStore } };
  req.cache[undici] = m;
}

/** The engine, loaded on first use (it is heavy: plain queries and `semsync --help` never load it). */
export function loadEngine(): Promise<Engine> {
  engine ??= (async () => {
    shimUndici();
    const { QueryEngine } = (await import('@comunica/query-sparql')) as unknown as { QueryEngine: new () => Engine };
    return new QueryEngine();
  })();
  return engine;
}

/** The local store as an RDF/JS source: every graph, so that comunica's union default graph is the store's union. */
function rdfjsSource(local: QuadSource) {
  const pick = (t?: Term | null) => (t && t.termType !== 'Variable' ? t : null);
  return {
    match: (s?: Term | null, p?: Term | null, o?: Term | null, g?: Term | null) => Readable.from(local.match(pick(s), pick(p), pick(o), pick(g))),
    countQuads: async (s?: Term | null, p?: Term | null, o?: Term | null, g?: Term | null) => local.match(pick(s), pick(p), pick(o), pick(g)).length,
  };
}

/** Only http(s) targets; everything else (file:, data:, ...) is refused before a request is made. */
function guardedFetch(services: string[]): typeof fetch {
  return (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (!/^https?:\/\//i.test(url)) return Promise.reject(new FederationError(`SERVICE <${url}>: only http and https endpoints can be federated`, services));
    return fetch(input, init);
  };
}

function explain(err: unknown, services: string[]): Error {
  if (process.env.SEMSYNC_DEBUG) console.error(err);
  if (err instanceof FederationError || err instanceof QueryError) return err;
  const e = err as Error & { cause?: { code?: string; message?: string } };
  const msg = e?.message ?? String(err);
  const parse = /Parse error on line (\d+)/.exec(msg);
  if (parse) return new QueryError(msg.split('\n')[0], Math.max(1, Number(parse[1]) - 1), 1);
  if (/is not supported|Unsupported|Unknown/i.test(msg) && !/fetch|http|ECONN/i.test(msg)) return new QueryEvaluationError(msg.split('\n')[0]);
  const cause = e?.cause?.code ?? e?.cause?.message;
  const named = services.find((u) => msg.includes(u));
  const which = named ? `<${named}>` : services.map((u) => `<${u}>`).join(', ');
  return new FederationError(`SERVICE ${which} failed: ${msg.split('\n')[0]}${cause ? ` (${cause})` : ''}; is the endpoint up and reachable?`, services);
}

function streamToString(s: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    s.on('data', (d: Buffer | string) => (text += d.toString()));
    s.on('error', reject);
    s.on('end', () => resolve(text));
  });
}

async function collect<T>(it: AsyncIterable<T> & Stream): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/**
 * Run a read-only query with SERVICE clauses: comunica over the local store (union of all graphs) and the remote
 * SPARQL endpoints it names. A failing or slow endpoint gives a FederationError naming it, within `timeoutMs`.
 */
export async function federatedQuery(local: QuadSource, sparql: string, opts: FederateOptions = {}): Promise<QueryOutput> {
  const kind = queryKind(sparql);
  if (kind === 'update') throw new QueryError('this is a SPARQL update; only queries (SELECT, ASK, CONSTRUCT, DESCRIBE) are accepted here', 1, 1);
  refuseBadQuery(sparql); // a typo is named in words, with its position, as for any other query
  const services = opts.services ?? serviceUrls(sparql);
  const limit = opts.timeoutMs ?? 30_000;
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      abort.abort();
      reject(new FederationError(`SERVICE ${services.map((u) => `<${u}>`).join(', ')}: no answer within ${limit} ms; is the endpoint up? (the limit is --timeout)`, services, true));
    }, limit);
  });
  const work = (async (): Promise<QueryOutput> => {
    const eng = await loadEngine();
    const ctx = {
      sources: [rdfjsSource(local)],
      unionDefaultGraph: true,
      readOnly: true,
      httpAbortSignal: abort.signal,
      fetch: guardedFetch(services),
    };
    const result = await eng.query(prelude(sparql) + sparql, ctx);
    if (result.resultType === 'void') throw new QueryEvaluationError('this query returns nothing');
    if (opts.format) {
      const mime = MIME[opts.format];
      const graph = result.resultType === 'quads';
      if (!mime || graph !== Boolean(GRAPH_MIME[opts.format])) {
        throw new QueryEvaluationError(`the format ${opts.format} does not fit ${kind.toUpperCase()} results`);
      }
      let serialized = await streamToString((await eng.resultToString(result, mime)).data);
      if (opts.format === 'json') {
        // comunica appends its own "metadata" member; the SPARQL JSON results format has head and results/boolean only
        const { metadata: _m, ...rest } = JSON.parse(serialized) as Record<string, unknown>;
        serialized = JSON.stringify(rest);
      }
      const kindOut = result.resultType === 'bindings' ? 'bindings' : result.resultType === 'boolean' ? 'boolean' : 'quads';
      return { kind: kindOut, serialized, format: opts.format } as QueryOutput;
    }
    if (result.resultType === 'boolean') return { kind: 'boolean', value: await result.execute() };
    if (result.resultType === 'quads') return { kind: 'quads', quads: await collect(await result.execute()) };
    const vars = (await result.metadata()).variables.map((v) => v.variable?.value ?? v.value ?? '');
    const rows = (await collect(await result.execute())).map((b) => {
      const row: Record<string, Term> = {};
      for (const v of vars) {
        const t = b.get(v);
        if (t) row[v] = t;
      }
      return row;
    });
    return { kind: 'bindings', vars, rows };
  })();
  try {
    return await Promise.race([work, timeout]);
  } catch (err) {
    throw explain(err, services);
  } finally {
    clearTimeout(timer);
    abort.abort(); // stops any request still open (comunica's own per-request timers would keep the process alive)
    work.catch(() => {});
  }
}
