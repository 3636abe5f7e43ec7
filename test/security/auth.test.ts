/**
 * The security suite: with a secret configured, nothing but /health, the
 * login page and the static shell answers without credentials; secrets,
 * cookies, rate limits and WebSocket upgrades behave as stated.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IncomingHttpHeaders } from 'node:http';
import { loadConfig } from '../../server/config.js';
import { checkExposure } from '../../server/main.js';
import { finishedRuns, rawRequest, readSse, startTestServer, tempDir, upgradeStatus, type TestServer } from '../support/server.js';

const PASSWORD = 'correct horse battery staple';
const TOKEN = 'tok_9f8e7d6c5b4a39281706';
const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

let server: TestServer;
let sessionId: string;
let runId: string;

/** Every route that must refuse without credentials: method, path, body. */
const PROTECTED: Array<[string, string, unknown?]> = [
  ['GET', '/api/sessions'],
  ['POST', '/api/sessions', {}],
  ['GET', '/api/sessions/SID'],
  ['PATCH', '/api/sessions/SID', { name: 'x' }],
  ['DELETE', '/api/sessions/SID'],
  ['POST', '/api/sessions/SID/messages', { prompt: 'hi' }],
  ['POST', '/api/sessions/SID/execute', { prompt: 'hi' }],
  ['GET', '/api/sessions/SID/events'],
  ['GET', '/api/sessions/SID/history?beforeRun=RID'],
  ['GET', '/api/sessions/SID/queue'],
  ['DELETE', '/api/sessions/SID/queue/RID'],
  ['GET', '/api/sessions/SID/runs'],
  ['GET', '/api/sessions/SID/runs/RID'],
  ['GET', '/api/sessions/SID/runs/RID/raw'],
  ['POST', '/api/sessions/SID/interrupt'],
  ['POST', '/api/sessions/SID/clear'],
  ['POST', '/api/sessions/SID/permissions/req1', { behavior: 'allow' }],
  ['GET', '/api/sessions/SID/storage'],
  ['GET', '/api/processes'],
  ['GET', '/api/roots'],
  ['GET', '/api/folders?path=/'],
  ['GET', '/api/usage'],
  ['GET', '/api/auth/me'],
  ['GET', '/api/openapi.json'],
  ['GET', '/docs'],
  ['POST', '/chat', { prompt: 'hi' }],
  ['DELETE', '/chat/RID'],
  ['GET', '/processes'],
];

const fill = (path: string) => path.replace('SID', sessionId).replace('RID', runId);

/**
 * A request from `from`, a loopback address of its own: the failure limit
 * counts per client address, so tests that fail on purpose come from their
 * own address and lock out nobody else.
 */
async function call(method: string, path: string, body: unknown, headers: Record<string, string>, from?: string) {
  const res = await rawRequest(server.url, {
    method,
    path: fill(path),
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    localAddress: from,
  });
  return { status: res.status, text: res.text, headers: res.headers };
}

async function login(password = PASSWORD, extra: Record<string, string> = {}, from?: string) {
  return call('POST', '/api/auth/login', { password }, extra, from);
}

function cookieOf(res: { headers: IncomingHttpHeaders | Headers }): string {
  const set = res.headers instanceof Headers ? (res.headers.get('set-cookie') ?? '') : (res.headers['set-cookie']?.[0] ?? '');
  return set.split(';')[0] ?? '';
}

const upgrade = (headers: Record<string, string>, from?: string) => upgradeStatus(server.url, headers, { localAddress: from });

beforeAll(async () => {
  const webDir = await tempDir('cr-web-');
  writeFileSync(join(webDir, 'index.html'), '<!doctype html><title>shell</title>');
  mkdirSync(join(webDir, 'assets'));
  writeFileSync(join(webDir, 'assets', 'app.js'), 'console.log(1)');
  server = await startTestServer({ webDir, config: { AUTH_PASSWORD: PASSWORD, AUTH_TOKEN: TOKEN } });
  const created = await server.api('POST', '/api/sessions', {}, { authorization: `Bearer ${TOKEN}` });
  sessionId = created.body.id;
  const sent = await server.api('POST', `/api/sessions/${sessionId}/messages`, { prompt: 'hello' }, { authorization: `Bearer ${TOKEN}` });
  runId = sent.body.runId;
});
afterAll(() => server.close());

