/**
 * The app behind a password, as a phone or desktop user meets it: sent to the
 * login page, refused with a wrong password, let in with the right one, and
 * out again after logging out.
 */
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DESKTOP, launchBrowser, PHONE, SCREENSHOT_DIR, WEB_DIR, openSessionsDrawer } from '../support/browser.js';
import { startTestServer, type TestServer } from '../support/server.js';

const PASSWORD = 'phone-and-desk-123';
let server: TestServer;
let browser: Browser;

beforeAll(async () => {
  server = await startTestServer({ webDir: WEB_DIR, config: { AUTH_PASSWORD: PASSWORD } });
  browser = await launchBrowser();
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
      await page.getByLabel('Password').fill('wrong password');
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.getByRole('alert').filter({ hasText: 'Wrong password' }).waitFor();
      await page.getByLabel('Password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.getByText('Connected').waitFor();
      const cookies = await context.cookies();
      const session = cookies.find((c) => c.name === 'cr_session');
      expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
      // The page's own scripts cannot read it.
      expect(await page.evaluate(() => document.cookie)).not.toContain('cr_session');

      await openSessionsDrawer(page);
      await page.getByRole('button', { name: 'Log out' }).click();
      await page.waitForURL(/\/login/);
      expect((await fetch(`${server.url}/api/sessions`, { headers: { cookie: `cr_session=${session!.value}` } })).status).toBe(401);
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
      await page.getByRole('button', { name: 'Log out' }).click();
      await page.waitForURL(/\/login/);
      await page.getByLabel('Password').waitFor();
      expect(await page.locator('#message').count()).toBe(0);
    } finally {
      await context.close();
    }
  });
});
