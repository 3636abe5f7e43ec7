/**
 * Every main screen of the app, audited by axe-core at a phone and a desktop
 * size: the first screen (on a phone the session list and the new-session
 * form are the page), an empty session, a running run with a queued prompt,
 * a finished run with a tool card and markdown, the command completion, the
 * phone's drawer, the rename and delete dialogs, and the usage page. A serious or critical
 * violation fails the test (any violation, in fact: see audit()). The
 * finished runs are audited in dark mode too. Each screen is also saved as a
 * screenshot.
 *
 * The login page and the offline app are audited where they are reached:
 * login.test.ts and pwa.test.ts.
 */
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectAccessible } from '../support/axe.js';
import { DESKTOP, launchBrowser, PHONE, SCREENSHOT_DIR, WEB_DIR, openSessionsDrawer } from '../support/browser.js';
import { startTestServer, type TestServer } from '../support/server.js';

/** An answer whose headings skip a level, with code and a table wider than a phone. */
const ANSWER = [
  '# Findings',
  'The test failed on a **replayed** event.',
  '### The fix',
  '- compare with `<=`\n- run the tests again',
  '```ts\nif (event.seq <= state.lastSeq) return state; // a replayed event, already applied: the same object back, so nothing re-renders\n```',
  '| file | line | change | why it matters for the replay after a reconnect |\n|---|---:|---|---|\n| web/state/reducer.ts | 111 | `<` to `<=` | the last event seen was applied twice |',
].join('\n\n');
/** Taller than the tool card's output box, so it scrolls. */
const TOOL_OUTPUT = Array.from({ length: 40 }, (_, i) => `ok ${i + 1} test passed`).join('\n');

let server: TestServer;
let browser: Browser;

beforeAll(async () => {
  // Every prompt gets the same scripted answer: the screenshots show plain prompts, not fake-CLI scripts.
  const script = JSON.stringify([{ tool: { name: 'Bash', input: { command: 'npm test' }, output: TOOL_OUTPUT, delayMs: 200 } }, { text: ANSWER, chunks: 6, delayMs: 150 }]);
  [server, browser] = await Promise.all([startTestServer({ webDir: WEB_DIR, cliEnv: { FAKE_CLAUDE_SCRIPT: script } }), launchBrowser()]);
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/**
 * Audits the page as it is and saves a screenshot of it as `a11y-<screen>-<size>.png`.
 * Stricter than serious: these screens are ours and had every finding fixed, so a
 * moderate one (a skipped heading level, a missing main landmark) fails too.
 */
async function audit(page: Page, screen: string, size: string): Promise<void> {
  await page.screenshot({ path: join(SCREENSHOT_DIR, `a11y-${screen}-${size}.png`) });
  await expectAccessible(page, `${screen} (${size})`);
}

async function send(page: Page, prompt: string): Promise<void> {
  const box = page.getByRole('textbox', { name: 'Message' });
  await box.fill(prompt);
  await box.press('Enter');
}

describe.each([
  ['phone', PHONE],
  ['desktop', DESKTOP],
] as const)('accessibility on a %s', (size, viewport) => {
  it('has no accessibility violation on any main screen, in light and dark', async () => {
    const context = await browser.newContext({ viewport, serviceWorkers: 'block' });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    try {
      await page.goto(server.url);
      await page.getByText('Connected').waitFor();
      await page.getByRole('button', { name: 'New session' }).waitFor();
      await audit(page, 'first-screen', size);

      await page.getByLabel('Name', { exact: true }).fill(`Audit ${size}`);
      await page.getByRole('button', { name: 'New session' }).click();
      await expect.poll(() => page.getByRole('textbox', { name: 'Message' }).isEnabled()).toBe(true);
      // On a phone the list slides away as a drawer: shoot once it is gone.
      if (size === 'phone') await expect.poll(() => page.locator('#sidebar').isVisible()).toBe(false);
      await audit(page, 'empty-session', size);

      // A run under way with a prompt queued behind it.
      await send(page, 'Why does the reducer test fail after a reconnect?');
      await send(page, 'Fix it and run the tests again.');
      await page.getByRole('button', { name: 'Cancel' }).waitFor();
      await page.getByRole('button', { name: 'Interrupt' }).waitFor();
      await audit(page, 'running-and-queued', size);

      // Both finished: the first run's tool card open (its output scrolls), markdown, footers; the end in view.
      await expect.poll(() => page.locator('.run-footer .badge[data-status="success"]').count(), { timeout: 20_000 }).toBe(2);
      await page.locator('.tool-head').first().click();
      await page.locator('#transcript').evaluate((el) => (el.scrollTop = el.scrollHeight));
      await audit(page, 'finished-runs', size);
      await page.emulateMedia({ colorScheme: 'dark' });
      await audit(page, 'finished-runs-dark', size);
      await page.emulateMedia({ colorScheme: 'light' });

      await page.getByRole('textbox', { name: 'Message' }).fill('/');
      await page.getByRole('option', { name: /\/model/ }).waitFor();
      await audit(page, 'command-completion', size);
      await page.getByRole('textbox', { name: 'Message' }).fill('');

      if (size === 'phone') {
        await openSessionsDrawer(page);
        await page.waitForTimeout(300); // the drawer slides in
        await audit(page, 'sessions-drawer', size);
        await page.keyboard.press('Escape');
        await expect.poll(() => page.locator('#sidebar').isVisible()).toBe(false);
      }

      await page.getByRole('button', { name: 'Rename', exact: true }).click();
      await page.getByRole('dialog').getByLabel('Name').waitFor();
      await audit(page, 'rename-dialog', size);
      await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();

      await page.getByRole('button', { name: 'Delete', exact: true }).click();
      await page.getByRole('dialog').getByRole('button', { name: 'Keep it' }).waitFor();
      await audit(page, 'delete-dialog', size);
      await page.getByRole('dialog').getByRole('button', { name: 'Keep it' }).click();

      await page.getByRole('button', { name: /^Usage: / }).click();
      const usage = page.getByRole('dialog', { name: 'Usage' });
      await usage.getByRole('heading', { name: 'This 5-hour block' }).waitFor();
      await audit(page, 'usage-page', size);
      await usage.getByRole('button', { name: 'Close' }).click();
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
