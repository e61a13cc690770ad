// Puts a node on HTTP: the query runner, the SPARQL endpoint, the dashboard and its events, with logging.
import type { NodeApi } from '../node/index.js';
import type { SemsyncNode } from '../node/index.js';
import type { DeviceEvent } from '../node/index.js';
import { DashboardState } from './dashboard-state.js';
import { dashboardRoutes } from './dashboard.js';
import { mountDav, nodeDavServer } from './dav-mount.js';
import { serveHttp, tokenFromFile, tokenPath, type HttpServer } from './http.js';
import { InProcessRunner, WorkerRunner, type QueryRunner, type WorkerRunnerOptions } from './query-runner.js';
import { federatedQuery } from '../graph/index.js';
import type { Logger } from './log.js';

export interface NodeHttpOptions {
  host?: string;
  port?: number;
  /** A token value, or true to use (making it once) HOME/run/http-token; checked on any address. Required off loopback. */
  token?: string | boolean;
  /** Query time limit in ms (default 30 s), enforced by a worker replica; 0: queries run in-process, unlimited. */
  queryTimeoutMs?: number;
  /** The runner to share (the node's, also serving `semsync query`); else one is made from queryTimeoutMs and closed with the server. */
  runner?: QueryRunner;
  maxBytes?: number;
  logger?: Logger;
  startedAt?: number;
}

export interface NodeHttp extends HttpServer {
  /** Report a device event (attached, unclaimed, placed...) to open dashboards. */
  deviceEvent(e: DeviceEvent): void;
  /** Tell open dashboards something changed now. */
  changed(): void;
  runner: QueryRunner;
  /** The file holding the token, when it came from HOME/run/http-token. */
  tokenFile?: string;
}

/** The node's query runner: a worker replica with the limits, or (timeout 0) the node's own thread, unlimited. */
export function nodeQueryRunner(node: SemsyncNode, opts: { timeoutMs?: number } & WorkerRunnerOptions = {}): QueryRunner {
  const limit = opts.timeoutMs ?? 30_000;
  return limit > 0 ? new WorkerRunner(node.store, limit, opts) : new InProcessRunner(node.store);
}

export async function serveNodeHttp(node: SemsyncNode, api: NodeApi, opts: NodeHttpOptions = {}): Promise<NodeHttp> {
  const host = opts.host ?? node.config.http.host;
  const port = opts.port ?? node.config.http.port;
  const tokenFile = opts.token === true ? tokenPath(node.paths.home) : undefined;
  const token = typeof opts.token === 'string' ? opts.token : opts.token === true ? await tokenFromFile(node.paths.home) : undefined;
  const log = opts.logger?.child({ component: 'http' });
  const limit = opts.queryTimeoutMs ?? 30_000;
  const runner = opts.runner ?? nodeQueryRunner(node, { timeoutMs: limit });
  const ownRunner = !opts.runner;
  let server: HttpServer | undefined;
  const state = new DashboardState({ node, api, startedAt: opts.startedAt ?? Date.now(), http: () => server });
  let routes: ReturnType<typeof dashboardRoutes> | undefined;
  try {
    server = await serveHttp({
      host,
      port,
      token,
      sparql: {
        runner,
        // SERVICE queries: comunica over this node's store (in this thread; the remote part is async) within the limit
        federate: async (sparql, format, services) => {
          const t0 = performance.now();
          const out = await federatedQuery(node.store, sparql, { format, services, timeoutMs: limit > 0 ? limit : undefined });
          return { text: out.serialized ?? '', ms: performance.now() - t0 };
        },
        maxBytes: opts.maxBytes,
        onQuery: (q) => (q.status === 200 ? log?.debug(q, 'query') : log?.info(q, 'query refused')),
      },
      routes: (app, guard) => {
        routes = dashboardRoutes(app, guard, state, (msg, f) => log?.info(f ?? {}, msg));
        mountDav(app, nodeDavServer(node, (msg, f) => log?.info(f ?? {}, msg)));
      },
      log: (msg, f) => log?.error(f ?? {}, msg),
    });
  } catch (err) {
    if (ownRunner) await runner.close();
    throw err;
  }
  const s = server;
  log?.info({ url: s.url, tokenRequired: s.tokenRequired, queryLimitMs: limit }, 'serving HTTP');
  return {
    ...s,
    runner,
    tokenFile,
    deviceEvent: (e) => {
      state.deviceEvent(e);
      routes?.changed();
    },
    changed: () => routes?.changed(),
    close: async () => {
      routes?.close();
      await s.close();
      if (ownRunner) await runner.close();
    },
  };
}
