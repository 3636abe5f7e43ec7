/**
 * The app behind a password, as a phone or desktop user meets it: sent to the
 * login page, refused with a wrong password, let in with the right one, and
 * out again after logging out.
 */
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessibilityViolations } from '../support/axe.js';
import { DESKTOP, launchBrowser, PHONE, SCREENSHOT_DIR, WEB_DIR, openSessionsDrawer } from '../support/browser.js';
import { startTestServer, type TestServer } from '../support/server.js';

const PASSWORD = 'phone-and-desk-123';
let server: TestServer;
let browser: Browser;

beforeAll(async () => {
  server = await startTestServer({ webDir: WEB_DIR, config: { AUTH_PASSWORD: PASSWORD } });
  const basic = `Basic ${Buffer.from(`admin:${PASSWORD}`).toString('base64')}`;
  await server.api('POST', '/api/sessions', { name: 'kept offline' }, { authorization: basic });
  browser = await launchBrowser();
});

/** In the page: whether the app's offline copy (IndexedDB) holds a snapshot. */
async function hasOfflineSnapshot(): Promise<boolean> {
  const names = (await indexedDB.databases()).map((d) => d.name);
  if (!names.includes('claude-remote')) return false;
  return new Promise<boolean>((resolve) => {
    const open = indexedDB.open('claude-remote');
    open.onerror = () => resolve(false);
    open.onsuccess = () => {
      const db = open.result;
      if (!db.objectStoreNames.contains('meta')) {
        db.close();
        return resolve(false);
      }
      const get = db.transaction('meta').objectStore('meta').get('snapshot');
      get.onsuccess = () => {
        db.close();
        resolve(get.result !== undefined);
      };
      get.onerror = () => {
        db.close();
        resolve(false);
      };
    };
  });
}

async function logIn(page: Page, url = server.url): Promise<void> {
  await page.goto(`${url}/login`);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByText('Connected').waitFor();
}

describe('log out everywhere', () => {
  it('ends the login of another device: its app is sent to the login page and forgets its offline copy', async () => {
    const lost = await browser.newContext({ viewport: PHONE, serviceWorkers: 'block' });
    const desk = await browser.newContext({ viewport: DESKTOP, serviceWorkers: 'block' });
    try {
      const phone = await lost.newPage();
      await logIn(phone);
      await phone.waitForFunction(hasOfflineSnapshot);
      const desktop = await desk.newPage();
      await logIn(desktop);
      await desktop.getByRole('button', { name: 'Log out everywhere' }).click();
      await desktop.waitForURL(/\/login/);
      // The phone's socket was closed by the server; on reconnecting it learns it is logged out.
      await phone.waitForURL(/\/login/, { timeout: 20_000 });
      expect(await phone.evaluate(hasOfflineSnapshot)).toBe(false);
      const [cookie] = (await lost.cookies()).filter((c) => c.name === 'cr_session');
      const status = cookie ? (await fetch(`${server.url}/api/sessions`, { headers: { cookie: `cr_session=${cookie.value}` } })).status : 401;
      expect(status).toBe(401);
    } finally {
      await lost.close();
      await desk.close();
    }
  });
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe.each([
  ['phone', PHONE],
  ['desktop', DESKTOP],
] as const)('logging in on a %s', (label, viewport) => {
  it('sends a stranger to the login page, refuses a wrong password, lets the right one in, and logs out', async () => {
    const context = await browser.newContext({ viewport, serviceWorkers: 'block' });
    const page = await context.newPage();
    try {
      await page.goto(server.url);
      await page.waitForURL(/\/login\?next=/);
      await page.screenshot({ path: join(SCREENSHOT_DIR, `login-${label}.png`) });
      expect(await accessibilityViolations(page, `login page (${label})`, 'minor')).toEqual([]);
      await page.getByLabel('Password').fill('wrong password');
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.getByRole('alert').filter({ hasText: 'Wrong password' }).waitFor();
      expect(await accessibilityViolations(page, `login page, wrong password (${label})`, 'minor')).toEqual([]);
      await page.getByLabel('Password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.getByText('Connected').waitFor();
      const cookies = await context.cookies();
      const session = cookies.find((c) => c.name === 'cr_session');
      expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
      // The page's own scripts cannot read it.
      expect(await page.evaluate(() => document.cookie)).not.toContain('cr_session');

      // The app keeps an offline copy of what it showed...
      await page.waitForFunction(hasOfflineSnapshot);

      await openSessionsDrawer(page);
      await page.getByRole('button', { name: 'Log out', exact: true }).click();
      await page.waitForURL(/\/login/);
      expect((await fetch(`${server.url}/api/sessions`, { headers: { cookie: `cr_session=${session!.value}` } })).status).toBe(401);
      // ...which logging out forgets: the next person with this phone finds nothing.
      expect(await page.evaluate(hasOfflineSnapshot)).toBe(false);
    } finally {
      await context.close();
    }
  });
});

describe('remote access in the app', () => {
  it('shows the tunnel URL in the sessions drawer once it is online', async () => {
    const tunnelled = await startTestServer({
      webDir: WEB_DIR,
      config: { AUTH_PASSWORD: PASSWORD, TUNNEL: '1', NGROK_AUTHTOKEN: 'fake', NGROK_DOMAIN: 'me.ngrok.app' },
      overrides: { tunnel: { forward: async () => ({ url: () => 'https://me.ngrok.app', close: async () => {} }) } },
    });
    const context = await browser.newContext({ viewport: PHONE, serviceWorkers: 'block' });
    const page = await context.newPage();
    try {
      await page.goto(`${tunnelled.url}/login`);
      await page.getByLabel('Password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.getByText('Connected').waitFor();
      await openSessionsDrawer(page);
      await page.getByRole('link', { name: 'https://me.ngrok.app' }).waitFor();
      await page.screenshot({ path: join(SCREENSHOT_DIR, 'remote-access-phone.png') });
    } finally {
      await context.close();
      await tunnelled.close();
    }
  });
});

describe('the login page and the service worker', () => {
  it('still gets the server\'s login page, not the cached app, once the worker controls the site', async () => {
    const context = await browser.newContext({ viewport: DESKTOP });
    const page = await context.newPage();
    try {
      await page.goto(`${server.url}/login`);
      await page.getByLabel('Password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.getByText('Connected').waitFor();
      await page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));
      await page.reload();
      await page.getByText('Connected').waitFor();
      expect(await page.evaluate(() => Boolean(navigator.serviceWorker.controller))).toBe(true);
      await page.getByRole('button', { name: 'Log out', exact: true }).click();
      await page.waitForURL(/\/login/);
      await page.getByLabel('Password').waitFor();
      expect(await page.locator('#message').count()).toBe(0);
    } finally {
      await context.close();
    }
  });
});
