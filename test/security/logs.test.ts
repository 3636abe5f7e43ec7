/**
 * The log is for the operator, who ships it to places with weaker locks than
 * the `.env` file: no secret may ever reach it. And every line about a run
 * names its session and run, so one run can be followed through it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../server/log.js';
import { fake, spawnServerProcess, startTestServer, tempDir, upgradeStatus, waitUntil, type TestServer } from '../support/server.js';

const PASSWORD = 'pw-Secret-4417-zebra';
const TOKEN = 'tok-Secret-9921-walrus';
const NGROK = 'ngrok-Secret-3310-heron';
const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

describe('the log of a server with every secret set', () => {
  const lines: string[] = [];
  let server: TestServer;
  let cookie = '';
  let runIds: string[] = [];
  let sessionId = '';

  beforeAll(async () => {
    server = await startTestServer({
      config: { AUTH_PASSWORD: PASSWORD, AUTH_TOKEN: TOKEN, TUNNEL: '1', NGROK_AUTHTOKEN: NGROK },
      overrides: {
        log: createLogger('debug', { format: 'json', write: (l) => lines.push(l) }),
        tunnel: {
          // What the ngrok SDK says to a rejected token: it quotes the token back.
          forward: () =>
            Promise.reject(
              Object.assign(new Error(`failed to connect session: The authentication you specified does not appear to be valid. Your authtoken: ${NGROK}`), {
                errorCode: 'ERR_NGROK_105',
              }),
            ),
        },
      },
    });
    const post = (path: string, body: unknown, headers: Record<string, string> = {}) => server.api('POST', path, body, headers);
    // Logins: right and wrong, by form body, Basic and Bearer, and a WebSocket with a wrong token.
    expect((await post('/api/auth/login', { password: 'wrong-password-1' })).status).toBe(401);
    const login = await post('/api/auth/login', { password: PASSWORD });
    expect(login.status).toBe(200);
    cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] as string;
    expect((await server.api('GET', '/api/sessions', undefined, { authorization: basic('admin', 'wrong-basic-2') })).status).toBe(401);
    expect((await server.api('GET', '/api/sessions', undefined, { authorization: basic('admin', PASSWORD) })).status).toBe(200);
    expect((await server.api('GET', '/api/sessions', undefined, { authorization: 'Bearer wrong-token-3' })).status).toBe(401);
    expect(await upgradeStatus(server.url, { authorization: 'Bearer wrong-token-4' })).toBe(401);
    const auth = { authorization: `Bearer ${TOKEN}` };
    sessionId = (await server.api('POST', '/api/sessions', {}, auth)).body.id;
    // Runs: one that uses a tool, one whose CLI crashes.
    const execute = async (prompt: string) => (await server.api('POST', `/api/sessions/${sessionId}/execute`, { prompt }, auth)).body;
    const ok = await execute(fake([{ tool: { name: 'Bash', input: { command: 'ls' }, output: 'a' } }, { text: 'done' }]));
    const crashed = await execute(fake([{ text: 'partial' }, { crash: 3 }]));
    expect([ok.status, crashed.status]).toEqual(['success', 'error']);
    runIds = [ok.run_id, crashed.run_id];
    await waitUntil(() => lines.some((l) => l.includes('ERR_NGROK_105')), 10_000, 'the tunnel failure in the log');
  });
  afterAll(() => server?.close());

  it('holds none of the secrets, nor the login cookie, anywhere', () => {
    const text = lines.join('\n');
    expect(text.length).toBeGreaterThan(0);
    for (const secret of [PASSWORD, TOKEN, NGROK, cookie.split('=')[1] as string, basic('admin', PASSWORD).slice(6)]) expect(text).not.toContain(secret);
    // It did log what happened, just not the secrets.
    expect(text).toMatch(/failed login/);
    expect(text).toMatch(/wrong credentials/);
    expect(text).toMatch(/ngrok rejected the authtoken/);
  });

  it('is JSON lines, and every line about a run names its session and run', () => {
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const aboutRuns = parsed.filter((p) => p.runId !== undefined || /^run |\b(the|a) run\b/.test(String(p.msg)));
    expect(aboutRuns.length).toBeGreaterThanOrEqual(6);
    for (const line of aboutRuns) expect(line, JSON.stringify(line)).toMatchObject({ sessionId: expect.any(String), runId: expect.any(String) });
    for (const runId of runIds) {
      const mine = parsed.filter((p) => p.runId === runId).map((p) => p.msg);
      expect(mine).toEqual(expect.arrayContaining(['run queued', 'run started']));
    }
    const [okRun, crashedRun] = runIds;
    expect(parsed.find((p) => p.runId === okRun && p.msg === 'run success')).toMatchObject({ level: 'info', sessionId });
    expect(parsed.find((p) => p.runId === crashedRun && p.level === 'warn')).toMatchObject({ msg: 'run failed (cli_crashed)', errorKind: 'cli_crashed', sessionId });
  });
});

describe('LOG_LEVEL and the log format of a server started as a user would', () => {
  it('takes LOG_LEVEL=DEBUG and writes JSON lines when stderr is not a terminal', async () => {
    const server = await spawnServerProcess({ DATA_DIR: await tempDir('cr-logs-'), ALLOWED_ROOTS: await tempDir('cr-logs-root-'), LOG_LEVEL: 'DEBUG' });
    try {
      const session = await (await fetch(`${server.url}/api/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).json();
      const res = await fetch(`${server.url}/api/sessions/${session.id}/execute`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ prompt: 'hi' }),
      });
      expect((await res.json()).success).toBe(true);
      await waitUntil(() => server.output().includes('"run success"'), 10_000, 'the run in the log');
      const parsed = server
        .output()
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as { level: string; msg: string });
      expect(parsed.map((p) => p.level)).toEqual(expect.arrayContaining(['debug', 'info']));
      expect(parsed.some((p) => p.msg.includes('listening on'))).toBe(true);
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
  });
});
