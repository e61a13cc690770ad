// Mounts the node's CalDAV/CardDAV server (src/dav/server) on a hono app: /dav/ and the RFC 6764 /.well-known/ redirects.
import type { Context, Hono } from 'hono';
import { DavServer } from '../dav/index.js';
import type { SemsyncNode } from '../node/node.js';

export function remoteOf(c: Context): string {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  return env?.incoming?.socket?.remoteAddress ?? '';
}

export function mountDav(app: Hono, dav: DavServer): void {
  const handler = (c: Context) => dav.handle(c.req.raw, remoteOf(c));
  for (const p of ['/dav', '/dav/*', '/.well-known/caldav', '/.well-known/carddav']) app.all(p, handler);
}

export function nodeDavServer(node: SemsyncNode, log?: (msg: string, f?: Record<string, unknown>) => void): DavServer {
  return new DavServer({ store: node.store, home: node.paths.home, log });
}
