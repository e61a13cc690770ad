// A DAV server that points elsewhere: hrefs and redirects to another origin are refused before the credentials or a
// contact leave; Basic auth over plain http only on loopback unless --insecure; overlapping accounts refused.
import http from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDefaults, DavClient, discover } from '../../src/dav/index.js';
import { SemsyncNode } from '../../src/node/node.js';
import { NodePim } from '../../src/node/pim.js';
import { freePort } from '../helpers/net.js';

interface Server {
  url: string;
  requests: Array<{ method: string; url: string; authorization?: string; body: string }>;
  close(): void;
}

/** A server that records every request and answers with `reply`. */
async function server(reply: (req: http.IncomingMessage, url: string) => { status: number; headers?: Record<string, string>; body?: string }): Promise<Server> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const requests: Server['requests'] = [];
  const s = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      requests.push({ method: req.method ?? '', url: req.url ?? '', authorization: req.headers.authorization, body });
      const r = reply(req, url);
      res.writeHead(r.status, r.headers ?? {}).end(r.body ?? '');
    });
  });
  await new Promise<void>((ok) => s.listen(port, '127.0.0.1', ok));
  return { url, requests, close: () => s.close() };
}

const multistatus = (responses: Array<{ href: string; props: string }>) => ({
  status: 207,
  headers: { 'content-type': 'application/xml; charset=utf-8' },
  body: `<?xml version="1.0"?><d:multistatus xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">${responses.map((r) => `<d:response><d:href>${r.href}</d:href><d:propstat><d:prop>${r.props}</d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>`).join('')}</d:multistatus>`,
});

