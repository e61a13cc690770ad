// Mounts the node's CalDAV/CardDAV server (src/dav/server) on the node's HTTP server (/dav/ and the RFC 6764 /.well-known/
// redirects), and serves it alone over HTTPS for `semsync start --dav-listen HOST:PORT` (phones on the LAN).
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { Hono, type Context } from 'hono';
import QRCode from 'qrcode';
import { serve, type ServerType } from '@hono/node-server';
import { DavServer, ensureCertificate, lastSeenOf } from '../dav/index.js';
import type { SemsyncNode } from '../node/index.js';
import type { NodeServices } from '../node/index.js';
import { HttpBindError } from './http.js';

type Log = (msg: string, f?: Record<string, unknown>) => void;

/** What the DAV mount needs of a node: its store, its home, and the slots where the node holds its services. */
type DavHost = Pick<SemsyncNode, 'store'> & { readonly paths: { readonly home: string }; services?: NodeServices };

/** The node's service slots (a stand-in node without any gets them here). */
const slots = (node: DavHost): NodeServices => (node.services ??= {});

export function remoteOf(c: Context): string {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  return env?.incoming?.socket?.remoteAddress ?? '';
}

export function mountDav(app: Hono, dav: DavServer): void {
  const handler = (c: Context) => dav.handle(c.req.raw, remoteOf(c));
  for (const p of ['/dav', '/dav/*', '/.well-known/caldav', '/.well-known/carddav']) app.all(p, handler);
}

/** What the dashboard shows of the DAV server: the accounts with their last sync, the addresses, the certificate. */
export async function davDashboard(node: DavHost, httpUrl: string | undefined): Promise<Record<string, unknown>> {
  const dav = nodeDavServer(node);
  const tls = davTlsOf(node);
  const address = httpUrl ? `${httpUrl}dav/` : undefined;
  // A phone reaches the HTTPS listener; the loopback address only serves apps on this machine.
  const base = tls?.url ?? address;
  const accounts = [];
  for (const a of await dav.accounts.list()) {
    const url = base ? `${base}${encodeURIComponent(a.name)}/` : undefined;
    accounts.push({ name: a.name, policy: a.policy ? (a.policy.work ? 'work' : 'custom') : 'personal', created: a.created, ...(await lastSeenOf(node.paths.home, a.name)), url, qr: url ? await qrSvg(url) : undefined });
  }
  return { accounts, address, tls: tls ?? null };
}

const qrCache = new Map<string, Promise<string>>();

/** The account's address as a QR code (SVG text): the address only, never a password (the phone asks for it). */
export function qrSvg(url: string): Promise<string> {
  let svg = qrCache.get(url);
  if (!svg) {
    if (qrCache.size > 100) qrCache.clear();
    qrCache.set(url, (svg = QRCode.toString(url, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 })));
  }
  return svg;
}

/** One DAV server per node, held by the node, whichever listener asks (accounts' state is written by one owner). */
export function nodeDavServer(node: DavHost, log?: Log): DavServer {
  return (slots(node).davServer ??= new DavServer({ store: node.store, home: node.paths.home, log }));
}

/** The node's HTTPS DAV listener, when it runs (for the dashboard). */
export function davTlsOf(node: DavHost): { url: string; fingerprint: string } | undefined {
  return slots(node).davTls;
}

export interface DavTls {
  url: string;
  fingerprint: string;
  close(): Promise<void>;
}

/** `HOST:PORT` (or `[v6]:PORT`) → its parts; a usage error names what is wrong. */
export function parseListen(listen: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(listen.trim());
  const port = Number(m?.[3]);
  if (!m || !(port >= 0 && port < 65536)) throw new HttpBindError(`--dav-listen ${listen}: give HOST:PORT, e.g. 0.0.0.0:8443`);
  return { host: m[1] ?? m[2], port };
}

/** HTTPS with the node's own certificate, serving only /dav/ and /.well-known/ (no SPARQL, no dashboard). */
export async function serveDavTls(node: DavHost, listen: string, log?: Log): Promise<DavTls> {
  const { host, port } = parseListen(listen);
  const cert = await ensureCertificate(node.paths.home);
  const app = new Hono();
  app.use('*', async (c, next) => {
    c.header('strict-transport-security', 'max-age=31536000');
    c.header('x-content-type-options', 'nosniff');
    await next();
  });
  mountDav(app, nodeDavServer(node, log));
  app.notFound((c) => c.text('not found\n', 404));
  app.onError((err, c) => {
    log?.('dav error', { err: err.message, path: c.req.path });
    return c.text('internal error\n', 500);
  });
  const server: ServerType = await new Promise((resolve, reject) => {
    const s = serve({ fetch: app.fetch, hostname: host, port, createServer: https.createServer, serverOptions: { key: cert.key, cert: cert.cert } }, () => resolve(s));
    s.once('error', (err: NodeJS.ErrnoException) => reject(new HttpBindError(`cannot serve DAV on ${host}:${port}: ${err.code === 'EADDRINUSE' ? 'the port is in use' : err.message}`)));
  });
  const bound = (server.address() as AddressInfo).port;
  const shown = host.includes(':') ? `[${host}]` : host;
  const url = `https://${shown}:${bound}/dav/`;
  slots(node).davTls = { url, fingerprint: cert.fingerprint };
  return {
    url,
    fingerprint: cert.fingerprint,
    close: () =>
      new Promise<void>((resolve) => {
        slots(node).davTls = undefined;
        server.close(() => resolve());
        (server as import('node:http').Server).closeAllConnections?.();
      }),
  };
}
