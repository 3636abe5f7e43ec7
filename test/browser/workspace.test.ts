/**
 * A session's workspace as a user sees it, in Chromium at a phone and a
 * desktop size, against the real server, the scripted CLI and real git
 * repositories: a session in a new worktree (its branch in the header), the
 * Changes page (refreshed when a run finishes), the file browser (folders,
 * highlighted text, an image), an image attached to a prompt (in the
 * composer, then under the prompt in the transcript), the size limit, and
 * deleting with the worktree (git's refusal shown, then the worktree gone
 * and the branch kept). Each page is audited with axe and saved as a
 * screenshot (test-results/screenshots/workspace-*).
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectAccessible } from '../support/axe.js';
import { DESKTOP, launchBrowser, openSessionsDrawer, PHONE, SCREENSHOT_DIR, WEB_DIR } from '../support/browser.js';
import { branches, commitAll, makeRepo, worktreePaths, writeFiles } from '../support/git.js';
import { gradientPng, noisePng } from '../support/png.js';
import { startTestServer, type TestServer } from '../support/server.js';

const APP_TS = [
  "import { createServer } from 'node:http';",
  '',
  'export function main(port: number): void {',
  "  createServer((_req, res) => res.end('hello')).listen(port);",
  '}',
  '',
].join('\n');
const APP_TS_CHANGED = APP_TS.replace("res.end('hello')", "res.end('hello from a line long enough to leave a phone screen far behind, so it has to scroll or wrap')").concat(
  '// <script>alert("not markup")</script>\n',
);

let server: TestServer;
let browser: Browser;

beforeAll(async () => {
  [server, browser] = await Promise.all([startTestServer({ webDir: WEB_DIR, config: { WARM_PREWARM: 'false', MAX_ATTACHMENT_MB: '4' } }), launchBrowser()]);
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function audit(page: Page, screen: string, size: string): Promise<void> {
  await page.screenshot({ path: join(SCREENSHOT_DIR, `workspace-${screen}-${size}.png`) });
  await expectAccessible(page, `${screen} (${size})`);
}

const alertText = (page: Page) => page.locator('#alerts').textContent().then((t) => t ?? '');

interface SessionJson {
  id: string;
  name: string;
  cwd: string;
  worktree?: { path: string; branch: string; repo: string };
}

async function sessionNamed(name: string): Promise<SessionJson | undefined> {
  const { body } = await server.api('GET', '/api/sessions');
  return (body as { sessions: SessionJson[] }).sessions.find((s) => s.name === name);
}

/** Fills the new-session form: a folder inside the root, with or without a new worktree. */
async function createSession(page: Page, name: string, folder: string | undefined, worktree: boolean, filled?: () => Promise<void>): Promise<void> {
  await openSessionsDrawer(page);
  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.locator('#new-root').selectOption(folder === undefined ? '' : server.root);
  if (folder !== undefined) await page.getByLabel('Path inside the folder').fill(folder);
  if (worktree) await page.getByLabel('Work in a new git worktree').check();
  await filled?.();
  await page.getByRole('button', { name: 'New session' }).click();
}

/** A worktree session open in the page, and where it came from. */
interface Opened {
  page: Page;
  size: string;
  name: string;
  repo: string;
  session: SessionJson;
  worktree: NonNullable<SessionJson['worktree']>;
}

