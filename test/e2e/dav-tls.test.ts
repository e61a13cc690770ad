// `semsync start --dav-listen HOST:PORT`: CalDAV/CardDAV over HTTPS with the node's own certificate (made once in the home), whose
// SHA-256 fingerprint `semsync id` prints and the TLS handshake presents; only /dav/ is served there; python3-caldav syncs through it.
import https from 'node:https';
import tls from 'node:tls';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, killAllNodes, ok, startNode, stopNode, type RunningNode } from '../helpers/nodes.js';
import { caldavMissing, runCaldavScript } from '../helpers/dav-clients.js';

const noOpenssl = spawnSync('sh', ['-c', 'command -v openssl']).status !== 0;

describe.skipIf(noOpenssl)('DAV over HTTPS', () => {
  let work: string;
  let node: RunningNode;
  let url: URL;
  let fingerprint: string;
  let password: string;

  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'semsync-davtls-'));
    const home = path.join(work, 'laptop');
    password = (await json<{ password: string }>(home, 'dav', 'serve', 'add', 'phone', '--json')).password;
    node = await startNode(home, { args: ['--dav-listen', '127.0.0.1:0'] });
    const line = node.out.find((l) => l.startsWith('dav https://'))!;
    url = new URL(/^dav (\S+)/.exec(line)![1]);
    fingerprint = /SHA-256 (\S+)\)/.exec(line)![1];
  }, 60_000);
  afterAll(async () => {
    if (node) await stopNode(node);
    killAllNodes();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('presents the certificate made in the home, whose fingerprint `semsync id` prints', async () => {
    expect(fingerprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(await ok(node.home, 'id')).toContain(`dav certificate SHA-256 ${fingerprint}`);
    const presented = await new Promise<string>((resolve, reject) => {
      const s = tls.connect({ host: url.hostname, port: Number(url.port), rejectUnauthorized: false }, () => {
        resolve(s.getPeerCertificate().fingerprint256);
        s.end();
      });
      s.on('error', reject);
    });
    expect(presented).toBe(fingerprint);
    const pem = await readFile(path.join(node.home, 'dav-server', 'tls', 'cert.pem'), 'utf8');
    expect(pem).toContain('BEGIN CERTIFICATE');
  });

  it('shows the accounts, the addresses and the fingerprint on the dashboard', async () => {
    const state = (await (await fetch(`${node.url}api/state`)).json()) as { dav: { address: string; tls: { url: string; fingerprint: string }; accounts: { name: string; policy: string }[] } };
    expect(state.dav.address).toBe(`${node.url}dav/`);
    expect(state.dav.tls).toEqual({ url: url.href, fingerprint });
    expect(state.dav.accounts.map((a) => [a.name, a.policy])).toEqual([['phone', 'personal']]);
    expect(JSON.stringify(state)).not.toContain(password);
  });

  it('serves only DAV there: no SPARQL endpoint, no dashboard; Basic auth required', async () => {
    const ca = await readFile(path.join(node.home, 'dav-server', 'tls', 'cert.pem'), 'utf8');
    const get = (p: string, auth?: string) =>
      new Promise<number>((resolve, reject) => {
        const r = https.request({ host: url.hostname, port: url.port, path: p, method: 'PROPFIND', ca, headers: auth ? { authorization: auth, depth: '0' } : { depth: '0' } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        r.on('error', reject);
        r.end();
      });
    expect(await get('/sparql?query=ASK{}')).toBe(404);
    expect(await get('/')).toBe(404);
    expect(await get('/dav/')).toBe(401);
    expect(await get('/dav/', 'Basic ' + Buffer.from(`phone:${password}`).toString('base64'))).toBe(207);
  });

  it.skipIf(!!caldavMissing())('python3-caldav writes an event over HTTPS, checking the certificate', async () => {
    const script = `
import sys, json, caldav
url, user, pw, ca = sys.argv[1:5]
cal = caldav.DAVClient(url=url, username=user, password=pw, ssl_verify_cert=ca).principal().calendars()[0]
cal.save_event("BEGIN:VCALENDAR\\r\\nVERSION:2.0\\r\\nPRODID:-//e2e//tls//EN\\r\\nBEGIN:VEVENT\\r\\nUID:tls-event\\r\\nDTSTAMP:20250101T000000Z\\r\\nDTSTART:20250601T090000Z\\r\\nSUMMARY:Over TLS\\r\\nEND:VEVENT\\r\\nEND:VCALENDAR\\r\\n")
print(json.dumps({"events": len(cal.events())}))
`;
    const out = (await runCaldavScript(work, script, [url.href, 'phone', password, path.join(node.home, 'dav-server', 'tls', 'cert.pem')])) as { events: number };
    expect(out.events).toBe(1);
    expect(await ok(node.home, 'pim', 'export', '--calendar')).toContain('SUMMARY:Over TLS');
  }, 60_000);
});

