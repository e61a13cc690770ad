// The dashboard's conflicts, recent changes and "add" forms in headless Chromium, over a real node: a conflict settled
// by clicking "Keep theirs", a change undone by clicking Undo (its plan shown first), a share, a host target, a
// CalDAV/CardDAV account and a peer policy added from the forms; a contact found, with its history and where it may go; each checked in the node's state afterwards; screenshots at 1280×800.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SemsyncNode } from '../../src/node/node.js';
import { LocalApi } from '../../src/node/api.js';
import { serveNodeHttp, type NodeHttp } from '../../src/server/node-http.js';
import { withChannel } from '../../src/graph/index.js';
import { CHROMIUM, launchChromium, openDashboard, shot } from '../helpers/chromium.js';

const card = (uid: string, fn: string) => `BEGIN:VCARD\r\nVERSION:3.0\r\nUID:${uid}\r\nFN:${fn}\r\nTEL:+1000\r\nEND:VCARD\r\n`;

let dir: string;
let a: SemsyncNode;
let b: SemsyncNode;
let api: LocalApi;
let http: NodeHttp;
const contacts = async () => (await api.pimExport('contacts', undefined, dir)).text ?? '';

async function edit(node: SemsyncNode, name: string, text: string): Promise<void> {
  const file = path.join(dir, name);
  await writeFile(file, text);
  await new LocalApi(node).pimImport([file], dir);
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'semsync-dash-views-e2e-'));
  a = await SemsyncNode.open({ home: path.join(dir, 'a') });
  b = await SemsyncNode.open({ home: path.join(dir, 'b') });
  api = new LocalApi(a);
  // a conflict: both nodes set the name of u1; B's changes reach A as a sync would bring them
  await edit(b, 'b.vcf', card('u1', 'Ann on B'));
  await new Promise((r) => setTimeout(r, 5));
  await edit(a, 'a.vcf', card('u1', 'Ann on A'));
  // and one settled with a value of one's own: both nodes renamed Cy
  await edit(b, 'b3.vcf', card('u3', 'Cy on B'));
  await new Promise((r) => setTimeout(r, 5));
  await edit(a, 'a3.vcf', card('u3', 'Cy on A'));
  for (const p of b.store.logPatches().patches) await a.store.applyRemote(p);
  // a change to undo: Bob renamed to Robert
  await edit(a, 'bob.vcf', card('u2', 'Bob'));
  await edit(a, 'robert.vcf', card('u2', 'Robert'));
  // a CalDAV/CardDAV account's sync that deleted Dora, and another account's that deleted Eve (as sync.ts records them)
  await edit(a, 'de.vcf', card('u4', 'Dora') + card('u5', 'Eve'));
  await withChannel('dav:office/contacts', () => api.pimRemove('contacts', ['u4']));
  await withChannel('dav:office2/contacts', () => api.pimRemove('contacts', ['u5']));
  http = await serveNodeHttp(a, api, { host: '127.0.0.1', port: 0, queryTimeoutMs: 0 });
}, 60_000);

