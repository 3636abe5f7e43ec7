/**
 * Running it for weeks, as the app shows it, in Chromium at a phone and a
 * desktop size against the real server and the scripted CLI (which prints
 * the real CLI's api_retry lines and API error lines, reference §8):
 * - a run whose API call the CLI retries counts down to the next attempt;
 * - a failed run says what kind of failure it was and what to do;
 * - a queue paused after a billing or usage-limit failure shows a banner
 *   (why, since when, until when) whose Resume button runs what waited;
 * - Details shows the session's numbers;
 * - Restart server restarts the server under its supervisor, and the app
 *   reconnects and says the server restarted; a server nothing would start
 *   again refuses, and the app says why.
 * Screenshots go to test-results/screenshots/ops-*.png.
 */
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectAccessible } from '../support/axe.js';
import { DESKTOP, launchBrowser, openSessionsDrawer, PHONE, SCREENSHOT_DIR, WEB_DIR } from '../support/browser.js';
import { newSession, queuePrompt } from '../support/runs.js';
import { fake, spawnSupervisedServer, startTestServer, tempDir, type TestServer } from '../support/server.js';

const TIMEOUT = 120_000;

let server: TestServer;
let browser: Browser;

beforeAll(async () => {
  [server, browser] = await Promise.all([startTestServer({ webDir: WEB_DIR, maxConcurrentRuns: 4, config: { WARM_PREWARM: 'false' } }), launchBrowser()]);
}, TIMEOUT);
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** The CLI's line before it tries a failed API call again. */
const retryLine = (attempt: number, delayMs: number) => ({
  emit: { type: 'system', subtype: 'api_retry', attempt, max_retries: 10, retry_delay_ms: delayMs, error_status: 529, error: 'overloaded' },
});

/** An API failure as the CLI reports it: its synthetic assistant line, then an error result. */
function apiFailure(error: string, status: number, text: string, extra: Record<string, unknown> = {}) {
  return [
    {
      emit: {
        type: 'assistant',
        message: { id: 'msg_failed', role: 'assistant', model: '<synthetic>', content: [{ type: 'text', text }] },
        is_api_error_message: true,
        error,
        api_error_status: status,
        ...extra,
      },
    },
    { result: { is_error: true, subtype: 'success', api_error_status: status, terminal_reason: 'api_error', result: text } },
  ];
}

async function openSession(url: string, viewport: { width: number; height: number }, sessionId?: string) {
  const context = await browser.newContext({ viewport, serviceWorkers: 'block' });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  await page.goto(sessionId ? `${url}/#${sessionId}` : url);
  await page.getByText('Connected').waitFor();
  return { page, errors, close: () => context.close() };
}

