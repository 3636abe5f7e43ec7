/**
 * Pushes in Chromium at phone size, behind a password: turning notices on
 * subscribes the device and lists it; the service worker shows a push as a
 * notification whose Allow answers the real permission request through the
 * API (with the login cookie) without opening the app; tapping one shows
 * its session in the open app.
 *
 * Offline, no browser reaches a real push service, so two things stand in:
 * `PushManager.subscribe` hands out a subscription on the local push service
 * (test/support/fake-push.ts), and the test carries a push from that service
 * to the worker by calling the worker's own `push` and `notificationclick`
 * listeners (a real event from a test would be untrusted, and its waitUntil
 * would throw).
 */
import { join } from 'node:path';
import type { Browser, BrowserContext, Page, Worker } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PushPayload } from '../../server/protocol/push.js';
import { launchBrowser, openSessionsDrawer, PHONE, SCREENSHOT_DIR, WEB_DIR } from '../support/browser.js';
import { startFakePushService, type FakePushService, type FakeSubscription } from '../support/fake-push.js';
import { fake, startTestServer, waitUntil, type TestServer } from '../support/server.js';

const PASSWORD = 'push-from-a-locked-phone';
const BASIC = { authorization: `Basic ${Buffer.from(`admin:${PASSWORD}`).toString('base64')}` };
const FIREFOX_ON_MAC = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14.5; rv:130.0) Gecko/20100101 Firefox/130.0';

let browser: Browser;
let pushService: FakePushService;

beforeAll(async () => {
  browser = await launchBrowser();
  pushService = await startFakePushService();
});
afterAll(async () => {
  await browser?.close();
  await pushService?.close();
});

async function pushServer(): Promise<TestServer> {
  return startTestServer({ webDir: WEB_DIR, config: { AUTH_PASSWORD: PASSWORD }, overrides: { push: { agent: pushService.agent } } });
}

/** A phone-sized context that may show notifications, whose PushManager subscribes to the local push service. */
async function phoneContext(server: TestServer, device: FakeSubscription): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: PHONE, serviceWorkers: 'allow' });
  await context.grantPermissions(['notifications'], { origin: server.url });
  await context.addInitScript((json) => {
    const KEY = 'test.fake-push-key';
    const bytes = (text: string) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0)).buffer;
    const made = (key: string) => ({
      endpoint: json.endpoint,
      expirationTime: null,
      options: { userVisibleOnly: true, applicationServerKey: bytes(key) },
      toJSON: () => json,
      getKey: () => null,
      unsubscribe: async () => {
        localStorage.removeItem(KEY);
        return true;
      },
    });
    PushManager.prototype.subscribe = async function subscribe(options?: PushSubscriptionOptionsInit) {
      const key = btoa(String.fromCharCode(...new Uint8Array(options?.applicationServerKey as Uint8Array)));
      localStorage.setItem(KEY, key);
      return made(key) as unknown as PushSubscription;
    };
    PushManager.prototype.getSubscription = async function getSubscription() {
      const key = localStorage.getItem(KEY);
      return key ? (made(key) as unknown as PushSubscription) : null;
    };
  }, device.json);
  return context;
}

async function logIn(page: Page, server: TestServer): Promise<void> {
  await page.goto(`${server.url}/login`);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByText('Connected').waitFor();
}

async function serviceWorker(page: Page): Promise<Worker> {
  await page.evaluate(async () => void (await navigator.serviceWorker.ready));
  return page.context().serviceWorkers()[0] ?? page.context().waitForEvent('serviceworker');
}

/** Calls the worker's `push` listeners with this payload, and waits for what they wait for. */
function deliver(worker: Worker, payload: PushPayload): Promise<void> {
  return worker.evaluate(async (p) => {
    const waits: Array<Promise<unknown>> = [];
    const event = new Event('push');
    Object.defineProperties(event, {
      data: { value: { json: () => p, text: () => JSON.stringify(p) } },
      waitUntil: { value: (w: Promise<unknown>) => void waits.push(w) },
    });
    self.dispatchEvent(event);
    await Promise.all(waits);
  }, payload);
}

