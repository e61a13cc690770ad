// The query paths a user can take, each answering one W3C test: the library's store, a cold query (reach loading,
// as `semsync query` without a running node), a paged store, a running node through its control socket, and /sparql
// over HTTP; and raw oxigraph over the same statements (the differential check).
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import oxigraph from 'oxigraph';
import { GraphStore } from '../../src/graph/store.js';
import { prelude, queryKind } from '../../src/graph/query.js';
import { queryReach } from '../../src/graph/reach.js';
import { SemsyncNode } from '../../src/node/node.js';
import { LocalApi, type NodeApi } from '../../src/node/api.js';
import { serveControl, controlSocketPath, type ControlServer } from '../../src/server/control.js';
import { serveNodeHttp, type NodeHttp } from '../../src/server/node-http.js';
import { remoteApi } from '../../src/cli/remote.js';
import type { EvalTest } from './manifest.js';
import { fromNTriples, fromSrj, fromSrx, fromTurtle, type Answer } from './results.js';

export const PATHS = ['library', 'cold', 'paged', 'node', 'http'] as const;
export type PathName = (typeof PATHS)[number];

export interface Case {
  test: EvalTest;
  /** The query as run: the test's text, with the query file's location as its base on the first line. */
  sparql: string;
  graph: boolean;
  /** The RDF file imported (the test's own data file when it is one Turtle or N-Triples file), or none. */
  file?: string;
}

const MIME: Record<string, string> = { '.ttl': 'text/turtle', '.nt': 'application/n-triples', '.rdf': 'application/rdf+xml' };

/** A test's query and data, ready to import: its one data file as is, else all of them as one N-Quads file in `tmp`. */
export function prepare(test: EvalTest, tmp: string): Case {
  const text = fs.readFileSync(test.query, 'utf8');
  const sparql = `BASE <${pathToFileURL(test.query).href}> ${text}`;
  const kind = queryKind(text);
  const c: Case = { test, sparql, graph: kind === 'construct' || kind === 'describe' };
  const files = [...test.data, ...test.graphData];
  if (!files.length) return c;
  if (test.data.length === 1 && !test.graphData.length && /\.(ttl|nt)$/.test(test.data[0])) return { ...c, file: test.data[0] };
  const all = new oxigraph.Store();
  for (const f of files) {
    const to_graph_name = test.graphData.includes(f) ? oxigraph.namedNode(pathToFileURL(f).href) : oxigraph.defaultGraph();
    all.load(fs.readFileSync(f, 'utf8'), { format: MIME[path.extname(f)], base_iri: pathToFileURL(f).href, to_graph_name });
  }
  const file = path.join(tmp, `${test.id.replace(/\W/g, '_')}.nq`);
  fs.writeFileSync(file, all.dump({ format: 'application/n-quads' }));
  return { ...c, file };
}

const format = (c: Case) => (c.graph ? 'ntriples' : 'json');
const read = (c: Case, text: string): Answer => (c.graph ? fromNTriples(text) : fromSrj(text));

export type Outcome = Answer | { error: string };

async function attempt(fn: () => Promise<Answer> | Answer): Promise<Outcome> {
  try {
    return await fn();
  } catch (e) {
    return { error: `${(e as Error).name}: ${(e as Error).message}`.slice(0, 400) };
  }
}

/**
 * The library's store (imported fresh in `dir`), then a snapshot; a cold store holding only the query's reach;
 * a paged store; and raw oxigraph over the statements the store held.
 */
export async function inProcess(c: Case, dir: string): Promise<{ library: Outcome; cold: Outcome; paged: Outcome; raw: Outcome }> {
  const store = await GraphStore.open({ dir, nodeId: 'conf' });
  let library: Outcome;
  let nquads: string;
  try {
    if (c.file) await store.importFile(c.file);
    library = await attempt(() => read(c, store.query(c.sparql, { format: format(c) }).serialized!));
    nquads = store.export('nquads');
    await store.snapshot();
  } finally {
    await store.close();
  }
  const raw = await attempt(() => {
    const ox = new oxigraph.Store();
    if (nquads) ox.load(nquads, { format: 'application/n-quads' });
    const text = ox.query(prelude(c.sparql) + c.sparql, { use_default_graph_as_union: true, results_format: c.graph ? 'application/n-triples' : 'application/sparql-results+json' }) as string;
    return read(c, text);
  });
  const reopened = async (opts: Partial<Parameters<typeof GraphStore.open>[0]>): Promise<Outcome> =>
    attempt(async () => {
      const s = await GraphStore.open({ dir, nodeId: 'conf', ...opts });
      try {
        return read(c, s.query(c.sparql, { format: format(c) }).serialized!);
      } finally {
        await s.close();
      }
    });
  // As `semsync query` does with no node running (cli/context.ts withApi): the store opened for the query's reach.
  const cold = await reopened({ reach: queryReach(c.sparql) ?? undefined });
  const paged = await reopened({ pagedAbove: 0 });
  return { library, cold, paged, raw };
}

/** A node running in this process as `semsync start` runs it: its control socket, and HTTP with the query worker. */
export class RunningNode {
  private constructor(
    readonly node: SemsyncNode,
    private readonly control: ControlServer,
    readonly http: NodeHttp,
    readonly api: NodeApi,
  ) {}

  static async start(home: string): Promise<RunningNode> {
    const node = await SemsyncNode.open({ home });
    const control = await serveControl(home, new LocalApi(node, true));
    const http = await serveNodeHttp(node, new LocalApi(node, true), { host: '127.0.0.1', port: 0 });
    return new RunningNode(node, control, http, remoteApi(controlSocketPath(home)));
  }

  /** Everything the node holds deleted, then the case's data imported through the control socket. */
  async load(c: Case): Promise<void> {
    const all = this.node.store.match();
    if (all.length) await this.node.store.commit(all.map((quad) => ({ op: 'D' as const, quad })));
    if (c.file) await this.api.import(c.file);
  }

  /** The answer through the control socket (as `semsync query` with the node running). */
  viaControl(c: Case): Promise<Outcome> {
    return attempt(async () => {
      const out = (await this.api.query(c.sparql, format(c))) as { kind: 'text'; text: string };
      return read(c, out.text);
    });
  }

  /**
   * The answer from /sparql over HTTP: POST application/sparql-query asking for JSON (N-Triples for graphs), or with
   * `alternate`, GET ?query= asking for XML (Turtle for graphs), so both writers and both methods are graded.
   */
  viaHttp(c: Case, alternate = false): Promise<Outcome> {
    return attempt(async () => {
      const accept = c.graph ? (alternate ? 'text/turtle' : 'application/n-triples') : alternate ? 'application/sparql-results+xml' : 'application/sparql-results+json';
      const url = `${this.http.url}sparql`;
      const res = alternate
        ? await fetch(`${url}?query=${encodeURIComponent(c.sparql)}`, { headers: { accept } })
        : await fetch(url, { method: 'POST', body: c.sparql, headers: { 'content-type': 'application/sparql-query', accept } });
      const text = await res.text();
      if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${text}`);
      if (!alternate) return read(c, text);
      return c.graph ? fromTurtle(text) : fromSrx(text);
    });
  }

  async stop(): Promise<void> {
    await this.http.close();
    await this.control.close();
    await this.node.close();
  }
}