const shot = (page: Page, name: string) => page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`) });

const audit = expectAccessible;

describe.each([
  ['phone', PHONE],
  ['desktop', DESKTOP],
] as const)('runs that go wrong, on a %s', (label, viewport) => {
  it(
    'counts down while the CLI retries, and a failed run says what kind of failure it was and what to do',
    async () => {
      const session = await newSession(server, { name: `Failures ${label}` });
      await queuePrompt(server, session.id, fake([retryLine(1, 30_000), { sleep: 60_000 }]));
      const { page, errors, close } = await openSession(server.url, viewport, session.id);
      try {
        const retrying = page.locator('.run-footer .retrying, .retrying').last();
        await retrying.waitFor();
        const first = (await retrying.textContent()) ?? '';
        expect(first).toMatch(/^Retrying in \d+ s \(attempt 1 of 10, HTTP 529\)$/);
        expect(await page.locator('.badge[data-status="retrying"]').count()).toBe(1);
        await shot(page, `ops-retrying-${label}`);
        await audit(page, `retrying (${label})`);
        // It counts down by itself.
        const seconds = (text: string) => Number(/in (\d+) s/.exec(text)?.[1]);
        await expect.poll(async () => seconds((await retrying.textContent()) ?? '')).toBeLessThan(seconds(first));
        await page.getByRole('button', { name: 'Interrupt' }).click();
        await expect.poll(() => page.locator('.retrying').count()).toBe(0);

        // A retry that went through: output resumes and the countdown goes.
        await queuePrompt(server, session.id, fake([retryLine(1, 200), { text: 'Recovered after a retry.' }]));
        await page.getByText('Recovered after a retry.').first().waitFor();
        await expect.poll(() => page.locator('.retrying').count()).toBe(0);

        await queuePrompt(server, session.id, fake(apiFailure('authentication_failed', 401, 'Invalid API key · Please run /login')));
        const auth = page.locator('.run-error[data-kind="auth"]');
        await auth.waitFor();
        expect(await auth.locator('.run-error-kind').textContent()).toBe('Not logged in.');
        expect(await auth.textContent()).toContain('check ANTHROPIC_API_KEY');

        await queuePrompt(server, session.id, fake([{ text: 'Halfway' }, { crash: 3 }]));
        const crashed = page.locator('.run-error[data-kind="cli_crashed"]');
        await crashed.waitFor();
        expect(await crashed.locator('.run-error-kind').textContent()).toBe('The CLI crashed.');
        expect(await crashed.textContent()).toContain('exited with code 3');
        await shot(page, `ops-failed-${label}`);
        await audit(page, `failed runs (${label})`);

        // The session's numbers count them.
        await page.getByRole('button', { name: 'Details' }).click();
        const dialog = page.getByRole('dialog', { name: /Details of/ });
        const kinds = dialog.locator('[data-table="details-kinds"]');
        await kinds.waitFor();
        expect(await kinds.locator('tr[data-key="auth"] th').textContent()).toBe('Not logged in (auth)');
        expect(await kinds.locator('tr[data-key="cli_crashed"] td').textContent()).toBe('1');
        expect(await dialog.locator('.details-error').textContent()).toContain('The CLI crashed.');
        await shot(page, `ops-details-${label}`);
        await dialog.getByRole('button', { name: 'Close' }).click();
        expect(errors).toEqual([]);
      } finally {
        await close();
      }
    },
    TIMEOUT,
  );

  it(
    'pauses the queue after a billing failure with a banner that says why, and Resume runs what waited',
    async () => {
      const session = await newSession(server, { name: `Billing ${label}` });
      await queuePrompt(server, session.id, fake(apiFailure('billing_error', 400, 'Credit balance is too low')));
      await queuePrompt(server, session.id, 'after adding credit');
      const { page, errors, close } = await openSession(server.url, viewport, session.id);
      try {
        const banner = page.locator('#paused');
        await banner.waitFor();
        expect(await banner.getByRole('heading').textContent()).toBe('Queue paused: out of credit');
        expect(await banner.locator('.paused-when').textContent()).toContain('It waits until you resume it.');
        expect(await page.locator('#queue-list li').count()).toBe(1);
        await expect.poll(() => page.locator('#session-marks').textContent()).toBe('paused');
        expect(await page.locator('.run-error[data-kind="billing"] .run-error-kind').textContent()).toBe('Out of credit.');
        await shot(page, `ops-paused-${label}`);
        await audit(page, `paused banner (${label})`);
        await page.emulateMedia({ colorScheme: 'dark' });
        await shot(page, `ops-paused-dark-${label}`);
        await audit(page, `paused banner and failed run, dark (${label})`);
        await page.emulateMedia({ colorScheme: 'light' });
        await banner.getByRole('button', { name: 'Resume now' }).click();
        await page.getByText('Echo: after adding credit').first().waitFor();
        expect(await banner.isHidden()).toBe(true);
        expect(await page.locator('#session-marks').textContent()).toBe('');

        // A usage limit with a known reset: the banner says when it goes on by itself.
        const limited = await newSession(server, { name: `Limit ${label}` });
        const resetsAt = Math.floor(Date.now() / 1000) + 3 * 3600;
        await queuePrompt(
          server,
          limited.id,
          fake(apiFailure('rate_limit', 429, 'Claude AI usage limit reached.', { api_error_type: 'usage_limit_reached', api_error_params: { rate_limit_info: { resetsAt } } })),
        );
        await page.goto(`${server.url}/#${limited.id}`);
        await expect.poll(() => banner.getByRole('heading').textContent()).toBe('Queue paused: usage limit reached');
        expect(await banner.locator('.paused-when').textContent()).toMatch(/It resumes by itself at .+ \(in \d+ h \d\d min\)\./);
        expect(await banner.locator('.paused-message').textContent()).toContain('usage limit');
        await shot(page, `ops-paused-until-${label}`);
        expect(errors).toEqual([]);
      } finally {
        await close();
      }
    },
    TIMEOUT,
  );
});

describe('restarting a server nothing would start again', () => {
  it('says so, and the server goes on', async () => {
    const { page, errors, close } = await openSession(server.url, PHONE);
    try {
      await openSessionsDrawer(page);
      await page.getByRole('button', { name: 'Restart server' }).click();
      await page.getByRole('dialog', { name: 'Restart the server?' }).getByRole('button', { name: 'Restart', exact: true }).click();
      await expect.poll(() => page.locator('#alerts').textContent()).toContain('restart it by hand');
      expect(await page.getByRole('button', { name: 'Restart server' }).isEnabled()).toBe(true);
      expect((await fetch(`${server.url}/health`)).status).toBe(200);
      expect(errors).toEqual([]);
    } finally {
      await close();
    }
  });
});

describe('restarting the server from the app', () => {
  let supervisor: ChildProcess | undefined;
  let url = '';

  beforeAll(async () => {
    ({ supervisor, url } = await spawnSupervisedServer({
      DATA_DIR: await tempDir('cr-ui-restart-'),
      ALLOWED_ROOTS: await tempDir('cr-ui-restart-root-'),
      WEB_DIR,
      WARM_PREWARM: 'false',
    }));
  }, TIMEOUT);

  afterAll(async () => {
    if (!supervisor || supervisor.exitCode !== null) return;
    const exited = new Promise((r) => supervisor!.once('exit', r));
    supervisor.kill('SIGTERM');
    await exited;
  });

  it.each([
    ['phone', PHONE],
    ['desktop', DESKTOP],
  ] as const)(
    'asks first, restarts, reconnects by itself and says the server restarted (%s)',
    async (label, viewport) => {
      const { page, errors, close } = await openSession(url, viewport);
      try {
        await openSessionsDrawer(page);
        await page.getByRole('button', { name: 'Restart server' }).click();
        const confirm = page.getByRole('dialog', { name: 'Restart the server?' });
        await confirm.waitFor();
        await shot(page, `ops-restart-confirm-${label}`);
        await confirm.getByRole('button', { name: 'Restart', exact: true }).click();
        // The notice comes from the welcome of another server process (its startedAt changed).
        await expect.poll(() => page.locator('#alerts').textContent(), { timeout: 60_000 }).toContain('The server restarted.');
        await page.getByText('Connected').waitFor();
        await shot(page, `ops-restarted-${label}`);
        expect(errors).toEqual([]);
      } finally {
        await close();
      }
    },
    TIMEOUT,
  );
});
