/**
 * The installable, offline-capable app in Chromium: the manifest, the service
 * worker taking control, and, with the server stopped, a reload that still
 * opens the app (from the worker's precache) and shows the last seen session
 * and transcript (from the app's IndexedDB snapshot), marked offline.
 *
 * Each test starts its own server (it stops it) and a fresh browser context.
 * http://127.0.0.1 is a secure context, so service workers run.
 */
import { existsSync } from 'node:fs';
import { appendFile, cp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessibilityViolations } from '../support/axe.js';
import { DESKTOP, launchBrowser, PHONE, SCREENSHOT_DIR, WEB_DIR, openSessionsDrawer } from '../support/browser.js';
import { startTestServer, tempDir } from '../support/server.js';

let browser: Browser;

beforeAll(async () => {
  if (!existsSync(join(WEB_DIR, 'sw.js'))) throw new Error('dist/web is not built (or has no sw.js): run `npx vite build` (npm test does)');
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

/** Everything the app saved for offline use (the list and the states), as JSON text ('' before it saved anything). */
function savedSnapshot(page: Page): Promise<string> {
  return page.evaluate(async () => {
    // Opening a database that does not exist would create it without its stores: look first.
    const dbs = await indexedDB.databases();
    if (!dbs.some((d) => d.name === 'claude-remote')) return '';
    return new Promise<string>((resolve) => {
      const req = indexedDB.open('claude-remote');
      req.onerror = () => resolve('');
      req.onsuccess = () => {
        const db = req.result;
        if (!db.objectStoreNames.contains('states') || !db.objectStoreNames.contains('meta')) {
          db.close();
          resolve('');
          return;
        }
        const tx = db.transaction(['meta', 'states']);
        const meta = tx.objectStore('meta').getAll();
        const states = tx.objectStore('states').getAll();
        tx.oncomplete = () => {
          db.close();
          resolve(JSON.stringify({ meta: meta.result, states: states.result }));
        };
        tx.onerror = () => {
          db.close();
          resolve('');
        };
      };
    });
  });
}

describe.each([
  ['phone', PHONE],
  ['desktop', DESKTOP],
] as const)('the PWA on a %s', (label, viewport) => {
  it('installs a service worker, and opens offline with the last seen session', async () => {
    const server = await startTestServer({ webDir: WEB_DIR });
    let serverRunning = true;
    const context = await browser.newContext({ viewport, serviceWorkers: 'allow' });
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (err) => pageErrors.push(err.message));
    try {
      await page.goto(server.url);

      // The manifest: linked, served, and JSON.
      const manifestHref = await page.locator('link[rel="manifest"]').getAttribute('href');
      expect(manifestHref).toBe('/manifest.webmanifest');
      const manifest = await page.evaluate(async (href) => {
        const res = await fetch(href);
        return { type: res.headers.get('content-type'), body: (await res.json()) as { name: string; display: string } };
      }, manifestHref ?? '');
      expect(manifest.body.name).toBe('Claude Remote');
      expect(manifest.body.display).toBe('standalone');
      expect(manifest.type).toMatch(/manifest\+json|application\/json/);

      // The service worker installs and activates, and controls the page after a reload.
      const scope = await page.evaluate(async () => (await navigator.serviceWorker.ready).scope);
      expect(scope).toBe(`${server.url}/`);
      await page.reload();
      await expect.poll(() => page.evaluate(() => navigator.serviceWorker.controller?.scriptURL ?? null)).toBe(`${server.url}/sw.js`);

      // A session with one run.
      const name = `Offline ${label}`;
      await openSessionsDrawer(page);
      // By id: the form and the message box are being reworked in parallel; these ids stay.
      await page.locator('#new-name').fill(name);
      await page.locator('#new-session button[type="submit"]').click();
      const box = page.locator('#message');
      await expect.poll(() => box.isEnabled()).toBe(true);
      const prompt = `remember me on a ${label}`;
      await box.fill(prompt);
      await box.press('Enter');
      const transcript = page.locator('#transcript');
      await transcript.getByText(`Echo: ${prompt}`).waitFor({ timeout: 20_000 });
      await expect.poll(() => page.locator('#connection-text').textContent()).toBe('Connected');
      await transcript.getByText('success').first().waitFor({ timeout: 20_000 });
      await expect.poll(() => page.locator('#session-totals').textContent()).toContain('1 run');
      // The snapshot is written at most once a second: wait until it holds the finished run
      // and the session's new totals (the app also writes what is pending when the page goes).
      await expect
        .poll(async () => {
          const saved = await savedSnapshot(page);
          return saved.includes(`Echo: ${prompt}`) && saved.includes('"status":"success"') && saved.includes('"runs":1');
        }, { timeout: 10_000 })
        .toBe(true);

      // A reload resumes the saved session from its saved lastSeq (in the hello, or in the
      // subscribe after the welcome when the snapshot loaded after the hello went out).
      const sessionId = decodeURIComponent(new URL(page.url()).hash.slice(1));
      expect(sessionId).not.toBe('');
      const sent: Array<{ type: string; resume?: Record<string, number>; sessionId?: string; after?: number }> = [];
      page.on('websocket', (ws) => ws.on('framesent', (f) => sent.push(JSON.parse(String(f.payload)))));
      await page.reload();
      await expect.poll(() => page.locator('#connection-text').textContent()).toBe('Connected');
      await transcript.getByText(`Echo: ${prompt}`).waitFor();
      const resumedFrom = () => {
        const hello = sent.find((f) => f.type === 'hello');
        const subscribe = sent.find((f) => f.type === 'subscribe' && f.sessionId === sessionId);
        return hello?.resume?.[sessionId] ?? subscribe?.after ?? 0;
      };
      await expect.poll(resumedFrom).toBeGreaterThan(0);

      // The server goes away; the app still opens, from the precache and the snapshot.
      await server.close();
      serverRunning = false;
      const offlineShell = await page.reload();
      expect(offlineShell?.fromServiceWorker()).toBe(true);
      await transcript.getByText(`Echo: ${prompt}`).waitFor({ timeout: 10_000 });
      await transcript.getByText('success').first().waitFor();
      await expect.poll(() => page.locator('#session-totals').textContent()).toContain('1 run');
      await expect.poll(() => page.locator('#session-list').textContent()).toContain(name);
      await expect.poll(() => page.locator('#session-title').textContent()).toBe(name);
      await expect.poll(() => page.locator('#connection-text').textContent(), { timeout: 10_000 }).toBe('Offline');
      expect(await page.evaluate(() => document.body.dataset.offline)).toBe('true');
      // Still the service worker's page, not a browser error page.
      expect(await page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);
      await page.screenshot({ path: join(SCREENSHOT_DIR, `pwa-offline-${label}.png`) });
      expect(await accessibilityViolations(page, `offline (${label})`, 'minor')).toEqual([]);

      if (label === 'phone') {
        // On a phone the list sits in the drawer.
        await page.getByRole('button', { name: 'Sessions' }).click();
        await page.locator('#session-list').getByText(name).waitFor();
        await page.waitForTimeout(400); // the drawer slides in
        await page.screenshot({ path: join(SCREENSHOT_DIR, 'pwa-offline-phone-sessions.png') });
        expect(await accessibilityViolations(page, 'offline, sessions drawer (phone)', 'minor')).toEqual([]);
      } else {
        await page.locator('#session-list').getByText(name).waitFor();
      }
      expect(pageErrors).toEqual([]);
    } finally {
      await context.close();
      if (serverRunning) await server.close();
    }
  });
});

describe('a new version of the PWA', () => {
  it('waits until the reader agrees, then takes over and reloads the page', async () => {
    // A copy of the build whose sw.js we can change, as a deploy would.
    const webDir = await tempDir('cr-web-');
    await cp(WEB_DIR, webDir, { recursive: true });
    const server = await startTestServer({ webDir });
    const context = await browser.newContext({ viewport: DESKTOP });
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (err) => pageErrors.push(err.message));
    try {
      await page.goto(server.url);
      await page.evaluate(async () => void (await navigator.serviceWorker.ready));
      await page.reload();
      await expect.poll(() => page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);
      const firstWorker = await page.evaluate(async () => {
        const reg = await navigator.serviceWorker.getRegistration();
        return reg?.active?.scriptURL;
      });
      expect(firstWorker).toBe(`${server.url}/sw.js`);

      // The server's own pages are never answered with the app shell.
      const docs = await page.goto(`${server.url}/docs`);
      expect(docs?.fromServiceWorker()).toBe(false);
      expect(await page.locator('#composer').count()).toBe(0);
      await page.goto(server.url);
      await expect.poll(() => page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);

      // Deploy: the worker changes; the page finds it and asks before it takes over.
      await appendFile(join(webDir, 'sw.js'), '\n// next version\n');
      await page.evaluate(async () => {
        const reg = await navigator.serviceWorker.getRegistration();
        await reg?.update();
      });
      const prompt = page.getByRole('status').filter({ hasText: 'A new version is available' });
      await prompt.waitFor({ timeout: 15_000 });
      // Still the old worker in charge while the prompt is up.
      expect(await page.evaluate(async () => Boolean((await navigator.serviceWorker.getRegistration())?.waiting))).toBe(true);
      await page.screenshot({ path: join(SCREENSHOT_DIR, 'pwa-update-desktop.png') });

      const reloaded = page.waitForEvent('load', { timeout: 15_000 });
      await prompt.getByRole('button', { name: 'Reload' }).click();
      await reloaded;
      await expect
        .poll(() =>
          page.evaluate(async () => {
            const reg = await navigator.serviceWorker.getRegistration();
            return { waiting: Boolean(reg?.waiting), controlled: navigator.serviceWorker.controller !== null };
          }),
        )
        .toEqual({ waiting: false, controlled: true });
      expect(await page.getByText('A new version is available').count()).toBe(0);
      expect(pageErrors).toEqual([]);
    } finally {
      await context.close();
      await server.close();
      await rm(webDir, { recursive: true, force: true });
    }
  });
});
