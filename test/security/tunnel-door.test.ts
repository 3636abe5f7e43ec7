/**
 * The phone's way in: ngrok delivers to the server's private tunnel listener
 * (a Unix socket) with the tunnel's host name, `X-Forwarded-Proto: https` and
 * the client's address in `X-Forwarded-For`. These tests play ngrok's part on
 * that socket and drive the whole app through it, to show the new Host,
 * Origin and client rules let the phone in, and believe the forwarded headers
 * there and nowhere else.
 */
import { statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { Config } from '@ngrok/ngrok';
import type { ServerEvent } from '../../server/protocol/events.js';
import type { ServerFrame } from '../../server/protocol/ws.js';
import { rawRequest, startTestServer, tempDir, upgradeStatus, waitUntil, type TestServer } from '../support/server.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const PASSWORD = 'through-the-tunnel-9';
const HOST = 'you.ngrok.app';
const ORIGIN = `https://${HOST}`;
let server: TestServer;
let forwarded: Config | undefined;
let socketPath: string;

/** What ngrok's edge adds to every request it forwards. */
const edge = (client: string, extra: Record<string, string> = {}) => ({
  host: HOST,
  'x-forwarded-proto': 'https',
  'x-forwarded-for': client,
  ...extra,
});

beforeAll(async () => {
  const webDir = await tempDir('cr-tunnel-web-');
  writeFileSync(join(webDir, 'index.html'), '<!doctype html><title>the app shell</title>');
  mkdirSync(join(webDir, 'assets'));
  server = await startTestServer({
    webDir,
    config: { AUTH_PASSWORD: PASSWORD, TUNNEL: '1', NGROK_AUTHTOKEN: 'fake', NGROK_DOMAIN: HOST },
    overrides: {
      tunnel: {
        forward: async (options) => {
          forwarded = options;
          return { url: () => ORIGIN, close: async () => {} };
        },
      },
    },
  });
  socketPath = server.tunnelSocket as string;
});
afterAll(() => server.close());

const viaTunnel = (path: string, headers: Record<string, string>, method = 'GET', body?: string) =>
  rawRequest(server.url, { method, path, headers, body, socketPath });

describe('the tunnel has a listener of its own', () => {
  it('points ngrok at a Unix socket only this user can open', async () => {
    await waitUntil(() => forwarded, 5000, 'the tunnel to start');
    expect(forwarded?.addr).toBe(`unix:${socketPath}`);
    expect(statSync(socketPath).mode & 0o777).toBe(0o600);
  });
});

describe('the whole app through the tunnel, with its host name and a password', () => {
  it('serves the shell, logs in with a Secure cookie, creates a session, runs a prompt and streams it over a WebSocket', async () => {
    const client = '203.0.113.50';
    const shell = await viaTunnel('/', edge(client));
    expect(shell.status).toBe(200);
    expect(shell.text).toContain('the app shell');
    expect(shell.headers['strict-transport-security']).toContain('max-age');

    const login = await viaTunnel('/api/auth/login', edge(client, { 'content-type': 'application/json', origin: ORIGIN }), 'POST', JSON.stringify({ password: PASSWORD }));
    expect(login.status).toBe(200);
    const setCookie = login.headers['set-cookie']?.[0] ?? '';
    expect(setCookie).toContain('Secure');
    const cookie = setCookie.split(';')[0] as string;

    const made = await viaTunnel('/api/sessions', edge(client, { cookie, origin: ORIGIN, 'content-type': 'application/json' }), 'POST', '{}');
    expect(made.status).toBe(201);
    const session = JSON.parse(made.text) as { id: string };

    const ws = new WebSocket(`ws+unix://${socketPath}:/ws`, { headers: edge(client, { cookie, origin: ORIGIN }) });
    const frames: ServerFrame[] = [];
    ws.on('message', (data) => frames.push(JSON.parse(data.toString()) as ServerFrame));
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    ws.send(JSON.stringify({ type: 'hello', resume: { [session.id]: 0 } }));
    ws.send(JSON.stringify({ type: 'submit', id: 's', sessionId: session.id, prompt: 'from the phone', clientRequestId: 'phone-1' }));
    const finished = await waitUntil(
      () => frames.find((f): f is Extract<ServerFrame, { type: 'event' }> => f.type === 'event' && f.event.type === 'run.finished'),
      20_000,
      'the run to finish',
    );
    expect(finished.event as Extract<ServerEvent, { type: 'run.finished' }>).toMatchObject({ status: 'success', result: 'Echo: from the phone' });
    ws.close();
  });

  it('refuses a page of another site, and the tunnel host over plain http, there too', async () => {
    const client = '203.0.113.51';
    const login = await viaTunnel('/api/auth/login', edge(client, { 'content-type': 'application/json', origin: ORIGIN }), 'POST', JSON.stringify({ password: PASSWORD }));
    const cookie = (login.headers['set-cookie']?.[0] ?? '').split(';')[0] as string;
    for (const origin of ['https://evil.example', `http://${HOST}`]) {
      const res = await viaTunnel('/api/sessions', edge(client, { cookie, origin, 'content-type': 'application/json' }), 'POST', '{}');
      expect(res.status, origin).toBe(403);
      expect(await upgradeStatus(server.url, edge(client, { cookie, origin }), { socketPath }), origin).toBe(403);
    }
  });
});

describe('who the client is', () => {
  it('tells the tunnel\'s clients apart by X-Forwarded-For: one guessing passwords is locked out, the next is not', async () => {
    const guesser = '198.51.100.77';
    const wrong = (i: number) => viaTunnel('/api/auth/login', edge(guesser, { 'content-type': 'application/json' }), 'POST', JSON.stringify({ password: `guess-${i}` }));
    for (let i = 0; i < 10; i++) expect((await wrong(i)).status).toBe(401);
    const right = JSON.stringify({ password: PASSWORD });
    expect((await viaTunnel('/api/auth/login', edge(guesser, { 'content-type': 'application/json' }), 'POST', right)).status).toBe(429);
    expect((await viaTunnel('/api/auth/login', edge('198.51.100.78', { 'content-type': 'application/json' }), 'POST', right)).status).toBe(200);
    // The same headers on the loopback listener prove nothing: no Secure cookie, and the guesser's lock is not this client's.
    const local = await rawRequest(server.url, {
      method: 'POST',
      path: '/api/auth/login',
      headers: { 'x-forwarded-proto': 'https', 'x-forwarded-for': guesser, 'content-type': 'application/json' },
      body: right,
      localAddress: '127.0.6.1',
    });
    expect(local.status).toBe(200);
    expect(local.headers['set-cookie']?.[0]).not.toContain('Secure');
  });
});