interface Shown {
  title: string;
  body: string;
  tag: string;
  actions: string[];
}

function notifications(worker: Worker): Promise<Shown[]> {
  return worker.evaluate(async () => {
    const registration = (self as unknown as { registration: ServiceWorkerRegistration }).registration;
    return (await registration.getNotifications()).map((n) => ({
      title: n.title,
      body: n.body,
      tag: n.tag,
      actions: ((n as Notification & { actions?: Array<{ action: string }> }).actions ?? []).map((a) => a.action),
    }));
  });
}

/** Calls the worker's `notificationclick` listeners for its notification with this tag, as a tap on `action` ('' for the body). */
function tap(worker: Worker, tag: string, action: string): Promise<void> {
  return worker.evaluate(
    async ({ tag: t, action: a }) => {
      const registration = (self as unknown as { registration: ServiceWorkerRegistration }).registration;
      const [notification] = await registration.getNotifications({ tag: t });
      if (!notification) throw new Error(`no notification ${t}`);
      const waits: Array<Promise<unknown>> = [];
      const event = new Event('notificationclick');
      Object.defineProperties(event, {
        notification: { value: notification },
        action: { value: a },
        waitUntil: { value: (w: Promise<unknown>) => void waits.push(w) },
      });
      self.dispatchEvent(event);
      await Promise.all(waits);
    },
    { tag, action },
  );
}

async function sessionWithRequest(server: TestServer, name: string): Promise<{ id: string; runId: string }> {
  const created = await server.api('POST', '/api/sessions', { name }, BASIC);
  const id = (created.body as { id: string }).id;
  const prompt = fake([{ tool: { name: 'Bash', input: { command: 'make deploy' }, output: 'deployed', ask: true } }, { text: 'done' }]);
  const runId = ((await server.api('POST', `/api/sessions/${id}/messages`, { prompt }, BASIC)).body as { runId: string }).runId;
  await waitUntil(async () => (await server.api('GET', `/api/sessions/${id}`, undefined, BASIC)).body.status === 'waiting', 20_000, `${name} to wait`);
  return { id, runId };
}

