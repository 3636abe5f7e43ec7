/**
 * The tunnel as the product runs it: on top of the app's own auth, in the
 * background, with its state in /health, and never taking the server down.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultCliEnv } from '../../server/main.js';
import { spawnServerProcess, startTestServer, tempDir, waitUntil } from '../support/server.js';

const TOKEN = 'tok_for_tunnel_tests_123456';
const auth = { authorization: `Bearer ${TOKEN}` };

describe('the tunnel in the server', () => {
  it('shows the tunnel online with its URL in the authenticated /health, and nothing to strangers', async () => {
    let calls = 0;
    const urls: string[] = [];
    const server = await startTestServer({
      config: { AUTH_TOKEN: TOKEN, TUNNEL: '1', NGROK_AUTHTOKEN: 'fake', NGROK_DOMAIN: 'me.ngrok.app' },
      overrides: {
        tunnel: {
          forward: async (options) => {
            calls++;
            expect(options).toMatchObject({ domain: 'me.ngrok.app', authtoken: 'fake' });
            return { url: () => 'https://me.ngrok.app', close: async () => {} };
          },
        },
        onTunnelUrl: (url) => urls.push(url),
      },
    });
    try {
      const health = await waitUntil(async () => {
        const h = await server.api('GET', '/health', undefined, auth);
        return h.body.tunnel?.status === 'online' ? h.body : undefined;
      });
      expect(health.tunnel).toEqual({ status: 'online', url: 'https://me.ngrok.app' });
      expect(urls).toEqual(['https://me.ngrok.app']);
      expect(calls).toBe(1);
      expect((await server.api('GET', '/health')).body).toEqual({ status: 'ok' });
    } finally {
      await server.close();
    }
  });

  it('reports a rejected ngrok token clearly while the local server keeps serving (real SDK)', async () => {
    const server = await startTestServer({
      config: { AUTH_TOKEN: TOKEN, TUNNEL: '1', NGROK_AUTHTOKEN: 'not-a-real-token' },
      overrides: { tunnel: { connectTimeoutMs: 3000, backoff: { initialMs: 60_000, maxMs: 60_000 } } },
    });
    try {
      const health = await waitUntil(async () => {
        const h = await server.api('GET', '/health', undefined, auth);
        return h.body.tunnel?.status === 'error' ? h.body : undefined;
      }, 30_000);
      expect(health.tunnel.error).toMatch(/ngrok/i);
      expect(health.tunnel.error).not.toContain('not-a-real-token');
      const created = await server.api('POST', '/api/sessions', {}, auth);
      expect(created.status).toBe(201);
    } finally {
      await server.close();
    }
  });

  it('refuses to start with tunnel settings that cannot work, saying why', async () => {
    await expect(
      startTestServer({ config: { AUTH_TOKEN: TOKEN, TUNNEL: '1', NGROK_AUTHTOKEN: 'x', NGROK_OAUTH_ALLOW_EMAILS: 'me@example.com' } }),
    ).rejects.toThrow(/Tunnel settings/);
  });
});

describe('secrets and the CLI', () => {
  it('keeps every setting of ours out of the environment the CLI and its tools get', () => {
    const env = defaultCliEnv({ PATH: '/bin', HOME: '/h', ANTHROPIC_API_KEY: 'user-key', AUTH_PASSWORD: 'p', AUTH_TOKEN: 't', NGROK_AUTHTOKEN: 'n', NODE_OPTIONS: '--x' });
    expect(env).toEqual({ PATH: '/bin', HOME: '/h', ANTHROPIC_API_KEY: 'user-key' });
  });

  it('a server started with secrets in its environment does not pass them to the CLI', async () => {
    const dir = await tempDir('cr-env-');
    const log = join(dir, 'cli.jsonl');
    const server = await spawnServerProcess({
      DATA_DIR: dir,
      AUTH_TOKEN: TOKEN,
      AUTH_PASSWORD: 'pw-secret',
      FAKE_CLAUDE_LOG: log,
      FAKE_CLAUDE_LOG_ENV: 'AUTH_TOKEN,AUTH_PASSWORD,NGROK_AUTHTOKEN,PATH',
    });
    const url = server.url;
    try {
      const headers = { ...auth, 'content-type': 'application/json' };
      const session = await (await fetch(`${url}/api/sessions`, { method: 'POST', headers, body: '{}' })).json();
      const res = await fetch(`${url}/api/sessions/${session.id}/execute`, { method: 'POST', headers, body: JSON.stringify({ prompt: 'hi' }) });
      expect((await res.json()).success).toBe(true);
      // Every invocation: `claude --version` for /health, and the run.
      const seen = await readFile(log, 'utf8');
      expect(seen.trim().split('\n').length).toBeGreaterThanOrEqual(2);
      expect(seen).not.toContain(TOKEN);
      expect(seen).not.toContain('pw-secret');
      expect(seen).toContain('PATH');
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
  });
});
