// `semsync start --dav-listen HOST:PORT`: CalDAV/CardDAV over HTTPS with the node's own certificate (made once in the home), whose
// SHA-256 fingerprint `semsync id` prints and the TLS handshake presents; only /dav/ is served there; python3-caldav syncs through it.
import https from 'node:https';
import tls from 'node:tls';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, killAllNodes, ok, startNode, stopNode, type RunningNode } from '../helpers/nodes.js';
import { caldavMissing, runCaldavScript } from '../helpers/dav-clients.js';

const CHROMIUM = '/usr/bin/chromium';
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

  it("draws a QR code of the account's HTTPS address in the dashboard, with the fingerprint beside it (headless Chromium)", async (ctx) => {
    const state = (await (await fetch(`${node.url}api/state`)).json()) as { dav: { accounts: { url: string; qr: string }[] } };
    expect(state.dav.accounts[0].url).toBe(`${url.href}phone/`);
    expect(state.dav.accounts[0].qr).toMatch(/^<svg/);
    if (!existsSync(CHROMIUM)) return ctx.skip();
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'] });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 1100 } });
      await page.goto(node.url);
      const img = page.locator('#dav-accounts figure img');
      await img.waitFor({ timeout: 20_000 });
      await page.waitForFunction(() => (document.querySelector('#dav-accounts figure img') as HTMLImageElement | null)?.complete === true);
      expect(await page.locator('#dav-accounts figcaption').textContent()).toContain(fingerprint);
      expect(await page.locator('#dav-accounts figcaption').textContent()).toContain(`${url.href}phone/`);
      // The picture is a QR code: drawn, about half of its modules dark.
      const dark = await img.evaluate((el: HTMLImageElement) => {
        const c = document.createElement('canvas');
        c.width = c.height = 160;
        const g = c.getContext('2d')!;
        g.drawImage(el, 0, 0, 160, 160);
        const px = g.getImageData(0, 0, 160, 160).data;
        let n = 0;
        for (let i = 0; i < px.length; i += 4) if (px[i + 3] > 0 && px[i] < 100) n++;
        return n / (160 * 160);
      });
      expect(dark).toBeGreaterThan(0.2);
      expect(dark).toBeLessThan(0.7);
      await img.screenshot({ path: path.join(work, 'dav-qr.png') });
    } finally {
      await browser.close();
    }
  }, 60_000);

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