/** The Changes page: files with counts, a diff read as text, binaries named, and a refresh when a run finishes. */
async function checkChanges({ page, size, session, worktree }: Opened): Promise<void> {
  // What "Claude" changed in the worktree: a long line, markup in a comment, a new file, an image.
  await writeFiles(worktree.path, { 'src/app.ts': APP_TS_CHANGED, 'notes.md': '# Notes\n\n- first\n', 'logo.png': gradientPng(160, 90) });
  await page.getByRole('button', { name: 'Changes', exact: true }).click();
  const changes = page.getByRole('dialog', { name: 'Changes' });
  const list = changes.getByRole('list', { name: 'Changed files' });
  await list.waitFor();
  await expect.poll(() => list.locator('.change').count()).toBe(3);
  expect(await changes.locator('.changes-summary').textContent()).toContain(worktree.branch);
  await expect.poll(() => changes.locator('.change[data-status="modified"] .counts').textContent()).toBe('+2 −1');
  await changes.locator('summary', { hasText: 'src/app.ts' }).click();
  const hunk = changes.locator('.hunk').first();
  await hunk.waitFor();
  // The file's markup is text in the page, never elements.
  expect(await hunk.locator('script').count()).toBe(0);
  expect(await hunk.textContent()).toContain('<script>alert("not markup")</script>');
  await changes.locator('summary', { hasText: 'logo.png' }).click();
  await changes.getByText('A binary file: its changes are not shown.').waitFor();
  await audit(page, 'changes', size);
  await page.emulateMedia({ colorScheme: 'dark' });
  await audit(page, 'changes-dark', size);
  await page.emulateMedia({ colorScheme: 'light' });
  await changes.getByRole('button', { name: 'Wrap lines' }).click();
  await page.screenshot({ path: join(SCREENSHOT_DIR, `workspace-changes-wrapped-${size}.png`) });

  // A run finishes while the page is open: the page reads the changes again by itself.
  await writeFile(join(worktree.path, 'later.txt'), 'written by a later run\n');
  const submitted = await server.api('POST', `/api/sessions/${session.id}/messages`, { prompt: 'hello' });
  expect(submitted.status).toBe(202);
  await expect.poll(() => list.locator('.change').count()).toBe(4);
  // The file that was open stays open.
  expect(await changes.locator('details.change[open]', { hasText: 'src/app.ts' }).count()).toBe(1);
  await changes.getByRole('button', { name: 'Close' }).click();
}

