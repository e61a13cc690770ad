// The real CLI's `semsync start` as a child process: SPARQL with curl/roqet, the dashboard in headless Chromium, pairing, claiming, SIGTERM.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliSpawn, stop } from '../helpers/cli.js';
import { startNode, type RunningNode } from '../helpers/nodes.js';
import { CHROMIUM, launchChromium, openDashboard, shot } from '../helpers/chromium.js';

const run = promisify(execFile);
const repo = path.resolve(import.meta.dirname, '..', '..');
const cli = path.join(repo, 'dist', 'src', 'cli', 'main.js');
const corpus = path.resolve(repo, '..', 'shared', 'corpus');
const have = (cmd: string) => run('sh', ['-c', `command -v ${cmd}`]).then(() => true, () => false);

const start = (home: string) => startNode(home);

const semsync = (home: string, ...args: string[]) => run(process.execPath, [cli, '--home', home, ...args]);

let tmp: string;
let homeA: string;
let homeB: string;
let a: RunningNode | undefined;
let b: RunningNode | undefined;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'semsync-dash-'));
  homeA = path.join(tmp, 'a');
  homeB = path.join(tmp, 'b');
  const lib = path.join(tmp, 'library');
  await mkdir(lib, { recursive: true });
  for (const f of ['photos/IMG_5910.jpg', 'photos/img_1771.jpg']) await copyFile(path.join(corpus, f), path.join(lib, path.basename(f)));
  const epub = (await readdir(path.join(corpus, 'epub'))).find((f) => f.endsWith('.epub'));
  if (epub) await copyFile(path.join(corpus, 'epub', epub), path.join(lib, epub));
  const player = path.join(tmp, 'player');
  await mkdir(player);
  await writeFile(path.join(player, '.is_audio_player'), 'audio_folders=Music/\noutput_formats=audio/mpeg\n');
  await semsync(homeA, 'share', 'add', lib, '--name', 'library');
  await semsync(homeA, 'devices', 'roots', 'add', player);
  a = await start(homeA);
  b = await start(homeB);
}, 120_000);

afterAll(async () => {
  for (const s of [a, b]) if (s && s.proc.exitCode === null) s.proc.kill('SIGKILL');
  await rm(tmp, { recursive: true, force: true });
});

describe('semsync start serves HTTP', () => {
  it('reports the chosen port on stdout and in `semsync status --json`', async () => {
    const { stdout } = await semsync(homeA, 'status', '--json');
    const status = JSON.parse(stdout);
    expect(status.running).toBe(true);
    expect(status.http.url).toBe(a!.url);
    expect(status.statements).toBeGreaterThan(0);
    expect(status.shares.map((s: { name: string }) => s.name)).toEqual(['library']);
  });

  it('answers SPARQL over the protocol to curl and roqet', async () => {
    const q = 'SELECT ?c ?lat WHERE { ?c geo:lat ?lat } ORDER BY ?lat';
    const { stdout } = await run('curl', ['-s', '-G', '-H', 'Accept: text/csv', '--data-urlencode', `query=${q}`, `${a!.url}sparql`]);
    const lines = stdout.trim().split('\r\n');
    expect(lines[0]).toBe('c,lat');
    expect(lines.length).toBeGreaterThanOrEqual(2);
    if (!(await have('roqet'))) return console.log('skipped roqet: not installed (apt-get install rasqal-utils)');
    const full = 'SELECT ?c ?lat WHERE { ?c <http://www.w3.org/2003/01/geo/wgs84_pos#lat> ?lat }';
    const r = await run('roqet', ['-p', `${a!.url}sparql`, '-r', 'csv', '-e', full]);
    expect(r.stdout.trim().split(/\r?\n/).length).toBe(lines.length);
  });

  it('refuses a state change without the page token (CSRF)', async () => {
    const res = await fetch(`${a!.url}api/pair`, { method: 'POST', headers: { 'content-type': 'application/json', origin: 'http://evil.example' }, body: '{"peerId":"x"}' });
    expect(res.status).toBe(403);
  });

  it('refuses a dashboard action body past its size limit with 413', async () => {
    const page = await openPage(a!.url);
    const big = JSON.stringify({ peerId: 'x', name: 'n'.repeat(1 << 20) });
    const res = await fetch(`${a!.url}api/pair`, { method: 'POST', headers: page.headers(a!.url), body: big });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: string }).error).toMatch(/larger than \d+ bytes/);
  });
});

