// The dashboard's "Calendar and contact servers" panel in headless Chromium: a `semsync start` node with a Radicale
// account syncs by itself; the page shows the account's last sync and the item the server refused; "Sync now" syncs
// again and the time moves. A 1280x800 screenshot goes to /tmp/dash-dav.png. An event deleted on the server is
// brought back with "All by server office since…" in the recent changes, here and (after a sync) there.
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ok, run, startNode, stopNode, until, type RunningNode } from '../helpers/nodes.js';
import { radicaleMissing, startRadicale, type Radicale } from '../helpers/radicale.js';
import { CHROMIUM, launchChromium, openDashboard } from '../helpers/chromium.js';

const missing = radicaleMissing() ?? (existsSync(CHROMIUM) ? undefined : `${CHROMIUM} is missing (apt-get install chromium)`);
if (missing) console.log(`skipping the dashboard's DAV account test: ${missing}`);

const event = (uid: string, summary: string, extra = '') =>
  `BEGIN:VEVENT\r\nUID:${uid}\r\nDTSTAMP:20240101T000000Z\r\nDTSTART:20240110T100000Z\r\n${extra}SUMMARY:${summary}\r\nEND:VEVENT\r\n`;

describe.skipIf(!!missing)('the dashboard shows the CalDAV/CardDAV accounts (Chromium, Radicale)', () => {
  let r: Radicale;
  let dir: string;
  let node: RunningNode | undefined;

  beforeAll(async () => {
    r = await startRadicale();
    dir = await mkdtemp(path.join(os.tmpdir(), 'semsync-dashdav-e2e-'));
    const home = path.join(dir, 'home');
    const ics = path.join(dir, 'mine.ics');
    await writeFile(ics, `BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n${event('standup@x', 'Standup')}${event('bad-rrule@x', 'Never on the server <img src=x onerror=alert(1)>', 'RRULE:FREQ=SOMETIMES\r\n')}END:VCALENDAR\r\n`);
    await ok(home, 'pim', 'import', ics);
    await ok(home, 'dav', 'add', await r.mkcol('office', 'calendar'), '--name', 'office', '--user', r.user, '--password-file', r.passwordFile, '--policy', 'work');
    node = await startNode(home); // syncs the account by itself within a second or so
  }, 90_000);
  afterAll(async () => {
    if (node) await stopNode(node);
    await r?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('"Sync now" is refused without the page\'s token', async () => {
    const res = await fetch(`${node!.url}api/dav-client-sync`, { method: 'POST', headers: { 'content-type': 'application/json', origin: 'http://evil.example' }, body: '{"name":"office"}' });
    expect(res.status).toBe(403);
  });

  it('shows the account, its last sync and the refused item; Sync now moves the time', async () => {
    const browser = await launchChromium(path.join(dir, 'chromium-profile'));
    try {
      const { page, errors } = await openDashboard(browser, node!.url);
      const account = page.locator('#dav-client-accounts li[data-dav-client="office"]');
      await account.waitFor();
      await expect.poll(() => account.locator('.last-sync').count(), { timeout: 30_000 }).toBe(1);
      const text = (await account.textContent()) ?? '';
      expect(text).toContain(`${r.url}/${r.user}/office/`);
      expect(text).not.toContain(r.password);
      expect(text).toContain('work');
      expect(await account.locator('.counts').textContent()).toBe('1 uploaded · 0 downloaded · deleted 0 here, 0 there');
      expect(await account.locator('.badge.result').textContent()).toBe('failed');
      const failure = account.locator('ul.failures li[data-uid="bad-rrule@x"]');
      await failure.waitFor();
      expect(await failure.textContent()).toMatch(/Never on the server.*UID bad-rrule@x.*400.*next try after \d{4}-\d\d-\d\d \d\d:\d\d:\d\d/s);
      expect(await failure.textContent()).toContain('<img src=x onerror=alert(1)>'); // shown as text, never as markup
      expect(await page.locator('#dav-clients img').count()).toBe(0);

      const before = await account.locator('.last-sync').getAttribute('data-at');
      await account.locator('button.sync-now').click();
      await expect.poll(() => account.locator('.last-sync').getAttribute('data-at'), { timeout: 30_000 }).not.toBe(before);
      expect(Date.parse((await account.locator('.last-sync').getAttribute('data-at'))!)).toBeGreaterThan(Date.parse(before!));
      await expect.poll(() => account.locator('button.sync-now').isEnabled()).toBe(true);
      await failure.waitFor(); // backed off, still listed

      await page.locator('#dav-clients').scrollIntoViewIfNeeded();
      await page.screenshot({ path: '/tmp/dash-dav.png' });
      // readable: nothing in the panel is wider than the panel
      const overflow = await page.locator('#dav-clients').evaluate((el) => el.scrollWidth - el.clientWidth);
      expect(overflow).toBeLessThanOrEqual(0);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 120_000);

  it('undoes what the account did since a time: an event deleted on the server comes back, here and there', async () => {
    const office = path.join(r.storage, 'collection-root', r.user, 'office');
    const onServer = async () => { const out: string[] = []; for (const f of (await readdir(office)).filter((x) => x.endsWith('.ics'))) out.push(await readFile(path.join(office, f), 'utf8')); return out.join(''); };
    const file = (await readdir(office)).find((f) => f.endsWith('.ics'));
    expect(await onServer()).toContain('SUMMARY:Standup');
    // someone deletes the event on the server (through its web page, another phone); the next sync brings it here
    const auth = `Basic ${Buffer.from(`${r.user}:${r.password}`).toString('base64')}`;
    const del = await fetch(`${r.url}/${r.user}/office/${file}`, { method: 'DELETE', headers: { authorization: auth } });
    expect(del.status).toBeLessThan(300);
    // (a sync exits 1: the bad-rrule event is still refused by the server; the node may have synced by itself first)
    await until(async () => (await run(node!.home, 'dav', 'sync', 'office'), !(await ok(node!.home, 'pim', 'export', '--calendar')).includes('SUMMARY:Standup')), 30_000, 'the deletion synced in');

    const browser = await launchChromium(path.join(dir, 'chromium-profile-undo'));
    try {
      const { page, errors } = await openDashboard(browser, node!.url);
      const row = page.locator('#change-list li.change', { hasText: 'event standup@x' }).filter({ has: page.locator('.badge', { hasText: /^dav$/ }) }).first();
      await row.locator('button.undo-window', { hasText: 'server office' }).click();
      await row.locator('.apply-undo').waitFor({ timeout: 30_000 });
      expect(await row.locator('.undo-plan').textContent()).toMatch(/Undoing everything server office did since .* will:.*restore event standup/s);
      expect(await ok(node!.home, 'pim', 'export', '--calendar')).not.toContain('SUMMARY:Standup'); // the dry run changed nothing
      await row.locator('.apply-undo').click();
      await row.locator('.undo-plan .done').waitFor({ timeout: 30_000 });
      expect(await ok(node!.home, 'pim', 'export', '--calendar')).toContain('SUMMARY:Standup');
      // an ordinary edit: the next sync puts it back on the server
      await run(node!.home, 'dav', 'sync', 'office');
      expect(await onServer()).toContain('SUMMARY:Standup');
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 120_000);
});
