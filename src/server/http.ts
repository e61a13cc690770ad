// The node's HTTP server (hono on node:http): loopback by default, a bearer token elsewhere, Host and CSRF checks.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmod, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { Hono, type Context } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import { serve, type ServerType } from '@hono/node-server';
import { writeFileAtomic } from '../base/index.js';
import { sparqlHandler, type SparqlOptions } from './sparql.js';
import { InputError } from '../base/index.js';

export class HttpBindError extends InputError {
  override name = 'HttpBindError';
}

export interface HttpOptions {
  host: string;
  port: number;
  /** Checked on every request, on any address; required when `host` is not a loopback address. */
  token?: string;
  sparql: SparqlOptions;
  /** Extra routes (the dashboard), given the CSRF guard for its state-changing requests. */
  routes?: (app: Hono, guard: CsrfGuard) => void;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
}

export interface HttpServer {
  url: string;
  host: string;
  port: number;
  tokenRequired: boolean;
  close(): Promise<void>;
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export function tokenPath(home: string): string {
  return path.join(home, 'run', 'http-token');
}

/** The token in HOME/run/http-token (0600), made on first use. */
export async function tokenFromFile(home: string): Promise<string> {
  const file = tokenPath(home);
  const have = await readFile(file, 'utf8').catch(() => '');
  if (have.trim()) return have.trim();
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const token = randomBytes(24).toString('base64url');
  await writeFileAtomic(file, token + '\n', { mode: 0o600 });
  await chmod(file, 0o600);
  return token;
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Cross-site request protection for state-changing requests: a per-session token (an HMAC of the session cookie,
 * put in the page) must come back in `X-CSRF-Token`, and the request's Origin must be this server's own.
 */
export class CsrfGuard {
  private readonly secret = randomBytes(32);
  origins = new Set<string>();

  /** Starts (or continues) the browser's session; returns the token the page must send back. */
  session(c: Context): string {
    let id = getCookie(c, 'semsync_session');
    if (!id || !/^[A-Za-z0-9_-]{20,64}$/.test(id)) {
      id = randomBytes(18).toString('base64url');
      setCookie(c, 'semsync_session', id, { httpOnly: true, sameSite: 'Strict', path: '/' });
    }
    return this.tokenFor(id);
  }

  private tokenFor(id: string): string {
    return createHmac('sha256', this.secret).update(id).digest('base64url');
  }

  /**
   * Whether a page at `origin` is this server's own: one of the addresses it was started with, or the address the
   * request itself came to (its Host, already vouched for: an allowed name on loopback, the token elsewhere), so a
   * page opened at the LAN address of a node on 0.0.0.0 can act.
   */
  allows(origin: string, c: Context): boolean {
    if (this.origins.has(origin)) return true;
    const host = c.req.header('host');
    return Boolean(host) && origin === `http://${host}`;
  }

  /** Why the request must be refused, or null when it may go on. */
  check(c: Context): string | null {
    const origin = c.req.header('origin');
    if (!origin) return 'no Origin header: state-changing requests come from the dashboard page';
    if (!this.allows(origin, c)) return `cross-site request from ${origin} refused`;
    const id = getCookie(c, 'semsync_session');
    const sent = c.req.header('x-csrf-token') ?? '';
    if (!id || !sent || !same(sent, this.tokenFor(id))) return 'missing or wrong CSRF token: reload the dashboard';
    return null;
  }
}

/**
 * Why a request sent by a page of another site is refused (Fetch Metadata, then Origin), or null. Browsers say
 * where a request comes from; other clients (curl, roqet, comunica) send neither header and are not concerned.
 * Only a top-level navigation to the dashboard page may come from elsewhere (a link to it).
 */
export function crossSite(c: Context, guard: CsrfGuard): string | null {
  const site = c.req.header('sec-fetch-site');
  const toPage = c.req.method === 'GET' && c.req.path === '/' && c.req.header('sec-fetch-mode') === 'navigate' && (c.req.header('sec-fetch-dest') ?? 'document') === 'document';
  if (site && site !== 'same-origin' && site !== 'none' && !toPage) return `a request from another site (Sec-Fetch-Site: ${site}) is refused`;
  const origin = c.req.header('origin');
  if (origin !== undefined && !toPage && !guard.allows(origin, c)) return `a request from the page ${origin} is refused: only this node's own pages may call it`;
  return null;
}

/** The CalDAV/CardDAV server's paths (src/dav/server): it authenticates each request itself. */
function isDavPath(p: string): boolean {
  return p === '/dav' || p.startsWith('/dav/') || p === '/.well-known/caldav' || p === '/.well-known/carddav';
}

export async function serveHttp(opts: HttpOptions): Promise<HttpServer> {
  const loopback = isLoopback(opts.host);
  if (!loopback && !opts.token) {
    throw new HttpBindError(
      `refusing to serve HTTP on ${opts.host}: anyone who can reach it could read your graph. ` +
        'Pass --token to require a bearer token (one is generated into HOME/run/http-token), or --token VALUE, or bind 127.0.0.1.',
    );
  }
  const app = new Hono();
  const guard = new CsrfGuard();
  let port = opts.port;
  const allowedHosts = () => new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, `${opts.host}:${port}`]);