describe('on 0.0.0.0 with a token', () => {
  it('prints where the token is, and the dashboard acts from the LAN address it was opened at', async () => {
    const home = path.join(tmp, 'c');
    const c = cliSpawn(home, ['start', '--listen', '/ip4/127.0.0.1/tcp/0', '--no-mdns', '--http-port', '0', '--http-host', '0.0.0.0', '--token']);
    try {
      await c.waitFor(/^ready$/m, 60_000);
      const tokenFile = path.join(home, 'run', 'http-token');
      expect(c.output()).toContain(`http token in ${tokenFile}`);
      const token = (await readFile(tokenFile, 'utf8')).trim();
      const port = /^http http:\/\/0\.0\.0\.0:(\d+)\//m.exec(c.output())![1];
      // the address a browser on the LAN uses (this machine's own, or another loopback one when it has none)
      const lan = Object.values(os.networkInterfaces()).flat().find((i) => i && i.family === 'IPv4' && !i.internal)?.address ?? '127.0.0.2';
      const base = `http://${lan}:${port}/`;
      expect((await fetch(`${base}api/state`)).status).toBe(401);
      const page = await openPage(`${base}?token=${token}`);
      const idB = JSON.parse((await semsync(homeB, 'id', '--json')).stdout) as { peerId: string };
      const res = await fetch(`${base}api/pair`, { method: 'POST', headers: page.headers(base), body: JSON.stringify({ peerId: idB.peerId, name: 'from the LAN' }) });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { ok: boolean }).ok).toBe(true);
      const other = await fetch(`${base}api/unpair`, { method: 'POST', headers: { ...page.headers(base), origin: 'http://192.0.2.99:7878' }, body: JSON.stringify({ peerId: idB.peerId }) });
      expect(other.status).toBe(403); // another address's page still may not
    } finally {
      await stop(c.child);
    }
  }, 120_000);
});

/** Opens the dashboard page like a browser: its cookies and CSRF token, as the headers an action from it sends. */
async function openPage(url: string): Promise<{ headers(base: string): Record<string, string> }> {
  const res = await fetch(url, { redirect: 'manual' });
  expect(res.status).toBe(200);
  const cookie = res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const csrf = /<meta name="csrf-token" content="([^"]+)">/.exec(await res.text())![1];
  return { headers: (base) => ({ 'content-type': 'application/json', origin: base.replace(/\/$/, ''), cookie, 'x-csrf-token': csrf }) };
}

