// `semsync start`: runs the node in the foreground until SIGINT/SIGTERM, then stops cleanly.
import type { Command } from 'commander';
import type { NodeHttp } from '../server/index.js';
import type { Logger } from '../peers/index.js';
import { withNode } from './context.js';
import { UsageError } from './output.js';

export function registerStartCommand(program: Command): void {
  program
    .command('start')
    .description('run the node in the foreground: describe and watch the shares, sync with paired peers; other commands talk to it (Ctrl+C stops it cleanly)')
    .option('--listen <multiaddr>', 'libp2p listen address, repeatable (default: the config\'s "listen", /ip4/0.0.0.0/tcp/0)', (v: string, acc: string[] = []) => [...acc, v])
    .option('--no-mdns', 'do not look for (or announce to) peers on the LAN by mDNS')
    .option('--http-port <port>', 'HTTP port for the SPARQL endpoint and dashboard (default: the config\'s, 7878; 0: any free port, printed)')
    .option('--http-host <host>', 'HTTP address (default 127.0.0.1; anything else needs --token)')
    .option('--token [value]', 'require "Authorization: Bearer TOKEN" on HTTP (without a value: the one in HOME/run/http-token, made once)')
    .option('--no-http', 'serve no SPARQL endpoint and no dashboard')
    .option('--query-timeout <ms>', 'stop an HTTP query this long after it arrived (default 30000; `semsync query` has its own --timeout; 0: no limits and no query worker, for HTTP and `semsync query`)')
    .option('--query-memory <MB>', 'stop a query when the node grows by more than this while it runs (default 1024)')
    .option('--query-results <MB>', 'refuse query results larger than this (default 64)')
    .option('--query-queue <n>', 'queries that may wait for the query worker; more get 503 (default 16)')
    .option('--query-workers <n>', 'queries that may run at once, each in its own worker and replica (default: cores, at most 4)')
    .option('--dav-listen <host:port>', 'also serve CalDAV/CardDAV (only) over HTTPS with this node\'s own certificate, e.g. 0.0.0.0:8443, for phones on the LAN')
    .action(runStart);
}

/** Ready to print: what the node serves, once it is started. */
function announce(node: { nodeId: string; paths: { home: string }; config: { shares: unknown[] } }, http: NodeHttp | undefined, davTls: { url: string; fingerprint: string } | undefined): void {
  console.log(`node ${node.nodeId} running; home ${node.paths.home}; ${node.config.shares.length} share(s)`);
  if (http) console.log(`http ${http.url} (SPARQL at ${http.url}sparql${http.tokenRequired ? '; bearer token required' : ''})`);
  if (http?.tokenFile) console.log(`http token in ${http.tokenFile} (send "Authorization: Bearer TOKEN"; in a browser open ${http.url}?token=TOKEN once)`);
  if (davTls) console.log(`dav ${davTls.url} (HTTPS; certificate SHA-256 ${davTls.fingerprint})`);
}

function httpPort(opts: StartOptions): number | undefined {
  const port = opts.httpPort === undefined ? undefined : Number(opts.httpPort);
  if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port < 65536)) throw new UsageError(`--http-port ${opts.httpPort}: not a port number (0-65535)`);
  return port;
}

