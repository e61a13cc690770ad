// The dashboard's prompts and peer undo in headless Chromium, over two real `semsync start` processes: a new device
// asks what it is ("Ebook reader" claims it taking ebooks only: its device.ttl); node B pairs with A and A's page asks
// "personal or work" ("Work" pairs B with the work policy); B deletes A's contacts and "All by B since…" undoes it
// (the dry run first), the contacts back on A and on B. Each checked in the node's state; screenshots at 1280×800.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDeviceTtl } from '../../src/devices/index.js';
import { json, ok, startNode, stopNode, until, type RunningNode } from '../helpers/nodes.js';
import { CHROMIUM, launchChromium, openDashboard, shot } from '../helpers/chromium.js';

const card = (uid: string, fn: string) => `BEGIN:VCARD\r\nVERSION:3.0\r\nUID:${uid}\r\nFN:${fn}\r\nEND:VCARD\r\n`;
const NAMES = ['Ada Lovelace', 'Grace Hopper', 'Alan Turing'];

let dir: string;
let a: RunningNode | undefined;
let b: RunningNode | undefined;
let reader: string;

const contacts = (home: string) => ok(home, 'pim', 'export', '--contacts');

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'semsync-dash-prompts-e2e-'));
  const [homeA, homeB] = [path.join(dir, 'a'), path.join(dir, 'b')];
  // a plain folder as a media root: an attached device nobody has claimed
  reader = path.join(dir, 'reader');
  await mkdir(reader, { recursive: true });
  await ok(homeA, 'devices', 'roots', 'add', reader);
  const vcf = path.join(dir, 'people.vcf');
  await writeFile(vcf, NAMES.map((n, i) => card(`c${i + 1}`, n)).join(''));
  await ok(homeA, 'pim', 'import', vcf);
  a = await startNode(homeA);
  b = await startNode(homeB);
}, 120_000);