describe('the dashboard in headless Chromium', () => {
  it('runs a query, maps a photo, pairs node B and claims a device', async (ctx) => {
    if (!existsSync(CHROMIUM)) {
      console.log(`skipped: ${CHROMIUM} is missing (apt-get install chromium)`);
      return ctx.skip();
    }
    const profile = path.join(tmp, 'chromium-profile');
    // a fresh --user-data-dir: playwright passes the profile folder itself
    const browser = await launchChromium(profile, 1100);
    try {
      const { page, errors } = await openDashboard(browser, a!.url);
      await page.waitForSelector('#live.on');

      // the SPARQL editor: an example query, rows in the table
      await page.selectOption('#examples', 'Photos with a position');
      await page.click('#run');
      await page.waitForSelector('#results tbody tr');
      expect(await page.locator('#results tbody tr').count()).toBeGreaterThanOrEqual(1);
      expect(await page.locator('#results thead th').allTextContents()).toEqual(['file', 'lat', 'long']);

      // a shared photo with GPS on the offline map
      await page.waitForSelector('#map circle.photo');
      expect(await page.locator('#map circle.photo').count()).toBeGreaterThanOrEqual(1);
      // country outlines (world-atlas drawn by d3-geo on the node), no tile server: one path with many rings
      await page.waitForSelector('#map path.land');
      const land = (await page.locator('#map path.land').getAttribute('d')) ?? '';
      expect(land.split('M').length).toBeGreaterThan(100);
      const mapShot = await page.locator('#map').screenshot({ path: path.join(tmp, 'map.png') });
      expect(await colours(page, mapShot.toString('base64'))).toBeGreaterThan(3);
      await copyFile(path.join(tmp, 'map.png'), path.join(os.tmpdir(), 'semsync-map.png')).catch(() => {});
      // the photos in the library show a picture read from the file (its EXIF thumbnail), not a placeholder
      await expect
        .poll(() => page.evaluate(() => [...document.querySelectorAll('img.cover')].filter((i) => (i as HTMLImageElement).naturalWidth > 0 && /Squirrel/.test((i as HTMLImageElement).alt)).length), { timeout: 15_000 })
        .toBeGreaterThanOrEqual(1);

      // a new device: the prompt, then claimed from the page as what it is
      const prompt = page.locator('#claim-prompts .prompt');
      await prompt.first().waitFor();
      await expect.poll(() => prompt.first().locator('.preview').textContent()).toMatch(/takes|Would place/);
      const shot1 = await page.screenshot({ path: path.join(tmp, 'dashboard.png'), fullPage: true });
      // it asks what it is: "Music player" claims it taking music
      await prompt.first().locator('button[data-what="player"]').click();
      await expect.poll(() => page.locator('#device-list .badge.on').count(), { timeout: 15_000 }).toBeGreaterThanOrEqual(1);
      const devices = JSON.parse((await semsync(homeA, 'devices', '--json')).stdout) as Array<{ state: string; accepts?: string[] }>;
      expect(devices.find((d) => d.state === 'claimed')?.accepts).toEqual(['music']);

      // pair node B from the page; B pairs back from its CLI; both sides end "paired"
      const idB = JSON.parse((await semsync(homeB, 'id', '--json')).stdout) as { peerId: string; addrs: string[] };
      const idA = JSON.parse((await semsync(homeA, 'id', '--json')).stdout) as { peerId: string; addrs: string[] };
      await page.fill('#pair-id', idB.peerId);
      await page.click('#pair-form button');
      const row = page.locator(`#paired li[data-peer="${idB.peerId}"]`);
      await row.waitFor();
      await semsync(homeB, 'pair', idA.peerId, ...idA.addrs.flatMap((x) => ['--addr', x]));
      // A dials B when it knows an address; give it B's by pairing with one too (the page pair had none)
      await semsync(homeA, 'pair', idB.peerId, ...idB.addrs.flatMap((x) => ['--addr', x])).catch(() => {});
      await expect.poll(() => row.locator('.badge').textContent(), { timeout: 45_000, interval: 500 }).toMatch(/^paired/);

      const shot2 = await page.screenshot({ path: path.join(tmp, 'dashboard-paired.png'), fullPage: true });
      for (const shot of [shot1, shot2]) expect(await colours(page, shot.toString('base64'))).toBeGreaterThan(20);
      await copyFile(path.join(tmp, 'dashboard-paired.png'), path.join(os.tmpdir(), 'semsync-dashboard.png')).catch(() => {});
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 180_000);
});

/** Distinct colours in a screenshot, counted by the page itself (a blank page has one or two). */
async function colours(page: import('playwright-core').Page, b64: string): Promise<number> {
  return page.evaluate(async (data) => {
    const img = new Image();
    img.src = `data:image/png;base64,${data}`;
    await img.decode();
    const c = document.createElement('canvas');
    c.width = img.width;
    c.height = img.height;
    const g = c.getContext('2d')!;
    g.drawImage(img, 0, 0);
    const px = g.getImageData(0, 0, c.width, c.height).data;
    const seen = new Set<number>();
    for (let i = 0; i < px.length; i += 4 * 7) seen.add((px[i] << 16) | (px[i + 1] << 8) | px[i + 2]);
    return seen.size;
  }, b64);
}

describe('stopping', () => {
  it('exits 0 on SIGTERM, and status then says no node runs', async () => {
    for (const s of [a!, b!]) s.proc.kill('SIGTERM');
    expect(await a!.exited).toBe(0);
    expect(await b!.exited).toBe(0);
    const st = await semsync(homeA, 'status', '--json').catch((e: { code: number; stdout: string }) => e);
    expect((st as { code?: number }).code).toBe(1);
    expect(JSON.parse((st as { stdout: string }).stdout).running).toBe(false);
  }, 60_000);
});