async function runStart(opts: StartOptions, cmd: Command): Promise<void> {
  // Loaded here, not at the top: the other commands (and --help) need none of the node's parts.
  const [{ LocalApi }, { NodeDaemon }, { serveControl }, { createLogger }, { serveNodeHttp, nodeQueryRunner }, { removeRunInfo, writeRunInfo }] = await Promise.all([
    import('../node/api.js'),
    import('../node/daemon.js'),
    import('../server/control.js'),
    import('../server/log.js'),
    import('../server/node-http.js'),
    import('../server/run-info.js'),
  ]);
  await withNode(cmd, async (node) => {
    const startedAt = Date.now();
    const logger = createLogger(node.paths.home);
    let http: NodeHttp | undefined;
    let davTls: { url: string; fingerprint: string; close(): Promise<void> } | undefined;
    const stopped = new Promise<string>((resolve) => {
      process.once('SIGINT', () => resolve('SIGINT'));
      process.once('SIGTERM', () => resolve('SIGTERM'));
    });
    const say = (component: string) => (line: string) => {
      console.log(line);
      logger.info({ component }, line);
      http?.changed();
    };
    const daemon = new NodeDaemon(node, {
      onScan: (s) => {
        for (const e of s.skipped ?? []) console.log(`${s.share}: skipped ${e.path}: ${e.message}`);
        if (s.added + s.changed + s.removed + s.errors.length === 0) return;
        console.log(`${s.share}: files ${s.files}, added ${s.added}, changed ${s.changed}, removed ${s.removed}, errors ${s.errors.length}`);
        logger.info({ component: 'library', ...s, errors: s.errors.length }, 'scanned');
      },
      onError: (where, err) => {
        console.error(`semsync: ${where}: ${err.message}`);
        logger.error({ component: where, err: err.message }, 'error');
      },
      peers: { listen: opts.listen, mdns: opts.mdns !== false, logger: peerLogger() },
      onPeer: say('peers'),
      onDevice: say('devices'),
    });
    const api = new LocalApi(node, true, () => daemon.peers);
    // one query worker for the endpoint and the control socket: no query runs on the thread that holds the store
    const runner = nodeQueryRunner(node, queryLimits(opts));
    if (runner.hardLimit) api.queries = runner;
    const control = await serveControl(node.paths.home, api);
    try {
      if (opts.http !== false) http = await serveNodeHttp(node, api, { host: opts.httpHost, port: httpPort(opts), token: opts.token, queryTimeoutMs: queryLimits(opts).timeoutMs, runner, logger, startedAt });
      if (opts.davListen) davTls = await (await import('../server/dav-mount.js')).serveDavTls(node, opts.davListen, (msg, f) => logger.info({ component: 'dav', ...f }, msg));
    } catch (err) {
      await http?.close();
      await control.close();
      await runner.close();
      throw err;
    }
    await writeRunInfo(node.paths.home, { pid: process.pid, startedAt: new Date(startedAt).toISOString(), http: http && { url: http.url, host: http.host, port: http.port, tokenRequired: http.tokenRequired } });
    announce(node, http, davTls);
    logger.info({ nodeId: node.nodeId, shares: node.config.shares.length }, 'node started');
    try {
      const started = daemon.start().then(() => {
        daemon.devices?.on('device', (e) => http?.deviceEvent(e));
        console.log('ready');
      });
      const first = await Promise.race([stopped, started.then(() => undefined)]);
      const signal = first ?? (await stopped);
      console.log(`${signal}: stopping`);
      logger.info({ signal }, 'stopping');
    } finally {
      await http?.close();
      await davTls?.close();
      await control.close();
      await runner.close();
      await daemon.stop();
      await removeRunInfo(node.paths.home);
      logger.info('stopped');
      logger.flush();
    }
  });
}

interface StartOptions {
  listen?: string[];
  mdns?: boolean;
  httpPort?: string;
  httpHost?: string;
  token?: string | boolean;
  http?: boolean;
  queryTimeout?: string;
  queryMemory?: string;
  queryResults?: string;
  queryQueue?: string;
  queryWorkers?: string;
  davListen?: string;
}

/** The query worker's limits from the options (UsageError for a value that is not a number). */
function queryLimits(opts: StartOptions): { timeoutMs?: number; memoryMb?: number; maxResultBytes?: number; maxQueue?: number; workers?: number } {
  const num = (v: string | undefined, flag: string, min: number) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new UsageError(`${flag} ${v}: not a whole number${min > 0 ? ` of at least ${min}` : ''}`);
    return n;
  };
  const results = num(opts.queryResults, '--query-results', 1);
  return {
    timeoutMs: num(opts.queryTimeout, '--query-timeout', 0),
    memoryMb: num(opts.queryMemory, '--query-memory', 16),
    maxResultBytes: results === undefined ? undefined : results * (1 << 20),
    maxQueue: num(opts.queryQueue, '--query-queue', 0),
    workers: num(opts.queryWorkers, '--query-workers', 1),
  };
}

/** Peer warnings on stderr; info and debug too with SEMSYNC_DEBUG. */
function peerLogger(): Logger {
  const line = (level: string) => (o: object, m?: string) => process.stderr.write(`semsync: peers: ${level}: ${m ?? ''} ${JSON.stringify(o)}\n`);
  const debug = Boolean(process.env.SEMSYNC_DEBUG);
  return { debug: debug ? line('debug') : () => {}, info: debug ? line('info') : () => {}, warn: line('warn'), error: line('error') };
}
