/**
 * Permission requests as the app shows them, in Chromium at a phone and a
 * desktop size, against the real server and the scripted CLI (which asks
 * through the stdio control protocol, as the real one does):
 * - a Bash card shows the command and its description as code; a Write of a
 *   new file is a diff of added lines; an Edit is a diff against the file on
 *   disk; another tool's input is fields, a long one folded;
 * - Allow, Allow for this session (the next request for that tool is answered
 *   by itself, and Details lists the tool with Revoke), Deny with a message
 *   that reaches Claude;
 * - a plan as sanitised markdown, approved in a chosen mode or sent back with
 *   feedback;
 * - a session waiting for an answer is marked, and listed first;
 * - an answer that lost the race (409) says so, and the card shows the answer
 *   that won.
 * Screenshots of each card go to test-results/screenshots/cards-*.png.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerEvent } from '../../server/protocol/events.js';
import { expectAccessible } from '../support/axe.js';
import { DESKTOP, launchBrowser, PHONE, SCREENSHOT_DIR, WEB_DIR } from '../support/browser.js';
import { newSession, queuePrompt } from '../support/runs.js';
import { collectEvents, fake, startTestServer, type TestServer } from '../support/server.js';

const TIMEOUT = 120_000;

let server: TestServer;
let browser: Browser;

beforeAll(async () => {
  [server, browser] = await Promise.all([startTestServer({ webDir: WEB_DIR, config: { WARM_PREWARM: 'false' } }), launchBrowser()]);
}, TIMEOUT);
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const ask = (name: string, input: Record<string, unknown>, output = 'done') => ({ tool: { name, input, output, ask: true } });

const PLAN = [
  '# Plan: cache the session list',
  'Three steps, each small enough to review:',
  '1. Read `web/state/reducer.ts` and find where the list is rebuilt.',
  '2. Keep the sorted list until a session changes.',
  '3. Add a unit test beside the reducer.',
  '<img src=x onerror="window.__xss=1"> [click](javascript:window.__xss=2)',
].join('\n\n');

async function openSession(viewport: { width: number; height: number }, sessionId: string): Promise<{ page: Page; errors: string[]; close(): Promise<void> }> {
  const context = await browser.newContext({ viewport, serviceWorkers: 'block' });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  await page.goto(`${server.url}/#${sessionId}`);
  await page.getByText('Connected').waitFor();
  return { page, errors, close: () => context.close() };
}

const card = (page: Page, title: string | RegExp) => page.locator('.permission').filter({ has: page.locator('.permission-title', { hasText: title }) });
const shot = (page: Page, name: string) => page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`) });
/** The card alone, whole (the page's shot shows what fits on the screen). */
const cardShot = (locator: Locator, name: string) => locator.screenshot({ path: join(SCREENSHOT_DIR, `${name}-card.png`) });

const audit = expectAccessible;

/** A Bash request: the command as code, its description; the session waits for you, listed first. Allowed once. */
async function bashCard(page: Page, label: string): Promise<void> {
  const bash = card(page, 'Claude wants to run a command');
  await bash.waitFor();
  expect(await bash.locator('pre.permission-code').textContent()).toBe('npm run build && rm -rf dist/tmp');
  expect(await bash.locator('.permission-desc').textContent()).toBe('Build, then remove the temporary folder');
  // Waiting for an answer: said in the header and the list, and listed first.
  await expect.poll(() => page.locator('.waiting-chip').textContent()).toBe('waiting for you');
  const listed = page.locator('#session-list .session');
  await expect.poll(() => listed.first().textContent()).toContain(`Cards ${label}`);
  expect(await listed.first().locator('.session-state').textContent()).toBe('waiting for you');
  // And in the tab's title: one answer waits.
  await expect.poll(() => page.title()).toBe(`(1) Cards ${label} · Claude Remote`);
  await shot(page, `cards-bash-${label}`);
  await cardShot(bash, `cards-bash-${label}`);
  await audit(page, `bash card (${label})`);
  await bash.getByRole('button', { name: 'Allow', exact: true }).click();
  await expect.poll(() => bash.locator('.verdict').textContent()).toBe('Allowed (in the app)');
}