describe('a hostile or careless DAV server', () => {
  let collector: Server;
  let dir: string;
  beforeAll(async () => {
    collector = await server(() => ({ status: 200, body: 'thanks' }));
    dir = await mkdtemp(path.join(os.tmpdir(), 'semsync-davhostile-'));
  });
  afterAll(async () => {
    collector?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('hrefs on another origin in a PROPFIND answer: refused, nothing sent there', async () => {
    const evil = await server((req) =>
      multistatus([
        { href: '/dav/', props: '<d:resourcetype><d:collection/></d:resourcetype>' },
        { href: `${collector.url}/steal/calendar/`, props: '<d:resourcetype><d:collection/><c:calendar/></d:resourcetype>' },
      ]));
    try {
      const client = new DavClient(`${evil.url}/dav/`, { user: 'alice', password: 'secret' });
      await expect(discover(client)).rejects.toThrow(/named http:\/\/127\.0\.0\.1:\d+\/steal\/calendar\/, on another server: semsync does not send the account's credentials/);
      await expect(client.list(`${evil.url}/dav/`)).rejects.toThrow(/on another server/);
      expect(() => client.resolve(`${collector.url}/x`)).toThrow(/another server/);
      expect(evil.requests.length).toBeGreaterThan(0);
      expect(evil.requests.every((r) => r.authorization === 'Basic ' + Buffer.from('alice:secret').toString('base64'))).toBe(true);
      expect(collector.requests).toEqual([]);
    } finally {
      evil.close();
    }
  });

  it('a redirect to another origin: not followed, with a clear error; a same-origin redirect is followed', async () => {
    const evil = await server((req, url) => {
      if (req.url === '/moved/') return { status: 301, headers: { location: `${url}/dav/` } };
      if (req.url === '/dav/') return { status: 301, headers: { location: `${collector.url}/dav/` } };
      return { status: 404 };
    });
    try {
      const client = new DavClient(`${evil.url}/moved/`, { user: 'alice', password: 'secret' });
      await expect(client.list(`${evil.url}/moved/`)).rejects.toThrow(/redirected to http:\/\/127\.0\.0\.1:\d+\/dav\/, another server: not followed/);
      expect(evil.requests.map((r) => r.url)).toEqual(['/moved/', '/dav/']);
      expect(collector.requests).toEqual([]);
    } finally {
      evil.close();
    }
  });

  it('a bare server URL: /.well-known/caldav (a same-origin redirect), the principal, its home set, the calendars in it', async () => {
    const srv = await server((req, url) => {
      if (req.url === '/.well-known/caldav') return { status: 301, headers: { location: `${url}/dav/principals/alice/` } };
      if (req.method !== 'PROPFIND') return { status: 404 };
      if (req.url === '/dav/principals/alice/') return multistatus([{ href: '/dav/principals/alice/', props: '<d:resourcetype><d:principal/></d:resourcetype><d:current-user-principal><d:href>/dav/principals/alice/</d:href></d:current-user-principal><c:calendar-home-set><d:href>/dav/cal/alice/</d:href></c:calendar-home-set>' }]);
      if (req.url === '/dav/cal/alice/') {
        return multistatus([
          { href: '/dav/cal/alice/', props: '<d:resourcetype><d:collection/></d:resourcetype>' },
          { href: '/dav/cal/alice/work%40home/', props: '<d:resourcetype><d:collection/><c:calendar/></d:resourcetype><d:displayname>Work</d:displayname>' },
        ]);
      }
      return { status: 404 };
    });
    try {
      const found = await discover(new DavClient(`${srv.url}/`, { user: 'alice', password: 'x' }));
      expect(found.collections).toEqual([{ url: `${srv.url}/dav/cal/alice/work%40home/`, kind: 'calendar', name: 'Work' }]);
      expect(srv.requests.map((r) => r.url)).toContain('/.well-known/caldav');
      expect(collector.requests).toEqual([]);
    } finally {
      srv.close();
    }
  });

  it('an account with no collection, where the server refuses to create one: a message that says what to do', async () => {
    const bare = await server((req) =>
      req.method === 'PROPFIND' ? multistatus([{ href: '/dav/', props: '<d:resourcetype><d:collection/></d:resourcetype>' }]) : { status: 403 });
    try {
      const client = new DavClient(`${bare.url}/dav/`);
      const found = await discover(client);
      expect(found.collections).toEqual([]);
      await expect(createDefaults(client, found)).rejects.toThrow(/no calendar or address book, and creating http:\/\/127\.0\.0\.1:\d+\/dav\/contacts\/ with MKCOL \(extended, RFC 5689\) was refused \(403\); create one in the server's web interface/);
      expect(bare.requests.map((r) => r.method)).toContain('MKCOL');
    } finally {
      bare.close();
    }
  });

  it('Basic auth over plain http: only to this machine, unless --insecure', async () => {
    expect(() => new DavClient('http://dav.example.com/alice/', { user: 'alice', password: 'x' })).toThrow(/refusing to send the password over plain http/);
    expect(() => new DavClient('http://192.0.2.7/alice/', { user: 'alice', password: 'x', insecure: true })).not.toThrow();
    expect(() => new DavClient('https://dav.example.com/alice/', { user: 'alice', password: 'x' })).not.toThrow();
    expect(() => new DavClient('http://[::1]:5232/alice/', { user: 'alice', password: 'x' })).not.toThrow();
    const node = await SemsyncNode.open({ home: path.join(dir, 'home') });
    try {
      const pim = NodePim.for(node);
      await writeFile(path.join(dir, 'pw'), 'x\n');
      await expect(pim.dav.add('http://dav.example.com/alice/', { user: 'alice', passwordFile: path.join(dir, 'pw') }, dir)).rejects.toThrow(/plain http.*--insecure/);
      const a = await pim.dav.add('http://dav.example.com/alice/', { user: 'alice', passwordFile: path.join(dir, 'pw'), insecure: true }, dir);
      expect(a.insecure).toBe(true);
      // Overlapping accounts (a home and a calendar in it) would sync one collection twice: refused.
      await expect(pim.dav.add('http://dav.example.com/alice/calendar/', { name: 'cal', insecure: true }, dir)).rejects.toThrow(/overlaps the account "dav.example.com"/);
      await expect(pim.dav.add('http://DAV.example.com/%61lice/calendar/', { name: 'cal2', insecure: true }, dir)).rejects.toThrow(/overlaps/);
      await pim.dav.remove('dav.example.com');
      expect(await pim.dav.accounts()).toEqual([]);
    } finally {
      await node.close();
    }
  });
});