afterAll(async () => {
  for (const n of [a, b]) if (n) await stopNode(n);
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the prompts\' actions', () => {
  it('are refused without the page\'s token, like every dashboard action', async () => {
    for (const [p, body] of [['api/pair-as', { peerId: b!.peerId, what: 'personal' }], ['api/claim-as', { deviceId: 'x', what: 'ebook' }], ['api/undo-peer', { peer: b!.peerId, since: '1h' }]] as const) {
      const res = await fetch(`${a!.url}${p}`, { method: 'POST', headers: { 'content-type': 'application/json', origin: 'http://evil.example' }, body: JSON.stringify(body) });
      expect(res.status, p).toBe(403);
    }
    expect(await json<unknown[]>(a!.home, 'peers', '--json')).toEqual([]);
  });
});

if (!existsSync(CHROMIUM)) console.log(`skipping the dashboard prompt tests in Chromium: ${CHROMIUM} is missing (apt-get install chromium)`);

describe.skipIf(!existsSync(CHROMIUM))('a new device, a new peer and a peer\'s undo from the dashboard (Chromium, two nodes)', () => {
  it('claims a device as an ebook reader, pairs B as work, undoes what B did', async () => {
    const browser = await launchChromium(path.join(dir, 'chromium-profile'));
    try {
      const { page, errors } = await openDashboard(browser, a!.url);

      // 1. the new device asks what it is; "Ebook reader" claims it taking ebooks only
      const device = page.locator('#claim-prompts .prompt', { hasText: reader });
      await device.waitFor({ timeout: 30_000 });
      expect(await device.locator('button[data-what]').allTextContents()).toEqual(['Ebook reader', 'Music player', 'Phone', 'Camera card / photos', 'Something else']);
      await shot(page, '#claim-prompts', 'device-prompt');
      await device.locator('input[name="name"]').fill('Kobo');
      await device.locator('button[data-what="ebook"]').click();
      await device.waitFor({ state: 'detached', timeout: 15_000 });
      const rows = await json<Array<{ root: string; state: string; name: string; accepts?: string[] }>>(a!.home, 'devices', '--json');
      expect(rows.find((r) => r.root === reader), JSON.stringify(rows)).toMatchObject({ state: 'claimed', name: 'Kobo', accepts: ['ebook'] });
      const ttl = parseDeviceTtl(await readFile(path.join(reader, '.semsync', 'device.ttl'), 'utf8'));
      expect(ttl.accepts).toEqual(['ebook']);

      // 2. B pairs with A; A's page asks what B is; "Work" pairs it with the work policy, named as typed
      await ok(b!.home, 'pair', a!.peerId, '--addr', a!.addr);
      const peer = page.locator(`#peer-prompts .prompt[data-peer-prompt="${b!.peerId}"]`);
      await peer.waitFor({ timeout: 45_000 });
      await peer.locator('strong', { hasText: 'asks to pair' }).waitFor();
      await shot(page, '#peer-prompts', 'peer-prompt');
      // "Not now" puts it off; the Nearby list's "Pair…" asks again (it never pairs without a policy)
      await peer.locator('button.not-now').click();
      await peer.waitFor({ state: 'detached' });
      await page.locator(`#nearby li:has(span[title="${b!.peerId}"]) button.ask-pair`).click();
      await peer.waitFor();
      expect((await json<{ policy: unknown }>(a!.home, 'policy', 'show', b!.peerId, '--json')).policy).toBeNull();
      await peer.locator('input[name="name"]').fill('office laptop');
      await peer.locator('button[data-what="work"]').click();
      await peer.waitFor({ state: 'detached', timeout: 15_000 });
      const peers = await json<Array<{ peerId: string; name?: string; state: string }>>(a!.home, 'peers', '--json');
      expect(peers.find((p) => p.peerId === b!.peerId)).toMatchObject({ name: 'office laptop', state: expect.stringMatching(/^(paired|waiting)$/) });
      expect((await json<{ policy: unknown }>(a!.home, 'policy', 'show', b!.peerId, '--json')).policy).toEqual({ work: true });
      await until(async () => (await json<Array<{ peerId: string; state: string }>>(a!.home, 'peers', '--json')).some((p) => p.peerId === b!.peerId && p.state === 'paired'), 60_000, 'B paired on both sides');

      // 3. A's contacts reach B (work: plain contacts go); B deletes them ("a phone that wiped its address book")
      await ok(b!.home, 'policy', 'set', a!.peerId, '--personal');
      const allOn = async (home: string) => { const t = await contacts(home); return NAMES.every((n) => t.includes(`FN:${n}`)); };
      await until(() => allOn(b!.home), 60_000, 'the contacts on B');
      await ok(b!.home, 'pim', 'remove', '--contacts', 'c1', 'c2', 'c3');
      await until(async () => !(await contacts(a!.home)).includes('FN:'), 60_000, 'the deletion on A');

      // the deletion by B in A's recent changes: "All by office laptop since…" shows the plan, "Undo it" does it
      const deletion = page.locator(`#change-list li.change[data-author="${b!.peerId}"]`, { hasText: 'contact c1' }).first();
      await deletion.waitFor({ timeout: 30_000 });
      await deletion.locator('button.undo-window').click();
      await deletion.locator('.apply-undo').waitFor();
      const plan = (await deletion.locator('.undo-plan').textContent()) ?? '';
      for (const uid of ['c1', 'c2', 'c3']) expect(plan).toContain(`restore contact ${uid}`);
      expect(plan).toContain('everything office laptop did since');
      await shot(page, '#changes', 'changes-undo-peer');
      expect(await contacts(a!.home)).not.toContain('FN:'); // the dry run changed nothing
      await deletion.locator('.apply-undo').click();
      await deletion.locator('.undo-plan .done').waitFor({ timeout: 30_000 });
      const back = await contacts(a!.home);
      for (const n of NAMES) expect(back).toContain(`FN:${n}`);
      // the undo is an ordinary edit: it syncs to B too
      await until(() => allOn(b!.home), 60_000, 'the contacts back on B');

      // the window form refuses what is not a time, and changes nothing
      await page.fill('#undo-peer-form input[name="peer"]', 'office laptop');
      await page.fill('#undo-peer-form input[name="since"]', 'since the dawn of time');
      await page.click('#undo-peer-form button[type="submit"]');
      await page.locator('#undo-peer-form .undo-plan .error', { hasText: 'not a time' }).waitFor();
      expect(await allOn(a!.home)).toBe(true);

      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1280);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 300_000);
});

