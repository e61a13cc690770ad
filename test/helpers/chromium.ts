// Debian's Chromium driven by playwright-core for the dashboard tests: where it is, a headless browser with a
// fresh profile, a page on a URL with its errors collected, and a screenshot check (not blank, nothing overflowing).
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/** Why the browser tests cannot run here, or undefined. */
export function chromiumMissing(): string | undefined {
  return existsSync(CHROMIUM) ? undefined : `${CHROMIUM} is missing (apt-get install chromium)`;
}

/** A headless Chromium with a fresh profile folder (`--user-data-dir`), the window 1280 wide. */
export async function launchChromium(profile: string, height = 800): Promise<BrowserContext> {
  const { chromium } = await import('playwright-core');
  return chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** A new page at `url` once the dashboard says it is ready; the page's script errors collect in `errors`; dialogs are accepted. */
export async function openDashboard(browser: BrowserContext, url: string): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('dialog', (d) => void d.accept());
  await page.goto(url);
  await page.waitForSelector('body[data-ready="true"]');
  return { page, errors };
}

/** A screenshot of one view (kept in the temp folder for a person to look at): not blank, no element's content past its box. */
export async function shot(page: Page, selector: string, name: string): Promise<void> {
  const png = await page.locator(selector).screenshot({ path: path.join(os.tmpdir(), `semsync-dashboard-${name}.png`) });
  const colours = await page.evaluate(async (data) => {
    const img = new Image();
    img.src = `data:image/png;base64,${data}`;
    await img.decode();
    const c = document.createElement('canvas');
    [c.width, c.height] = [img.width, img.height];
    const g = c.getContext('2d')!;
    g.drawImage(img, 0, 0);
    const px = g.getImageData(0, 0, c.width, c.height).data;
    const seen = new Set<number>();
    for (let i = 0; i < px.length; i += 4 * 3) seen.add((px[i] << 16) | (px[i + 1] << 8) | px[i + 2]);
    return seen.size;
  }, png.toString('base64'));
  expect(colours, `${name}: a blank screenshot`).toBeGreaterThan(5);
  // readable: no element's content runs past its box (text cut off or spilling over a neighbour)
  const overflow = await page.locator(selector).evaluate((root) => [root, ...root.querySelectorAll('*')].filter((e) => e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX === 'visible' && e.clientWidth > 0).map((e) => `${e.tagName}.${e.className}`));
  expect(overflow, `${name}: content wider than its box`).toEqual([]);
}
