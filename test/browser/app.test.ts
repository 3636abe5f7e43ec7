/**
 * The app as a user drives it, in Debian's Chromium at a phone and a desktop
 * size, against the real claude CLI and the fake Anthropic API.
 */
import { createServer, Socket, type Server } from 'node:net';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeAnthropic, type FakeAnthropic } from '../support/fake-anthropic.js';
import { makeClaudeEnv, realClaudePath, type ClaudeEnv } from '../support/real-claude.js';
import { DESKTOP, launchBrowser, PHONE, SCREENSHOT_DIR, WEB_DIR, openSessionsDrawer } from '../support/browser.js';
import { startTestServer, type TestServer } from '../support/server.js';

const TIMEOUT = 120_000;

/** A TCP proxy in front of the server whose open connections can be cut at will. */
async function startCuttableProxy(targetPort: number): Promise<{ url: string; cut(): void; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = new Socket();
    upstream.connect(targetPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    client.pipe(upstream).pipe(client);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    cut() {
      for (const s of sockets) s.destroy();
      sockets.clear();
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}


let fake: FakeAnthropic;
let claude: ClaudeEnv;
let server: TestServer;
let browser: Browser;

beforeAll(async () => {
  fake = await startFakeAnthropic({ textChunkDelayMs: 20 });
  claude = await makeClaudeEnv(fake);
  server = await startTestServer({ claudePath: realClaudePath(), cliEnv: claude.env, webDir: WEB_DIR, maxConcurrentRuns: 2 });
  browser = await launchBrowser();
}, TIMEOUT);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await fake?.close();
  await claude?.cleanup();
});

const sizes = [
  ['phone', PHONE],
  ['desktop', DESKTOP],
] as const;

async function openApp(url: string, viewport: { width: number; height: number }): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  const context = await browser.newContext({ viewport, serviceWorkers: 'block' });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  await page.goto(url);
  await page.getByText('Connected').waitFor();
  return { context, page, errors };
}

async function createSession(page: Page, name: string, label: string, permissionMode?: string): Promise<void> {
  await openSessionsDrawer(page);
  await page.getByLabel('Name', { exact: true }).fill(name);
  if (permissionMode) await page.getByLabel('Permission mode').selectOption(permissionMode);
  await page.getByRole('button', { name: 'New session' }).click();
  await expect.poll(() => page.getByRole('textbox', { name: 'Message' }).isEnabled()).toBe(true);
}

async function sendPrompt(page: Page, text: string): Promise<void> {
  const box = page.getByRole('textbox', { name: 'Message' });
  await box.fill(text);
  await box.press('Enter');
}