describe('without credentials, or with wrong ones', () => {
  it.each(PROTECTED)('%s %s refuses a request without credentials (401)', async (method, path, body) => {
    const res = await call(method, path, body, {});
    expect(res.status).toBe(401);
    expect(JSON.parse(res.text).error.code).toBe('unauthorized');
    expect(res.text).not.toContain(sessionId);
  });

  it.each(PROTECTED.map(([method, path, body], i): [string, string, unknown, number] => [method, path, body, i]))(
    '%s %s refuses wrong credentials (401)',
    async (method, path, body, i) => {
      const from = `127.0.1.${i + 1}`;
      for (const authorization of [`Bearer wrong-${TOKEN}`, basic('admin', 'nope'), basic('mallory', PASSWORD), 'Digest abc']) {
        const res = await call(method, path, body, { authorization }, from);
        expect(res.status, authorization).toBe(401);
      }
      const forged = await call(method, path, body, { cookie: 'cr_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }, from);
      expect(forged.status).toBe(401);
    },
  );

  it('accepts Bearer AUTH_TOKEN and Basic AUTH_USER:AUTH_PASSWORD (curl -u admin:PASSWORD)', async () => {
    expect((await call('GET', '/api/sessions', undefined, { authorization: `Bearer ${TOKEN}` })).status).toBe(200);
    expect((await call('GET', '/api/sessions', undefined, { authorization: basic('admin', PASSWORD) })).status).toBe(200);
    expect((await call('GET', '/processes', undefined, { authorization: basic('admin', PASSWORD) })).status).toBe(200);
  });

  it('refuses the SSE streams without credentials, before streaming anything', async () => {
    const res = await fetch(`${server.url}/api/sessions/${sessionId}/events?after=0`, { headers: { accept: 'text/event-stream' } });
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toContain('application/json');
    const ok = await fetch(`${server.url}/api/sessions/${sessionId}/events?after=0`, {
      headers: { accept: 'text/event-stream', authorization: `Bearer ${TOKEN}` },
    });
    const first = await readSse(ok, () => true);
    expect(first[0]?.event).toBe('session.created');
  });

  it('refuses WebSocket upgrades without credentials and with wrong ones', async () => {
    expect(await upgrade({})).toBe(401);
    expect(await upgrade({ authorization: `Bearer nope` })).toBe(401);
    expect(await upgrade({ cookie: 'cr_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' })).toBe(401);
    expect(await upgrade({ authorization: `Bearer ${TOKEN}` })).toBe(101);
  });

  it('serves /health, the login page and the static shell without credentials, and /health tells nothing private', async () => {
    const health = await call('GET', '/health', undefined, {});
    expect(health.status).toBe(200);
    expect(JSON.parse(health.text)).toEqual({ status: 'ok' });
    const full = JSON.parse((await call('GET', '/health', undefined, { authorization: `Bearer ${TOKEN}` })).text);
    expect(full.claude.found).toBe(true);
    expect((await call('GET', '/login', undefined, {})).status).toBe(200);
    expect((await call('GET', '/', undefined, {})).text).toContain('shell');
    expect((await call('GET', '/assets/app.js', undefined, {})).status).toBe(200);
  });
});

describe('browser login', () => {
  it('sets an httpOnly, SameSite=Strict session cookie with an expiry, and it opens the API', async () => {
    const res = await login();
    expect(res.status).toBe(200);
    const set = res.headers['set-cookie']?.[0] ?? '';
    expect(set).toMatch(/^cr_session=[A-Za-z0-9_-]{40,}/);
    expect(set).toContain('HttpOnly');
    expect(set).toContain('SameSite=Strict');
    expect(set).toMatch(/Max-Age=\d{6,}/);
    expect(set).toContain('Path=/');
    expect(set).not.toContain('Secure'); // plain http on loopback
    const cookie = cookieOf(res);
    expect((await call('GET', '/api/sessions', undefined, { cookie })).status).toBe(200);
    expect(await upgrade({ cookie, origin: server.url })).toBe(101);
  });

  it('does not believe X-Forwarded-Proto from a loopback connection (only the tunnel may say https)', async () => {
    const res = await login(PASSWORD, { 'x-forwarded-proto': 'https' });
    expect(res.headers['set-cookie']?.[0]).not.toContain('Secure');
  });

  it('refuses a WebSocket upgrade from a foreign Origin even with a valid cookie', async () => {
    const cookie = cookieOf(await login());
    expect(await upgrade({ cookie, origin: 'https://evil.example' })).toBe(403);
  });

  it('refuses a cookie-authenticated write from another origin', async () => {
    const cookie = cookieOf(await login());
    const foreign = await call('POST', '/api/sessions', {}, { cookie, origin: 'https://evil.example' });
    expect(foreign.status).toBe(403);
    const noOrigin = await call('POST', '/api/sessions', {}, { cookie });
    expect(noOrigin.status).toBe(403);
    const own = await call('POST', '/api/sessions', {}, { cookie, origin: server.url });
    expect(own.status).toBe(201);
  });

  it('ends the session server-side on logout: the old cookie no longer works', async () => {
    const cookie = cookieOf(await login());
    expect((await call('GET', '/api/sessions', undefined, { cookie })).status).toBe(200);
    const out = await call('POST', '/api/auth/logout', undefined, { cookie, origin: server.url });
    expect(out.status).toBe(200);
    expect(out.headers['set-cookie']?.[0]).toContain('Max-Age=0');
    expect((await call('GET', '/api/sessions', undefined, { cookie })).status).toBe(401);
    expect(await upgrade({ cookie, origin: server.url })).toBe(401);
  });

  it('logs in through the plain form and redirects only within the site', async () => {
    const form = (password: string, next: string) =>
      fetch(`${server.url}/api/auth/login`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ password, next }).toString(),
      });
    const ok = await form(PASSWORD, '/#abc');
    expect(ok.status).toBe(303);
    expect(ok.headers.get('location')).toBe('/#abc');
    expect(ok.headers.get('set-cookie')).toContain('cr_session=');
    const evil = await form(PASSWORD, '//evil.example/');
    expect(evil.headers.get('location')).toBe('/');
    const wrong = await form('nope', '/');
    expect(wrong.headers.get('location')).toMatch(/^\/login\?error=1/);
  });

  it('answers the 11th wrong password in a minute with 429 and Retry-After, even if the 11th is right', async () => {
    const from = '127.0.2.7';
    for (let i = 0; i < 10; i++) expect((await login(`wrong-${i}`, {}, from)).status).toBe(401);
    const eleventh = await login('wrong-again', {}, from);
    expect(eleventh.status).toBe(429);
    expect(Number(eleventh.headers['retry-after'])).toBeGreaterThan(0);
    expect((await login(PASSWORD, {}, from)).status).toBe(429);
    // Another client is not punished for it.
    expect((await login(PASSWORD, {}, '127.0.2.8')).status).toBe(200);
  });

  it('counts wrong API secrets against the client too', async () => {
    const from = '127.0.2.4';
    for (let i = 0; i < 10; i++) expect((await call('GET', '/api/sessions', undefined, { authorization: `Bearer bad-${i}` }, from)).status).toBe(401);
    const blocked = await call('GET', '/api/sessions', undefined, { authorization: `Bearer ${TOKEN}` }, from);
    expect(blocked.status).toBe(429);
    expect(blocked.headers['retry-after']).toBeDefined();
  });

  it('keeps login sessions across a server restart', async () => {
    const dataDir = await tempDir('cr-auth-restart-');
    const config = { AUTH_PASSWORD: PASSWORD };
    const first = await startTestServer({ dataDir, config });
    const res = await fetch(`${first.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ password: PASSWORD }) });
    const cookie = cookieOf(res);
    await first.close();
    const second = await startTestServer({ dataDir, config });
    try {
      expect((await fetch(`${second.url}/api/sessions`, { headers: { cookie } })).status).toBe(200);
    } finally {
      await second.close();
    }
  });

  it('runs prompts for an authenticated client as before', async () => {
    const events = await collectEventsAuthed(sessionId);
    expect(finishedRuns(events)[0]).toMatchObject({ status: 'success', result: 'Echo: hello' });
  });
});

async function collectEventsAuthed(id: string) {
  // collectEvents has no header option: go through a fetch with the token.
  const res = await fetch(`${server.url}/api/sessions/${id}/events?after=0`, { headers: { authorization: `Bearer ${TOKEN}` } });
  const messages = await readSse(res, (m) => m.event === 'run.finished');
  return messages.map((m) => JSON.parse(m.data));
}

describe('start-up safety', () => {
  const MAIN = fileURLToPath(new URL('../../server/main.ts', import.meta.url));
  const start = (env: Record<string, string>, args: string[] = []) =>
    new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
        env: { ...process.env, PORT: '0', LOG_LEVEL: 'info', AUTH_PASSWORD: '', AUTH_TOKEN: '', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      child.stderr.on('data', (c: Buffer) => {
        out += c.toString();
        if (out.includes('listening on')) child.kill('SIGTERM');
      });
      child.once('exit', (code) => resolve({ code, out }));
    });

  it('refuses HOST=0.0.0.0 without a secret, saying what to set', async () => {
    const { code, out } = await start({ HOST: '0.0.0.0', DATA_DIR: await tempDir('cr-safe-') });
    expect(code).toBe(2);
    expect(out).toContain('AUTH_PASSWORD');
    expect(out).not.toContain('listening on');
  });

  it('refuses the tunnel without a secret', async () => {
    const { code, out } = await start({ DATA_DIR: await tempDir('cr-safe-') }, ['--tunnel', '--ngrok-authtoken', 'x']);
    expect(code).toBe(2);
    expect(out).toContain('AUTH_PASSWORD');
  });

  // Allowed cases are checked without binding: tests listen on loopback only.
  it('lets an exposed start through with a secret, or with the loudly named opt-out and a warning', () => {
    const warnings: string[] = [];
    const log = { debug() {}, info() {}, error() {}, warn: (m: string) => warnings.push(m) };
    const exposed = (env: Record<string, string>, argv: string[] = []) => loadConfig({ env: { HOST: '0.0.0.0', ...env }, argv });
    expect(() => checkExposure(exposed({ AUTH_PASSWORD: 'pw' }), log)).not.toThrow();
    expect(() => checkExposure(exposed({ AUTH_TOKEN: 't' }), log)).not.toThrow();
    expect(warnings).toEqual([]);
    expect(() => checkExposure(exposed({}), log)).toThrow(/AUTH_PASSWORD/);
    expect(() => checkExposure(exposed({}, ['--dangerously-allow-unauthenticated-remote']), log)).not.toThrow();
    expect(warnings[0]).toContain('UNAUTHENTICATED');
    expect(() => checkExposure(loadConfig({ env: { HOST: '127.0.0.1' } }), log)).not.toThrow();
  });
});

describe('behind a proxy elsewhere on the network (TRUST_PROXY with addresses)', () => {
  let proxied: TestServer;
  beforeAll(async () => {
    // 127.0.0.8/30 stands for the proxy's range (a pod network, a LAN): 127.0.0.8 to .11.
    proxied = await startTestServer({ config: { AUTH_PASSWORD: PASSWORD, TRUST_PROXY: '127.0.0.8/30' } });
  });
  afterAll(() => proxied.close());

  const send = (path: string, headers: Record<string, string>, from: string, body?: unknown) =>
    rawRequest(proxied.url, { method: 'POST', path, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body ?? {}), localAddress: from });

  it('believes X-Forwarded-Proto from a listed proxy: the cookie is Secure and the page\'s https Origin is its own', async () => {
    const host = new URL(proxied.url).host;
    const viaProxy = { 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.7', host };
    const res = await send('/api/auth/login', viaProxy, '127.0.0.9', { password: PASSWORD });
    expect(res.status).toBe(200);
    expect(res.headers['set-cookie']?.[0]).toContain('Secure');
    const cookie = cookieOf(res);
    const created = await send('/api/sessions', { ...viaProxy, cookie, origin: `https://${host}` }, '127.0.0.9');
    expect(created.status).toBe(201);
  });

  it('does not believe it from an address outside the list, loopback or not', async () => {
    const host = new URL(proxied.url).host;
    const res = await send('/api/auth/login', { 'x-forwarded-proto': 'https', host }, '127.0.0.20', { password: PASSWORD });
    expect(res.status).toBe(200);
    expect(res.headers['set-cookie']?.[0]).not.toContain('Secure');
    const cookie = cookieOf(res);
    const forged = await send('/api/sessions', { 'x-forwarded-proto': 'https', host, cookie, origin: `https://${host}` }, '127.0.0.20');
    expect(forged.status).toBe(403);
  });

  it('counts failed logins per client the proxy names, so one guesser behind it does not lock out the others', async () => {
    for (let i = 0; i < 12; i++) await send('/api/auth/login', { 'x-forwarded-for': '198.51.100.1' }, '127.0.0.10', { password: 'wrong' });
    const guesser = await send('/api/auth/login', { 'x-forwarded-for': '198.51.100.1' }, '127.0.0.10', { password: PASSWORD });
    expect(guesser.status).toBe(429);
    const other = await send('/api/auth/login', { 'x-forwarded-for': '198.51.100.2' }, '127.0.0.10', { password: PASSWORD });
    expect(other.status).toBe(200);
  });
});