  app.use('*', async (c, next) => {
    // Headers only, before anything of the request is read or parsed.
    if (loopback) {
      // A page on another site cannot reach us through DNS rebinding: the Host must be our own.
      const host = c.req.header('host') ?? '';
      if (!allowedHosts().has(host)) return c.text(`unknown Host ${JSON.stringify(host)}; use http://127.0.0.1:${port}/\n`, 403);
    }
    // CalDAV/CardDAV clients (phones, apps) sign in with their account's password (Basic), not the node's token.
    if (opts.token && !isDavPath(c.req.path)) {
      const auth = c.req.header('authorization') ?? '';
      const bearer = /^Bearer\s+(\S+)$/i.exec(auth)?.[1] ?? getCookie(c, 'semsync_token') ?? '';
      const viaQuery = c.req.method === 'GET' && c.req.path === '/' ? new URL(c.req.url).searchParams.get('token') : null;
      if (viaQuery && same(viaQuery, opts.token)) {
        setCookie(c, 'semsync_token', viaQuery, { httpOnly: true, sameSite: 'Strict', path: '/' });
      } else if (!bearer || !same(bearer, opts.token)) {
        c.header('www-authenticate', 'Bearer realm="semsync"');
        return c.text('this node requires a token: send "Authorization: Bearer TOKEN" (the token is in HOME/run/http-token)\n', 401);
      }
    }
    const refused = crossSite(c, guard);
    if (refused) return c.text(refused + '\n', 403);
    c.header('x-content-type-options', 'nosniff');
    c.header('x-frame-options', 'DENY');
    c.header('referrer-policy', 'no-referrer');
    await next();
  });
  const handler = sparqlHandler(opts.sparql);
  app.on(['GET', 'POST', 'PUT', 'DELETE', 'PATCH'], '/sparql', handler);
  opts.routes?.(app, guard);
  app.notFound((c) => c.text('not found\n', 404));
  app.onError((err, c) => {
    opts.log?.('http error', { err: err.message, path: c.req.path });
    return c.text(`internal error: ${err.message}\n`, 500);
  });

  const server: ServerType = await new Promise((resolve, reject) => {
    const s = serve({ fetch: app.fetch, hostname: opts.host, port: opts.port }, () => resolve(s));
    s.once('error', (err: NodeJS.ErrnoException) =>
      reject(new HttpBindError(`cannot serve HTTP on ${opts.host}:${opts.port}: ${err.code === 'EADDRINUSE' ? 'the port is in use (choose another with --http-port, or 0 for any free port)' : err.message}`)),
    );
  });
  port = (server.address() as AddressInfo).port;
  const shown = opts.host.includes(':') && !opts.host.startsWith('[') ? `[${opts.host}]` : opts.host;
  const url = `http://${shown}:${port}/`;
  for (const h of allowedHosts()) guard.origins.add(`http://${h}`);
  return {
    url,
    host: opts.host,
    port,
    tokenRequired: Boolean(opts.token),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as import('node:http').Server).closeAllConnections?.();
      }),
  };
}