/** A Write of a new file: every line added. Allowed for the session. */
async function writeCard(page: Page, label: string): Promise<void> {
  const write = card(page, /Claude wants to create .*notes\.md/);
  await write.waitFor();
  const added = write.locator('.diff-line[data-kind="add"]');
  expect(await added.allTextContents()).toEqual(['+# Notes\n', '+\n', '+The build is green.\n']);
  expect(await write.locator('.diff-line[data-kind="del"]').count()).toBe(0);
  expect(await write.locator('.diff-stat').textContent()).toContain('+3');
  await shot(page, `cards-write-${label}`);
  await write.getByRole('button', { name: 'Allow for this session' }).click();
  await expect.poll(() => write.locator('.verdict').textContent()).toBe('Allowed for this session (in the app)');
}

/** An Edit: the diff against the file on disk, light and dark. Denied with a message Claude receives. */
async function editCard(page: Page, label: string): Promise<void> {
  const edit = card(page, /Claude wants to change .*config\.ts/);
  await edit.waitFor();
  expect(await edit.locator('.diff-line[data-kind="del"]').allTextContents()).toEqual(['-export const RETRIES = 3;\n']);
  expect(await edit.locator('.diff-line[data-kind="add"]').allTextContents()).toEqual(['+export const RETRIES = 5;\n']);
  expect(await edit.locator('.diff-line[data-kind="context"]').allTextContents()).toContain(' export const DELAY_MS = 500;\n');
  await shot(page, `cards-edit-${label}`);
  await cardShot(edit, `cards-edit-${label}`);
  await audit(page, `edit card (${label})`);
  // The diff's colours in dark mode too.
  await page.emulateMedia({ colorScheme: 'dark' });
  await cardShot(edit, `cards-edit-dark-${label}`);
  await audit(page, `edit card, dark (${label})`);
  await page.emulateMedia({ colorScheme: 'light' });
  await edit.getByLabel('Message to Claude if you deny (optional)').fill('Keep 3 retries; raise the delay instead.');
  await edit.getByRole('button', { name: 'Deny' }).click();
  await expect.poll(() => edit.locator('.verdict').textContent()).toBe('Denied (in the app)');
  // Claude got the message: it is the denied tool's result.
  const editTool = page.locator('.tool').filter({ hasText: 'Edit' }).last();
  await expect.poll(() => editTool.textContent()).toContain('Keep 3 retries; raise the delay instead.');
}

/** Another tool: its input as fields, the long one folded. Allowed once. */
async function fieldsCard(page: Page, label: string, longPrompt: string): Promise<void> {
  const fetchCard = card(page, 'Claude wants to use WebFetch');
  await fetchCard.waitFor();
  const fields = fetchCard.locator('.permission-fields');
  expect(await fields.locator('dt').allTextContents()).toEqual(['url', 'prompt']);
  expect(await fields.locator('dd').first().textContent()).toBe('https://example.com/docs');
  // The long prompt folds; opening it shows all of it.
  const fold = fields.locator('details.permission-fold');
  expect(await fold.getAttribute('open')).toBeNull();
  expect(await fold.locator('summary').textContent()).toContain('12 lines');
  await fold.locator('summary').click();
  expect(await fold.locator('pre').textContent()).toBe(longPrompt);
  await shot(page, `cards-fields-${label}`);
  await audit(page, `fields card (${label})`);
  await fetchCard.getByRole('button', { name: 'Allow', exact: true }).click();
}

