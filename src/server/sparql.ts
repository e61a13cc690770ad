// The SPARQL 1.1 Protocol at /sparql: GET and POST, content negotiation, read-only, size and time limits.
import type { Context } from 'hono';
import { queryKind } from '../graph/index.js';
import type { ResultFormat } from '../graph/types.js';
import { readBody } from './body.js';
import { QueryQueueFullError, REFUSED, type QueryResult, type QueryRunner } from './query-runner.js';

export interface SparqlOptions {
  runner: QueryRunner;
  /** Largest accepted request body or query string, in bytes (default 1 MiB). */
  maxBytes?: number;
  /** Runs a query with SERVICE <http://…> clauses (comunica over this store and the remote endpoints); absent: refused. */
  federate?: (sparql: string, format: ResultFormat, services: string[]) => Promise<QueryResult>;
  /** Called after each query (for logs and metrics). */
  onQuery?: (q: { kind: string; format: ResultFormat; ms: number; status: number; bytes: number; error?: string }) => void;
}

const SELECT_TYPES: Array<[string, ResultFormat]> = [
  ['application/sparql-results+json', 'json'],
  ['application/json', 'json'],
  ['application/sparql-results+xml', 'xml'],
  ['application/xml', 'xml'],
  ['text/xml', 'xml'],
  ['text/csv', 'csv'],
  ['text/tab-separated-values', 'tsv'],
];
const GRAPH_TYPES: Array<[string, ResultFormat]> = [
  ['text/turtle', 'turtle'],
  ['application/x-turtle', 'turtle'],
  ['application/n-triples', 'ntriples'],
  ['text/plain', 'ntriples'],
  ['application/n-quads', 'nquads'],
  ['application/trig', 'trig'],
  ['application/ld+json', 'jsonld'],
  ['application/json', 'jsonld'],
];
const MIME_OF: Partial<Record<ResultFormat, string>> = {
  json: 'application/sparql-results+json',
  xml: 'application/sparql-results+xml',
  csv: 'text/csv',
  tsv: 'text/tab-separated-values',
  turtle: 'text/turtle',
  ntriples: 'application/n-triples',
  nquads: 'application/n-quads',
  trig: 'application/trig',
  jsonld: 'application/ld+json',
};

/** The best of `offered` for an Accept header (q-values, wildcards); undefined when none is acceptable. */
export function negotiate(accept: string | undefined, offered: Array<[string, ResultFormat]>): ResultFormat | undefined {
  if (!accept || !accept.trim()) return offered[0][1];
  const ranges = accept.split(',').map((part, i) => {
    const [type, ...params] = part.trim().toLowerCase().split(';').map((s) => s.trim());
    const q = Number(params.find((p) => p.startsWith('q='))?.slice(2) ?? '1');
    return { type, q: Number.isFinite(q) ? q : 0, i };
  });
  let best: { f: ResultFormat; q: number; spec: number; order: number } | undefined;
  offered.forEach(([mime, f], order) => {
    const [major] = mime.split('/');
    for (const r of ranges) {
      const spec = r.type === mime ? 3 : r.type === `${major}/*` ? 2 : r.type === '*/*' ? 1 : 0;
      if (!spec || r.q <= 0) continue;
      // an exact match beats a wildcard; then the higher q; then the server's order
      const better = !best || r.q > best.q || (r.q === best.q && (spec > best.spec || (spec === best.spec && order < best.order)));
      if (better) best = { f, q: r.q, spec, order };
    }
  });
  return best?.f;
}

/** The format asked with `?format=` / `?output=` (e.g. from a browser link), else by the Accept header. */
function chooseFormat(c: Context, graph: boolean, asked: string | undefined): ResultFormat | undefined {
  const offered = graph ? GRAPH_TYPES : SELECT_TYPES;
  if (asked) {
    const byName = offered.find(([mime, f]) => f === asked || mime === asked);
    return byName?.[1];
  }
  return negotiate(c.req.header('accept'), offered);
}

function problem(c: Context, status: 400 | 403 | 405 | 406 | 413 | 415 | 500 | 502 | 503 | 504, message: string): Response {
  return c.text(message.endsWith('\n') ? message : message + '\n', status);
}