afterAll(async () => {
  await http?.close();
  await a?.close();
  await b?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the dashboard\'s conflicts, changes and forms in headless Chromium', () => {
  it('settles a conflict, undoes a change, adds a share, a host target, a DAV account and a policy, by clicking', async (ctx) => {
    if (!existsSync(CHROMIUM)) {
      console.log(`skipped: ${CHROMIUM} is missing (apt-get install chromium)`);
      return ctx.skip();
    }
    const browser = await launchChromium(path.join(dir, 'chromium-profile'));
    try {
      const { page, errors } = await openDashboard(browser, http.url);

      // the conflict, side by side: "Ann on A" (mine, shown meanwhile) and "Ann on B"
      const conflict = page.locator('#conflict-list li.conflict', { hasText: 'contact u1' });
      await conflict.waitFor();
      expect(await conflict.locator('.side .value').allTextContents()).toEqual(['Ann on A', 'Ann on B']);
      await shot(page, '#conflicts', 'conflicts');
      await conflict.locator('.side[data-side="theirs"] button').click();
      await conflict.waitFor({ state: 'detached' });
      expect((await api.conflicts()).map((c) => c.uid)).toEqual(['u3']);
      expect(await contacts()).toContain('FN:Ann on B');

      // u3 settled with a value of one's own (`--keep VALUE`), typed beside mine and theirs
      const own = page.locator('#conflict-list li.conflict', { hasText: 'contact u3' });
      await own.locator('.side[data-side="theirs"]').waitFor();
      await own.locator('.side.own input').fill('');
      await own.locator('.side.own button.keep-value').click();
      await own.locator('.side.own .error', { hasText: 'type the value to keep' }).waitFor(); // nothing typed: refused, nothing written
      expect((await api.conflicts()).map((c) => c.uid)).toEqual(['u3']);
      await own.locator('.side.own input').fill('Cy, settled; by hand');
      await shot(page, '#conflicts', 'conflicts-own-value');
      await own.locator('.side.own button.keep-value').click();
      await page.locator('#conflict-list', { hasText: 'no open conflicts' }).waitFor();
      expect(await api.conflicts()).toEqual([]);
      const settled = await contacts();
      expect(settled).toContain('FN:Cy\\, settled\\; by hand');
      expect(settled).not.toMatch(/FN:Cy on [AB]/);

      // the newest change about u2 (the rename): Undo… shows the plan, nothing is done until "Undo it"
      const newest = page.locator('#change-list li.change', { hasText: 'contact u2' }).first();
      await newest.waitFor();
      // by its id: once undone, the undo is the newest change about u2
      const rename = page.locator(`#change-list li.change[data-change="${await newest.getAttribute('data-change')}"]`);
      await rename.locator('button.undo').click();
      await rename.locator('.apply-undo').waitFor();
      expect(await rename.locator('.undo-plan').textContent()).toContain('restore contact u2');
      await shot(page, '#changes', 'changes');
      expect(await contacts()).toContain('FN:Robert');
      await rename.locator('.apply-undo').click();
      await rename.locator('.undo-plan .done').waitFor();
      const text = await contacts();
      expect(text).toContain('FN:Bob');
      expect(text).not.toContain('FN:Robert');

      // everything the account "office" did since its deletion: Dora back, Eve (account office2's deletion) left alone
      const davRow = page.locator('#change-list li.change', { hasText: 'contact u4' }).filter({ has: page.locator('.badge', { hasText: 'dav' }) });
      await davRow.locator('button.undo-window', { hasText: 'server office' }).click();
      await davRow.locator('.apply-undo').waitFor();
      const davPlan = (await davRow.locator('.undo-plan').textContent()) ?? '';
      expect(davPlan).toContain('restore contact u4');
      expect(davPlan).not.toContain('u5');
      await shot(page, '#changes', 'changes-undo-account');
      await davRow.locator('.apply-undo').click();
      await davRow.locator('.undo-plan .done').waitFor();
      expect(await contacts()).toContain('FN:Dora');
      expect(await contacts()).not.toContain('FN:Eve');

      // the forms
      const books = path.join(dir, 'Books');
      const backup = path.join(dir, 'backup');
      await mkdir(books);
      await mkdir(backup);
      await page.fill('#share-add-form input[name="folder"]', books);
      await page.fill('#share-add-form input[name="name"]', 'books');
      await page.click('#share-add-form button');
      await page.locator('#share-rows', { hasText: 'books' }).waitFor();
      expect((await api.shareList()).map((s) => s.name)).toContain('books');
      await page.fill('#target-add-form input[name="dir"]', backup);
      await page.fill('#target-add-form input[name="name"]', 'backup');
      await page.click('#target-add-form button');
      await page.locator('#target-add-form .form-result', { hasText: 'done' }).waitFor();
      expect(await api.targetList()).toContainEqual(expect.objectContaining({ name: 'backup' }));
      const pw = path.join(dir, 'dav-pw');
      await writeFile(pw, 'secret\n', { mode: 0o600 });
      await page.fill('#dav-add-form input[name="url"]', 'http://127.0.0.1:9/dav/me/');
      await page.fill('#dav-add-form input[name="name"]', 'office');
      await page.fill('#dav-add-form input[name="user"]', 'me');
      await page.fill('#dav-add-form input[name="passwordFile"]', pw);
      await page.selectOption('#dav-add-form select', 'work');
      await page.click('#dav-add-form button');
      await page.locator('#dav-client-accounts li[data-dav-client="office"]').waitFor();
      expect(await api.davList()).toEqual([expect.objectContaining({ name: 'office', user: 'me', passwordFile: pw, policy: { work: true } })]);
      await page.fill('#policy-form input[name="target"]', b.nodeId);
      await page.selectOption('#policy-form select', 'work');
      await page.click('#policy-form button');
      await page.locator(`#policy-list li[data-policy="${b.nodeId}"]`, { hasText: 'work' }).waitFor();
      expect((await api.policyShow(b.nodeId)).policy).toEqual({ work: true });
      await shot(page, '#policies', 'policies');

      // contacts and calendars: search, open one, its fields, where it may go (B: work policy) and its history
      await page.fill('#record-q', 'ann');
      await page.locator('#record-list li[data-record="u1"] button').click();
      await page.locator('#record-detail h3', { hasText: 'Ann on B' }).waitFor();
      await page.locator(`#record-detail .goes li[data-target="${b.nodeId}"] .badge`, { hasText: 'goes' }).waitFor();
      expect(await page.locator('#record-detail .history > li').count()).toBeGreaterThanOrEqual(3); // A's, B's, the settling edit
      await shot(page, '#records', 'records');
      await shot(page, '#dav-clients', 'dav-clients');

      // readable at 1280×800: nothing wider than the window
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1280);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 120_000);
});