/** Write was allowed for the session: the next one is answered without asking. */
async function rememberedRequest(page: Page): Promise<void> {
  const second = card(page, /Claude wants to create .*second\.md/);
  await expect.poll(() => second.locator('.verdict').textContent()).toBe('Allowed: this tool is allowed for this session');
  expect(await second.getByRole('button').count()).toBe(0);
  await page.getByText('All done.').first().waitFor();
  await expect.poll(() => page.locator('.waiting-chip').isHidden()).toBe(true);
  expect(await page.title()).not.toMatch(/^\(/);
}

/** Details lists the tool allowed for the session; Revoke takes it back, on the server too. */
async function revokeFromDetails(page: Page, label: string, sessionId: string): Promise<void> {
  await page.getByRole('button', { name: 'Details' }).click();
  const dialog = page.getByRole('dialog', { name: /Details of/ });
  const allowed = dialog.locator('.details-allowed li');
  await expect.poll(() => allowed.allTextContents()).toEqual(['WriteRevoke']);
  await expect.poll(() => dialog.locator('[data-table="details-tools"] tbody tr').count()).toBeGreaterThan(0);
  await shot(page, `cards-details-${label}`);
  await audit(page, `details dialog (${label})`);
  await dialog.getByRole('button', { name: 'Revoke Write' }).click();
  await expect.poll(() => allowed.count()).toBe(0);
  expect((await server.api('GET', `/api/sessions/${sessionId}`)).body.allowedForSession ?? []).toEqual([]);
  await dialog.getByRole('button', { name: 'Close' }).click();
}

describe.each([
  ['phone', PHONE],
  ['desktop', DESKTOP],
] as const)('permission cards on a %s', (label, viewport) => {
  it(
    'shows a command, diffs and fields worth reading, and answers Allow, Allow for this session and Deny with a message',
    async () => {
      const session = await newSession(server, { name: `Cards ${label}`, permissionMode: 'default' });
      await writeFile(join(session.cwd, 'config.ts'), 'export const RETRIES = 3;\nexport const DELAY_MS = 500;\n');
      const longPrompt = Array.from({ length: 12 }, (_, i) => `Line ${i + 1}: what to look for on the page.`).join('\n');
      await queuePrompt(
        server,
        session.id,
        fake([
          ask('Bash', { command: 'npm run build && rm -rf dist/tmp', description: 'Build, then remove the temporary folder' }, 'built'),
          ask('Write', { file_path: join(session.cwd, 'notes.md'), content: '# Notes\n\nThe build is green.\n' }, 'written'),
          ask('Edit', { file_path: join(session.cwd, 'config.ts'), old_string: 'RETRIES = 3', new_string: 'RETRIES = 5' }),
          ask('WebFetch', { url: 'https://example.com/docs', prompt: longPrompt }),
          ask('Write', { file_path: join(session.cwd, 'second.md'), content: 'again\n' }, 'written again'),
          { text: 'All done.' },
        ]),
      );
      // Another session, active after this one: the waiting one still comes first.
      await newSession(server, { name: `Idle ${label}` });
      const { page, errors, close } = await openSession(viewport, session.id);
      try {
        await bashCard(page, label);
        await writeCard(page, label);
        await editCard(page, label);
        await fieldsCard(page, label, longPrompt);
        await rememberedRequest(page);
        await revokeFromDetails(page, label, session.id);
        expect(errors).toEqual([]);
      } finally {
        await close();
      }
    },
    TIMEOUT,
  );

  it(
    'shows a plan as sanitised markdown: approved in the chosen mode, or sent back with feedback',
    async () => {
      const approved = await newSession(server, { name: `Plan ${label}`, permissionMode: 'plan' });
      await queuePrompt(server, approved.id, fake([ask('ExitPlanMode', { plan: PLAN }, 'approved'), { text: 'Working on it.' }]));
      const { page, errors, close } = await openSession(viewport, approved.id);
      try {
        const plan = card(page, 'Claude proposes a plan');
        await plan.waitFor();
        // Its heading nests below the card's title, an h4 (aria-level, as the answers' headings do).
        expect(await plan.locator('h4.permission-title').textContent()).toBe('Claude proposes a plan');
        expect(await plan.locator('.permission-plan [aria-level="5"]').textContent()).toBe('Plan: cache the session list');
        expect(await plan.locator('.permission-plan ol > li').count()).toBe(3);
        expect(await plan.locator('.permission-plan img[onerror], .permission-plan a[href^="javascript"]').count()).toBe(0);
        expect(await page.evaluate(() => (window as { __xss?: number }).__xss)).toBeUndefined();
        await plan.getByLabel('Then continue in').selectOption('acceptEdits');
        await shot(page, `cards-plan-${label}`);
        await cardShot(plan, `cards-plan-${label}`);
        await audit(page, `plan card (${label})`);
        await plan.getByRole('button', { name: 'Approve and run' }).click();
        await expect.poll(() => plan.locator('.verdict').textContent()).toBe('Approved: continues in acceptEdits (in the app)');
        await page.getByText('Working on it.').first().waitFor();
        await expect.poll(async () => (await server.api('GET', `/api/sessions/${approved.id}`)).body.options.permissionMode).toBe('acceptEdits');
        await expect.poll(() => page.locator('#session-totals').textContent()).toContain('acceptEdits');

        const sentBack = await newSession(server, { name: `Replan ${label}`, permissionMode: 'plan' });
        await queuePrompt(server, sentBack.id, fake([ask('ExitPlanMode', { plan: PLAN }), { text: 'Planning again.' }]));
        await page.goto(`${server.url}/#${sentBack.id}`);
        const again = card(page, 'Claude proposes a plan');
        await again.waitFor();
        await again.getByLabel('Feedback for Claude (optional)').fill('Measure first: add a benchmark before step 2.');
        await again.getByRole('button', { name: 'Keep planning' }).click();
        await expect.poll(() => again.locator('.verdict').textContent()).toBe('Kept planning (in the app)');
        const tool = page.locator('.tool').filter({ hasText: 'ExitPlanMode' }).last();
        await expect.poll(() => tool.textContent()).toContain('Measure first: add a benchmark before step 2.');
        expect((await server.api('GET', `/api/sessions/${sentBack.id}`)).body.options.permissionMode).toBe('plan');
        expect(errors).toEqual([]);
      } finally {
        await close();
      }
    },
    TIMEOUT,
  );

  it(
    'says when another answer came first (409), and the card shows the answer that won',
    async () => {
      const session = await newSession(server, { name: `Race ${label}`, permissionMode: 'default' });
      await queuePrompt(server, session.id, fake([ask('Bash', { command: 'git push --force' }), { text: 'Pushed or not.' }]));
      const context = await browser.newContext({ viewport, serviceWorkers: 'block' });
      const page = await context.newPage();
      // Holds the server's word about the answer (and the events after it, to keep their order) back until
      // this page has answered too: the race, made certain.
      let held: Array<() => void> | undefined = [];
      let holding = false;
      await page.routeWebSocket(/\/ws/, (ws) => {
        const upstream = ws.connectToServer();
        upstream.onMessage((message) => {
          const frame = typeof message === 'string' ? (JSON.parse(message) as { event?: ServerEvent }) : undefined;
          holding ||= held !== undefined && frame?.event?.type === 'permission.resolved';
          // Replies pass: the page must hear its answer's 409.
          if (holding && held && frame?.event) held.push(() => ws.send(message));
          else ws.send(message);
        });
        ws.onMessage((message) => upstream.send(message));
      });
      try {
        await page.goto(`${server.url}/#${session.id}`);
        const bash = card(page, 'Claude wants to run a command');
        await bash.waitFor();
        const events = await collectEvents(server, session.id, (all) => all.some((e) => e.type === 'permission.requested'));
        const request = events.find((e): e is Extract<ServerEvent, { type: 'permission.requested' }> => e.type === 'permission.requested')!;
        const first = await server.api('POST', `/api/sessions/${session.id}/permissions/${request.requestId}`, { behavior: 'deny', message: 'Not from the phone.' });
        expect(first.status).toBe(200);

        await bash.getByRole('button', { name: 'Allow', exact: true }).click();
        await expect.poll(() => page.locator('#alerts').textContent()).toContain('Someone else answered this request first');
        const release = held ?? [];
        held = undefined;
        holding = false;
        for (const send of release) send();
        await expect.poll(() => bash.locator('.verdict').textContent()).toBe('Denied (through the API)');
        await shot(page, `cards-race-${label}`);
      } finally {
        await context.close();
      }
    },
    TIMEOUT,
  );
});