const shot = (page: Page, name: string) => page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`) });

describe.each(sizes)('the app on a %s with the real CLI', (label, viewport) => {
  it(
    'runs a prompt: a tool card, then the answer, then the cost footer',
    async () => {
      const { context, page, errors } = await openApp(server.url, viewport);
      try {
        await createSession(page, `Tools ${label}`, label);
        await shot(page, `app-empty-session-${label}`);
        await sendPrompt(page, '[[bash:echo hello-from-bash]]');
        const card = page.locator('.tool').filter({ hasText: 'Bash' }).first();
        await card.waitFor({ timeout: 60_000 });
        await expect.poll(() => card.textContent()).toContain('echo hello-from-bash');
        await page.getByText('Tool finished; all done.').first().waitFor({ timeout: 60_000 });
        const footer = page.locator('.run-footer, footer').filter({ hasText: '$' }).last();
        await footer.waitFor({ timeout: 30_000 });
        expect(await footer.textContent()).toMatch(/\$0\.\d{4}/);
        expect(await footer.textContent()).toMatch(/turn/);
        // The session list says what it cost and that it is idle again.
        await expect.poll(async () => (await page.locator('.session[aria-current="true"]').textContent()) ?? '', { timeout: 15_000 }).toMatch(/idle/);
        await shot(page, `app-tool-run-${label}`);
        expect(errors).toEqual([]);
      } finally {
        await context.close();
      }
    },
    TIMEOUT,
  );

  it(
    'queues a second prompt during a run, runs it after; interrupt stops a long run',
    async () => {
      const { context, page } = await openApp(server.url, viewport);
      try {
        await createSession(page, `Queue ${label}`, label);
        await sendPrompt(page, 'first [[slow]]');
        await page.getByText('tick 1').first().waitFor({ timeout: 60_000 });
        await sendPrompt(page, 'second after the slow one');
        const queued = page.getByRole('button', { name: 'Cancel' });
        await queued.first().waitFor({ timeout: 15_000 });
        await shot(page, `app-queue-${label}`);
        // Interrupt the slow one: the queued prompt then runs.
        if (label === 'desktop') await page.keyboard.press('Escape');
        else await page.getByRole('button', { name: 'Interrupt' }).click();
        await page.getByText('interrupted').first().waitFor({ timeout: 30_000 });
        await page.getByText('Echo: second after the slow one').first().waitFor({ timeout: 60_000 });
        expect(await page.getByText('tick 40').count()).toBe(0);
        await shot(page, `app-after-interrupt-${label}`);
      } finally {
        await context.close();
      }
    },
    TIMEOUT,
  );
});

describe('reconnecting', () => {
  it.each(sizes)(
    'cuts the connection mid-run on a %s; after reconnecting the transcript is complete with nothing twice',
    async (label, viewport) => {
      const proxy = await startCuttableProxy(server.port);
      const { context, page } = await openApp(proxy.url, viewport);
      try {
        await createSession(page, `Flaky network ${label}`, label);
        await sendPrompt(page, 'stream please [[slow]]');
        await page.getByText('tick 3').first().waitFor({ timeout: 60_000 });
        proxy.cut();
        await page.getByText(/Reconnecting|Offline/).first().waitFor({ timeout: 15_000 });
        await page.getByText('Connected').waitFor({ timeout: 30_000 });
        await page.getByText('tick 40').first().waitFor({ timeout: 60_000 });
        const answer = (await page.locator('.transcript').textContent()) ?? '';
        const ticks = answer.match(/tick \d+/g) ?? [];
        expect(ticks).toEqual(Array.from({ length: 40 }, (_, i) => `tick ${i + 1}`));
        expect((answer.match(/stream please/g) ?? []).length).toBe(1);
        await shot(page, `app-after-reconnect-${label}`);
      } finally {
        await context.close();
        await proxy.close();
      }
    },
    TIMEOUT,
  );

  it(
    'sends a prompt typed while offline once the connection is back, exactly once',
    async () => {
      const proxy = await startCuttableProxy(server.port);
      const { context, page } = await openApp(proxy.url, PHONE);
      try {
        await createSession(page, 'Offline typing', 'phone');
        await context.setOffline(true);
        proxy.cut();
        await page.getByText(/Reconnecting|Offline/).first().waitFor({ timeout: 15_000 });
        await sendPrompt(page, 'typed while offline');
        await context.setOffline(false);
        await page.getByText('Echo: typed while offline').first().waitFor({ timeout: 60_000 });
        const sessionId = decodeURIComponent(new URL(page.url()).hash.slice(1));
        const runs = (await server.api('GET', `/api/sessions/${sessionId}/runs`)).body.runs as Array<{ prompt: string }>;
        expect(runs.filter((r) => r.prompt === 'typed while offline')).toHaveLength(1);
      } finally {
        await context.close();
        await proxy.close();
      }
    },
    TIMEOUT,
  );
});

describe('sessions and commands', () => {
  it(
    'renames, clears with /clear, changes model with /model, completes commands, and deletes after confirming',
    async () => {
      const { context, page } = await openApp(server.url, DESKTOP);
      try {
        await createSession(page, 'To rename', 'desktop');
        const box = page.getByRole('textbox', { name: 'Message' });
        await box.fill('/mo');
        const option = page.getByRole('option', { name: /\/model/ });
        await option.waitFor();
        await shot(page, 'app-command-completion-desktop');
        await box.press('Tab');
        expect(await box.inputValue()).toBe('/model ');
        await box.fill('/model haiku');
        await box.press('Enter');
        await page.getByText('Model set to haiku').waitFor();
        const sessionId = decodeURIComponent(new URL(page.url()).hash.slice(1));
        expect((await server.api('GET', `/api/sessions/${sessionId}`)).body.options.model).toBe('haiku');
        const before = (await server.api('GET', `/api/sessions/${sessionId}`)).body.claudeSessionId;
        await sendPrompt(page, '/clear');
        await page.getByText('Started a new conversation').waitFor();
        expect((await server.api('GET', `/api/sessions/${sessionId}`)).body.claudeSessionId).not.toBe(before);
        await sendPrompt(page, '/help');
        await page.getByText('/model NAME').waitFor();

        await page.getByRole('button', { name: 'Rename', exact: true }).click();
        const input = page.getByRole('dialog').getByLabel('Name');
        await input.fill('Renamed session');
        await page.getByRole('button', { name: 'Save' }).click();
        await page.getByRole('heading', { name: 'Renamed session' }).waitFor();

        await page.getByRole('button', { name: 'Delete', exact: true }).click();
        await shot(page, 'app-delete-confirm-desktop');
        await page.getByRole('dialog').getByRole('button', { name: 'Keep it' }).click();
        expect((await server.api('GET', `/api/sessions/${sessionId}`)).status).toBe(200);
        await page.getByRole('button', { name: 'Delete', exact: true }).click();
        await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
        await expect.poll(async () => (await server.api('GET', `/api/sessions/${sessionId}`)).status).toBe(404);
        await expect.poll(() => page.getByRole('button', { name: 'Renamed session' }).count()).toBe(0);
      } finally {
        await context.close();
      }
    },
    TIMEOUT,
  );
});