/** The file browser: folders first, highlighted text, an image, breadcrumbs, files of no known kind. */
async function checkFiles({ page, size, name, worktree }: Opened): Promise<void> {
  // The file browser: folders first, a highlighted text file, an image, breadcrumbs back.
  await page.getByRole('button', { name: 'Files', exact: true }).click();
  const files = page.getByRole('dialog', { name: 'Files' });
  const entries = files.getByRole('list', { name: 'Files and folders' });
  await entries.waitFor();
  expect((await entries.locator('.entry-name').allTextContents())[0]).toBe('src/');
  await audit(page, 'files', size);
  await entries.getByRole('button', { name: /^src\// }).click();
  await entries.getByRole('button', { name: /app\.ts/ }).click();
  await files.locator('.code-view .hljs-keyword').first().waitFor();
  expect(await files.locator('.code-view script').count()).toBe(0);
  expect(await files.locator('.code-view .code-text').textContent()).toBe(APP_TS_CHANGED);
  await audit(page, 'file-text', size);
  await page.emulateMedia({ colorScheme: 'dark' });
  await audit(page, 'file-text-dark', size);
  await page.emulateMedia({ colorScheme: 'light' });
  await files.getByRole('navigation', { name: 'Where you are' }).getByRole('button', { name: name }).click();
  await entries.getByRole('button', { name: /logo\.png/ }).click();
  const image = files.getByRole('img', { name: 'logo.png' });
  await expect.poll(() => image.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(160);
  await audit(page, 'file-image', size);
  // Named like no text file: a download, or shown as text when its bytes are text.
  await writeFiles(worktree.path, { 'build.out': 'compiled fine\n', 'blob.bin': Buffer.from([0, 1, 2, 3]) });
  await files.getByRole('navigation', { name: 'Where you are' }).getByRole('button', { name: name }).click();
  await entries.getByRole('button', { name: /build\.out/ }).click();
  expect(await files.getByRole('link', { name: 'Download' }).getAttribute('href')).toContain('download=1');
  await files.getByRole('button', { name: 'Show as text' }).click();
  await expect.poll(() => files.locator('.code-view .code-text').textContent()).toBe('compiled fine\n');
  await files.getByRole('navigation', { name: 'Where you are' }).getByRole('button', { name: name }).click();
  await entries.getByRole('button', { name: /blob\.bin/ }).click();
  await files.getByRole('button', { name: 'Show as text' }).click();
  await files.getByText('This file is not text').waitFor();
  await files.getByRole('button', { name: 'Close' }).click();
}

/** Attachments: refused, fitted, picked, removed, pasted, dropped, sent, and shown under the prompt. */
async function checkAttachments({ page, size, worktree }: Opened): Promise<void> {
  // Attachments: one over the server's MAX_ATTACHMENT_MB (4, told in its welcome) is refused at once; an image and a text file go in the tray; the text file is removed.
  const picker = page.locator('#attach-input');
  await picker.setInputFiles({ name: 'huge.png', mimeType: 'image/png', buffer: Buffer.alloc(6 * 1024 * 1024) });
  await expect.poll(() => alertText(page)).toContain('huge.png is 6.0 MB; a file may be at most 4.0 MB.');
  // A real picture over the limit (a phone's photo) is made into a JPEG that fits, and the user is told.
  const photo = noisePng(1700, 1200);
  expect(photo.length).toBeGreaterThan(5 * 1024 * 1024);
  await picker.setInputFiles({ name: 'photo.png', mimeType: 'image/png', buffer: photo });
  await expect.poll(() => alertText(page)).toContain('photo.png was turned into a 1700×1200 JPEG');
  await page.getByRole('button', { name: 'Remove photo.jpg' }).click();
  await expect.poll(() => page.locator('#attachment-tray .chip').count()).toBe(0);
  const shot = gradientPng(320, 200, [22, 163, 74], [250, 204, 21]);
  await picker.setInputFiles([
    { name: 'screenshot.png', mimeType: 'image/png', buffer: shot },
    { name: 'todo.txt', mimeType: 'text/plain', buffer: Buffer.from('- fix it\n') },
  ]);
  await expect.poll(() => page.locator('#attachment-tray .chip').count()).toBe(2);
  await page.getByRole('button', { name: 'Remove todo.txt' }).click();
  await expect.poll(() => page.locator('#attachment-tray .chip').count()).toBe(1);
  // A picture pasted into the message box, a text file dropped on the composer.
  const clip = gradientPng(120, 80, [219, 39, 119], [14, 165, 233]);
  await page.evaluate(
    ({ png, text }) => {
      const files = (name: string, type: string, bytes: number[]) => {
        const data = new DataTransfer();
        data.items.add(new File([new Uint8Array(bytes)], name, { type }));
        return data;
      };
      const box = document.getElementById('message');
      box?.dispatchEvent(new ClipboardEvent('paste', { clipboardData: files('clip.png', 'image/png', png), bubbles: true, cancelable: true }));
      const drop = files('plan.md', '', text);
      document.getElementById('composer')?.dispatchEvent(new DragEvent('drop', { dataTransfer: drop, bubbles: true, cancelable: true }));
    },
    { png: [...clip], text: [...Buffer.from('# Plan\n')] },
  );
  await expect.poll(() => page.locator('#attachment-tray .chip').count()).toBe(3);
  await page.getByRole('textbox', { name: 'Message' }).fill('What is wrong in this screenshot?');
  await audit(page, 'composer-attachment', size);
  await page.getByRole('textbox', { name: 'Message' }).press('Enter');

  // The transcript shows the prompt's picture, read back from the session folder.
  const thumb = page.locator('#transcript .prompt-files img[alt="screenshot.png"]');
  await expect.poll(() => thumb.evaluate((img: HTMLImageElement) => img.naturalWidth).catch(() => 0)).toBe(320);
  const pasted = page.locator('#transcript .prompt-files img[alt="clip.png"]');
  await expect.poll(() => pasted.evaluate((img: HTMLImageElement) => img.naturalWidth).catch(() => 0)).toBe(120);
  expect(await page.locator('#transcript .prompt-files a.prompt-file').textContent()).toMatch(/^plan\.md · 1 KB$/);
  expect(await readFile(join(worktree.path, 'attachments', 'plan.md'), 'utf8')).toBe('# Plan\n');
  expect(await page.locator('#attachment-tray').isHidden()).toBe(true);
  expect(await readFile(join(worktree.path, 'attachments', 'screenshot.png'))).toEqual(shot);
  // The scripted CLI echoes the image block it was sent: the same bytes reached it.
  const digest = createHash('sha256').update(shot).digest('hex').slice(0, 16);
  await page.getByText(`[image image/png ${shot.length} bytes sha256:${digest}]`).first().waitFor();
  await audit(page, 'transcript-attachment', size);
}

/** Deleting with the worktree: git's refusal shown and nothing deleted; once committed, removed with the branch kept. */
async function checkDelete({ page, size, name, repo, worktree }: Opened): Promise<void> {
  // Delete with the worktree: git refuses while it has uncommitted work, and nothing is deleted.
  await page.getByRole('button', { name: 'Delete', exact: true }).click();
  const confirm = page.getByRole('dialog', { name: `Delete “${name}”?` });
  await confirm.getByLabel('Also remove the worktree').check();
  await audit(page, 'delete-worktree', size);
  await confirm.getByRole('button', { name: 'Delete' }).click();
  await expect.poll(() => alertText(page)).toMatch(/^Nothing was deleted\. .*uncommitted|^Nothing was deleted\. .*no commit holds/);
  expect(await sessionNamed(name)).toBeDefined();
  await page.screenshot({ path: join(SCREENSHOT_DIR, `workspace-delete-refused-${size}.png`) });

  // Committed on its branch, it goes: the worktree is removed, the branch kept.
  commitAll(worktree.path, 'the session\'s work');
  await page.getByRole('button', { name: 'Delete', exact: true }).click();
  await confirm.getByLabel('Also remove the worktree').check();
  await confirm.getByRole('button', { name: 'Delete' }).click();
  await expect.poll(async () => (await sessionNamed(name)) === undefined).toBe(true);
  // The answer says what became of the worktree; the deletion is no error.
  await expect.poll(() => alertText(page)).toContain(`the branch ${worktree.branch} is kept`);
  // The session may leave the list a moment before git has removed the worktree.
  await expect.poll(() => worktreePaths(repo)).not.toContain(worktree.path);
  expect(existsSync(worktree.path)).toBe(false);
  expect(branches(repo)).toContain(worktree.branch);
}

/** A session on the user's checkout itself, with a diff past 1 MiB: the note says what was cut, the cut file shows none of its lines. */
async function checkCutDiff(page: Page, size: string, repo: string): Promise<void> {
  const line = 'a line of a generated file that is far too long to review on a phone\n';
  await writeFiles(repo, { 'big.txt': line.repeat(Math.ceil((1.2 * 1024 * 1024) / line.length)), 'small.txt': 'small\n' });
  await createSession(page, `Checkout ${size}`, `project-${size}`, false);
  await expect.poll(() => page.getByRole('textbox', { name: 'Message' }).isEnabled()).toBe(true);
  expect(await page.locator('#session-branch').isHidden()).toBe(true);
  await page.getByRole('button', { name: 'Changes', exact: true }).click();
  const changes = page.getByRole('dialog', { name: 'Changes' });
  await changes.getByRole('note').filter({ hasText: 'The diff is cut at' }).waitFor();
  await changes.locator('summary', { hasText: 'big.txt' }).click();
  await changes.getByText('Its diff was left out (see the note above).').waitFor();
  await page.screenshot({ path: join(SCREENSHOT_DIR, `workspace-changes-cut-${size}.png`) });
  await changes.getByRole('button', { name: 'Close' }).click();
}

describe.each([
  ['phone', PHONE],
  ['desktop', DESKTOP],
] as const)('the workspace on a %s', (size, viewport) => {
  it('shows a worktree session\'s branch, changes, files and an attached image, and deletes it with its worktree', async () => {
    const repo = await makeRepo(join(server.root, `project-${size}`), { 'README.md': '# demo\n', 'src/app.ts': APP_TS });
    const context = await browser.newContext({ viewport, serviceWorkers: 'block' });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    try {
      await page.goto(server.url);
      await page.getByText('Connected').waitFor();

      // A worktree asked for a folder that is no git repository: the server's refusal, shown.
      await createSession(page, `Not git ${size}`, '', true);
      await expect.poll(() => alertText(page)).toMatch(/git/i);
      expect(await sessionNamed(`Not git ${size}`)).toBeUndefined();
      await page.locator('#alerts').getByRole('button', { name: 'Dismiss' }).click();

      const name = `Worktree ${size}`;
      await createSession(page, name, `project-${size}`, true, async () => {
        await page.getByLabel('Start from').waitFor();
        await page.locator('#new-session').scrollIntoViewIfNeeded();
        await audit(page, 'new-session-form', size);
      });
      await expect.poll(() => page.getByRole('textbox', { name: 'Message' }).isEnabled()).toBe(true);
      const session = await sessionNamed(name);
      const worktree = session?.worktree;
      if (!session || !worktree) throw new Error(`no worktree session: ${JSON.stringify(session)}`);
      await expect.poll(() => page.locator('#session-branch').textContent()).toContain(worktree.branch);
      if (size === 'phone') await expect.poll(() => page.locator('#sidebar').isVisible()).toBe(false);
      await audit(page, 'header', size);

      const opened: Opened = { page, size, name, repo, session, worktree };
      await checkChanges(opened);
      await checkFiles(opened);
      await checkAttachments(opened);
      await checkDelete(opened);

      await checkCutDiff(page, size, repo);

      // A folder of its own is no git repository: the Changes page says so.
      await createSession(page, `Plain ${size}`, undefined, false);
      await expect.poll(() => page.getByRole('textbox', { name: 'Message' }).isEnabled()).toBe(true);
      await page.getByRole('button', { name: 'Changes', exact: true }).click();
      await page.getByRole('dialog', { name: 'Changes' }).getByText('Not a git repository.').waitFor();
      await audit(page, 'changes-not-git', size);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