/** The handler for GET and POST /sparql. */
export function sparqlHandler(opts: SparqlOptions): (c: Context) => Promise<Response> {
  const max = opts.maxBytes ?? 1 << 20;
  return async (c) => {
    let query: string | undefined;
    let params: URLSearchParams;
    const url = new URL(c.req.url);
    if (c.req.method === 'GET') {
      if ((url.search.length || 0) > max) return problem(c, 413, `the query is larger than ${max} bytes`);
      params = url.searchParams;
      query = params.get('query') ?? undefined;
      if (params.getAll('query').length > 1) return problem(c, 400, 'more than one query parameter: send one query per request');
      if (params.has('update')) return problem(c, 405, 'this endpoint is read-only: SPARQL Update is not accepted');
    } else if (c.req.method === 'POST') {
      const type = (c.req.header('content-type') ?? '').split(';')[0].trim().toLowerCase();
      if (type === 'application/sparql-update') return problem(c, 405, 'this endpoint is read-only: SPARQL Update is not accepted');
      const body = await readBody(c, max);
      if (body === 'too-large') return problem(c, 413, `the request is larger than ${max} bytes`);
      params = url.searchParams;
      if (type === 'application/x-www-form-urlencoded') {
        const form = new URLSearchParams(body);
        if (form.has('update')) return problem(c, 405, 'this endpoint is read-only: SPARQL Update is not accepted');
        query = form.get('query') ?? undefined;
        if (form.getAll('query').length + url.searchParams.getAll('query').length > 1) return problem(c, 400, 'more than one query parameter: send one query per request');
        for (const [k, v] of form) if (k !== 'query') params.append(k, v);
      } else if (type === 'application/sparql-query') {
        query = body;
      } else {
        return problem(c, 415, `POST a query as application/x-www-form-urlencoded (query=...) or application/sparql-query, not ${type || 'no content type'}`);
      }
    } else {
      c.header('allow', 'GET, POST');
      return problem(c, 405, 'use GET or POST');
    }
    if (query === undefined || !query.trim()) return problem(c, 400, 'no query: send the query as ?query=..., a form field query=, or an application/sparql-query body');
    // The Protocol's dataset: the default graph is the merge of default-graph-uri, GRAPH sees named-graph-uri.
    const given = params.has('default-graph-uri') || params.has('named-graph-uri');
    const dataset = given ? { defaultGraphs: params.getAll('default-graph-uri'), namedGraphs: params.getAll('named-graph-uri') } : undefined;
    // A relative IRI in a query without BASE resolves against the endpoint's URL (the query's retrieval IRI).
    const base = `${url.origin}${url.pathname}`;
    const badGraph = [...(dataset?.defaultGraphs ?? []), ...(dataset?.namedGraphs ?? [])].find((g) => !/^[a-z][a-z0-9+.-]*:[^\s<>"{}|^`\\]*$/i.test(g));
    if (badGraph !== undefined) return problem(c, 400, `default-graph-uri and named-graph-uri take absolute IRIs, not ${JSON.stringify(badGraph)}`);
    const kind = queryKind(query);
    if (kind === 'update') return problem(c, 400, 'this endpoint is read-only: this is a SPARQL update; send SELECT, ASK, CONSTRUCT or DESCRIBE');
    const graph = kind === 'construct' || kind === 'describe';
    const asked = params.get('format') ?? params.get('output') ?? undefined;
    const format = chooseFormat(c, graph, asked);
    if (!format) {
      const types = (graph ? GRAPH_TYPES : SELECT_TYPES).map(([m]) => m).join(', ');
      return problem(c, 406, `none of the accepted types can carry ${kind.toUpperCase()} results; ask for one of ${types}`);
    }
    try {
      // the client's going away drops the query (from the queue, or stops it in its worker)
      // a SERVICE query is federated in the worker too, under the same limits, when this endpoint federates at all
      let out = await opts.runner.run(query, format, { signal: c.req.raw.signal, context: { dataset, base }, federate: Boolean(opts.federate) && !dataset });
      if (out.services) {
        // SERVICE makes this node send requests: the runner found it (off this thread); cross-site pages never get here
        if (!opts.federate) return problem(c, 400, 'SERVICE (federated queries) is not enabled on this endpoint');
        if (dataset) return problem(c, 400, 'default-graph-uri and named-graph-uri are not supported with SERVICE');
        out = await opts.federate(query, format, out.services);
      }
      opts.onQuery?.({ kind, format, ms: out.ms, status: 200, bytes: out.text.length });
      c.header('content-type', `${MIME_OF[format]}; charset=utf-8`);
      c.header('vary', 'accept');
      c.header('cache-control', 'no-store');
      c.header('x-query-ms', out.ms.toFixed(2));
      return c.body(out.text, 200);
    } catch (err) {
      const e = err as Error;
      const remote = e.name === 'FederationError' ? ((e as Error & { timedOut?: boolean }).timedOut ? 504 : 502) : undefined;
      const status = remote ?? (REFUSED.includes(e.name) ? 503 : e.name === 'QueryError' || e.name === 'QueryEvaluationError' ? 400 : 500);
      opts.onQuery?.({ kind, format, ms: 0, status, bytes: 0, error: e.message });
      if (e instanceof QueryQueueFullError) c.header('retry-after', String(e.retryAfterS));
      return problem(c, status, e.message);
    }
  };
}
