/**
 * The usage chip and page in Chromium at a phone and a desktop size, after
 * runs through the real CLI against the fake API, on a machine whose
 * transcripts also hold older runs made outside the app.
 */
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UsageAnswer } from '../../server/protocol/usage.js';
import { DESKTOP, launchBrowser, openSessionsDrawer, PHONE, SCREENSHOT_DIR, WEB_DIR } from '../support/browser.js';
import { startFakeAnthropic, type FakeAnthropic } from '../support/fake-anthropic.js';
import { makeClaudeEnv, realClaudePath, type ClaudeEnv } from '../support/real-claude.js';
import { startTestServer, waitUntil, type TestServer } from '../support/server.js';
import { assistantLine, writeTranscript } from '../support/transcripts.js';

const TIMEOUT = 150_000;
const DAY_MS = 86_400_000;

let fake: FakeAnthropic;
let claude: ClaudeEnv;
let server: TestServer;
let browser: Browser;

/** Three weeks of work in another project, done in a terminal, not through the app. */
async function seedHistory(home: string): Promise<void> {
  const lines: string[] = [];
  for (let day = 21; day >= 1; day--) {
    if (day % 4 === 0) continue;
    const at = Date.now() - day * DAY_MS;
    const model = day % 3 === 0 ? 'claude-opus-4-1-20250805' : 'claude-sonnet-4-20250514';
    for (let i = 0; i < (day % 5) + 1; i++) {
      lines.push(assistantLine({ at: at + i * 600_000, model, input: 2000 + day * 150, output: 800 + day * 40, cacheRead: 30_000, cwd: '/home/dev/terminal-project' }));
    }
  }
  await writeTranscript(join(home, '.claude'), '/home/dev/terminal-project', 'history', lines);
}

beforeAll(async () => {
  fake = await startFakeAnthropic({ textChunkDelayMs: 5 });
  claude = await makeClaudeEnv(fake);
  await seedHistory(claude.home);
  server = await startTestServer({ claudePath: realClaudePath(), cliEnv: claude.env, webDir: WEB_DIR });
  browser = await launchBrowser();
}, TIMEOUT);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await fake?.close();
  await claude?.cleanup();
});

const shot = (page: Page, name: string) => page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`) });
const usage = async () => (await server.api('GET', '/api/usage')).body as UsageAnswer;

async function runPrompts(page: Page, name: string, prompts: string[]): Promise<void> {
  await openSessionsDrawer(page);
  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.getByRole('button', { name: 'New session' }).click();
  const box = page.getByRole('textbox', { name: 'Message' });
  await expect.poll(() => box.isEnabled()).toBe(true);
  for (const prompt of prompts) {
    await box.fill(prompt);
    await box.press('Enter');
    await page.getByText(`Echo: ${prompt}`).first().waitFor({ timeout: 60_000 });
  }
}

describe.each([
  ['phone', PHONE],
  ['desktop', DESKTOP],
] as const)('usage on a %s', (label, viewport) => {
  it(
    'shows time left and today\'s cost in the header, and a usage page with the block, 30 days, models, projects and a limit warning',
    async () => {
      const context = await browser.newContext({ viewport, serviceWorkers: 'block' });
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (err) => errors.push(err.message));
      try {
        await page.goto(server.url);
        await page.getByText('Connected').waitFor();
        await runPrompts(page, `Usage ${label}`, [`first question from the ${label}`, `second question from the ${label}`]);

        // The runs reach the transcripts, the server's watch reads them, the chip follows.
        const answer = await waitUntil(async () => {
          const a = await usage();
          return a.models.some((m) => m.model === 'claude-opus-5-5') && a.activeBlock ? a : undefined;
        });
        const chip = page.getByRole('button', { name: /^Usage: / });
        await expect.poll(async () => (await chip.textContent()) ?? '', { timeout: 30_000 }).toMatch(/^\d+h\d\d left\$\d+\.\d+ today$|^\d+m left\$\d+\.\d+ today$/);
        expect(await chip.getAttribute('aria-label')).toMatch(/left in this 5-hour block; \$\d+\.\d+ today on this machine/);
        await shot(page, `usage-chip-${label}`);

        await chip.click();
        const dialog = page.getByRole('dialog', { name: 'Usage' });
        await dialog.getByRole('heading', { name: 'This 5-hour block' }).waitFor();
        await expect.poll(() => dialog.getByRole('img', { name: /^Cost per day over the last 30 days/ }).count()).toBe(1);
        expect(await dialog.getByRole('img', { name: /^Tokens in this block/ }).count()).toBe(1);
        const models = dialog.getByRole('table').first();
        await models.getByRole('rowheader', { name: 'claude-opus-5-5' }).waitFor();
        await models.getByRole('rowheader', { name: 'claude-sonnet-4-20250514' }).waitFor();
        await dialog.getByRole('rowheader', { name: '/home/dev/terminal-project' }).waitFor();
        const appProject = answer.projects.find((p) => p.path?.startsWith(server.dataDir));
        expect(appProject).toBeDefined();
        expect(await dialog.getByText(/price table of \d{4}-\d\d-\d\d/).count()).toBe(1);
        await shot(page, `usage-page-${label}`);
        await dialog.getByRole('heading', { name: 'By project' }).scrollIntoViewIfNeeded();
        await shot(page, `usage-page-tables-${label}`);

        // A token limit between what the block used and where it is heading: warned, chip included.
        const block = (await usage()).activeBlock!;
        expect(block.projection.totalTokens).toBeGreaterThan(block.totalTokens);
        const limit = Math.floor((block.totalTokens + block.projection.totalTokens) / 2);
        await dialog.getByLabel('Tokens per block').fill(String(limit));
        await dialog.getByRole('button', { name: 'Save limits' }).click();
        await dialog.getByRole('alert').filter({ hasText: /At this rate the block ends at .* tokens, past your .* limit\./ }).waitFor();
        await shot(page, `usage-warning-${label}`);
        await page.keyboard.press('Escape');
        await expect.poll(() => dialog.count()).toBe(0);
        await expect.poll(() => chip.getAttribute('data-warn'), { timeout: 40_000 }).toBe('projected');
        await shot(page, `usage-chip-warning-${label}`);
        expect(errors).toEqual([]);
      } finally {
        await context.close();
      }
    },
    TIMEOUT,
  );
});