describe('pushes on a phone', () => {
  it('subscribes this device when notices are turned on, lists it with the other devices, and removes it', async () => {
    const server = await pushServer();
    const phone = pushService.subscription('ui-phone');
    const context = await phoneContext(server, phone);
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (err) => pageErrors.push(err.message));
    try {
      const laptop = pushService.subscription('ui-laptop');
      expect((await server.api('POST', '/api/push/subscriptions', laptop.json, { ...BASIC, 'user-agent': FIREFOX_ON_MAC })).status).toBe(201);
      await logIn(page, server);
      await serviceWorker(page);
      await openSessionsDrawer(page);
      const toggle = page.locator('#notify-toggle');
      await toggle.click();
      await expect.poll(() => toggle.getAttribute('aria-pressed')).toBe('true');
      const mine = page.locator('.push-device[data-this-device]');
      await mine.waitFor({ timeout: 20_000 });
      expect(await mine.textContent()).toContain('This device (Chrome on Linux)');
      expect(await page.locator('.push-device').count()).toBe(2);
      expect(await page.locator('.push-device').first().getAttribute('data-this-device')).toBe('true');
      await expect.poll(() => page.locator('.push-list').textContent()).toContain('Firefox on macOS');

      const listed = (await server.api('GET', '/api/push/subscriptions', undefined, BASIC)).body.subscriptions as Array<{ endpointHost: string; userAgent?: string }>;
      expect(listed).toHaveLength(2);
      expect(listed[1]).toMatchObject({ endpointHost: new URL(pushService.url).host, userAgent: expect.stringContaining('Chrome') });

      await page.locator('.settings').scrollIntoViewIfNeeded();
      await page.screenshot({ path: join(SCREENSHOT_DIR, 'push-settings-phone.png') });

      await mine.getByRole('button', { name: 'Remove' }).click();
      await mine.waitFor({ state: 'detached' });
      await page.getByRole('button', { name: 'Get pushes on this device' }).waitFor();
      expect(((await server.api('GET', '/api/push/subscriptions', undefined, BASIC)).body.subscriptions as unknown[]).length).toBe(1);
      expect(await page.evaluate(() => localStorage.getItem('test.fake-push-key'))).toBeNull(); // unsubscribed in the browser too
      expect(pageErrors).toEqual([]);
    } finally {
      await context.close();
      await server.close();
    }
  });

  it('shows a push as a notification whose Allow answers the real request without opening the app; a tap opens its session', async () => {
    const server = await pushServer();
    const phone = pushService.subscription('sw-phone');
    const context = await phoneContext(server, phone);
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (err) => pageErrors.push(err.message));
    try {
      expect((await server.api('POST', '/api/push/subscriptions', phone.json, BASIC)).status).toBe(201);
      await logIn(page, server);
      const worker = await serviceWorker(page);

      // The app is closed (this tab shows the API docs): the server pushes, the push service delivers.
      await page.goto(`${server.url}/docs`);
      const deploy = await sessionWithRequest(server, 'Deploy');
      const payload = JSON.parse(phone.decrypt((await pushService.waitForPush(phone.path)).body)) as PushPayload;
      expect(payload).toMatchObject({ kind: 'permission', sessionId: deploy.id, runId: deploy.runId, toolName: 'Bash' });
      await deliver(worker, payload);
      expect(await notifications(worker)).toEqual([
        { title: 'Deploy: allow Bash?', body: 'Claude wants to use Bash. Tap to see what it would do.', tag: deploy.id, actions: ['allow', 'deny'] },
      ]);

      await tap(worker, deploy.id, 'allow');
      const run = async () => (await server.api('GET', `/api/sessions/${deploy.id}/runs/${deploy.runId}`, undefined, BASIC)).body as { state: string };
      await expect.poll(async () => (await run()).state, { timeout: 20_000 }).toBe('success');
      expect(await notifications(worker)).toEqual([]);
      expect(page.url()).toBe(`${server.url}/docs`); // no app was opened

      // The same request again (a second tap on a stale notification): the server says it was answered, and so does a notification.
      await deliver(worker, payload);
      await tap(worker, deploy.id, 'deny');
      const [followUp] = await notifications(worker);
      expect(followUp).toMatchObject({ title: 'Deploy: not answered', tag: deploy.id, actions: [] });
      expect(followUp?.body).toContain('already answered: allow');

      // Back in the app; another session waits. Tapping its notification shows it there.
      await page.goto(server.url);
      await page.getByText('Connected').waitFor();
      const review = await sessionWithRequest(server, 'Review');
      await deliver(worker, { ...payload, sessionId: review.id, sessionName: 'Review', runId: review.runId, title: 'Review: allow Bash?' });
      await tap(worker, review.id, '');
      await expect.poll(() => page.evaluate(() => decodeURIComponent(location.hash.slice(1)))).toBe(review.id);
      await expect.poll(() => page.locator('#session-title').textContent()).toBe('Review');
      await page.locator('.waiting-chip', { hasText: 'waiting for you' }).waitFor();
      await page.getByRole('button', { name: 'Allow' }).first().waitFor(); // the request's card
      await page.waitForTimeout(400); // the drawer slides away
      await page.screenshot({ path: join(SCREENSHOT_DIR, 'push-opened-session-phone.png') });
      await openSessionsDrawer(page);
      const first = page.locator('#session-list .session').first();
      await expect.poll(() => first.textContent()).toContain('waiting for you');
      expect(await first.textContent()).toContain('Review');
      await page.waitForTimeout(400); // the drawer slides in
      await page.screenshot({ path: join(SCREENSHOT_DIR, 'push-waiting-sessions-phone.png') });
      expect(pageErrors).toEqual([]);
    } finally {
      await context.close();
      await server.close();
    }
  });
});
