import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DESKTOP, launchBrowser, PHONE, SCREENSHOT_DIR, WEB_DIR, openSessionsDrawer } from '../support/browser.js';
import { fake, startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(join(WEB_DIR, 'index.html'))) throw new Error('dist/web is not built: run `npm run build:web` (npm test does)');
  server = await startTestServer({ webDir: WEB_DIR });
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function openSession(page: Page, name: string, phone: boolean) {
  await page.goto(server.url);
  // On a phone with no session open the list is the whole page; later it
  // sits in a drawer behind the "Sessions" button.
  await openSessionsDrawer(page);
  await page.getByLabel('Name').fill(name);
  await page.getByRole('button', { name: 'New session' }).click();
  await expect.poll(() => page.getByRole('combobox', { name: 'Message' }).isEnabled()).toBe(true);
}

describe.each([
  ['phone', PHONE],
  ['desktop', DESKTOP],
] as const)('the plain page on a %s', (label, viewport) => {
  it('creates a session, runs a prompt with a tool call, and shows the answer and the cost', async () => {
    const context = await browser.newContext({ viewport });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    page.on('console', (msg) => {
      if (msg.type() === 'error') errors.push(msg.text());
    });
    try {
      await openSession(page, `Browser ${label}`, label === 'phone');
      const box = page.getByRole('combobox', { name: 'Message' });
      await box.fill(fake([{ tool: { name: 'Bash', input: { command: 'ls -la' }, output: 'a.txt\nb.txt', delayMs: 300 } }, { text: 'All <b>done</b> here', chunks: 4, delayMs: 50 }]));
      await box.press('Enter');
      await expect.poll(() => page.getByText('ls -la').count(), { timeout: 15_000 }).toBeGreaterThan(0);
      await page.getByText('All <b>done</b> here').waitFor({ timeout: 15_000 });
      // The footer shows the run's status and cost.
      await page.getByText('success').first().waitFor();
      await page.locator('.transcript').getByText('$0.0010').first().waitFor();
      // The answer is text, not HTML: no <b> element was made from it.
      expect(await page.locator('.transcript b').count()).toBe(0);
      await page.screenshot({ path: join(SCREENSHOT_DIR, `plain-page-${label}.png`), fullPage: false });
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('queues a second prompt during a run, runs it after, and interrupts a long run', async () => {
    const context = await browser.newContext({ viewport });
    const page = await context.newPage();
    try {
      await openSession(page, `Queue ${label}`, label === 'phone');
      const box = page.getByRole('combobox', { name: 'Message' });
      await box.fill(fake([{ text: 'slow one', chunks: 10, delayMs: 150 }]));
      await box.press('Enter');
      await box.fill('second prompt');
      await box.press('Enter');
      await page.getByRole('button', { name: 'Cancel' }).first().waitFor({ timeout: 10_000 });
      await page.screenshot({ path: join(SCREENSHOT_DIR, `plain-page-queue-${label}.png`) });
      await page.getByText('Echo: second prompt').waitFor({ timeout: 20_000 });
      await box.fill(fake([{ text: 'never ending', chunks: 100, delayMs: 200 }]));
      await box.press('Enter');
      await page.getByRole('button', { name: 'Interrupt' }).click({ timeout: 10_000 });
      await page.getByText('interrupted').first().waitFor({ timeout: 15_000 });
    } finally {
      await context.close();
    }
  });
});
