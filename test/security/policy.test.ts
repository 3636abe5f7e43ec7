/**
 * The owner's policy on what clients may ask for (PERMISSION_MODES,
 * MCP_CONFIG), on every door: REST, WebSocket, /chat, and again when a run
 * starts. A refusal is a 403 naming the setting, with nothing created,
 * queued or run.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerFrame } from '../../server/protocol/ws.js';
import { collectEvents, connectWs, fake, finishedRuns, startTestServer, tempDir, waitUntil, type TestServer } from '../support/server.js';

const inlineMcp = (marker: string) => ({ mcpServers: { x: { command: 'sh', args: ['-c', `touch ${marker}`] } } });
const isReply = (id: string) => (f: ServerFrame): f is Extract<ServerFrame, { type: 'reply' }> => f.type === 'reply' && f.id === id;

describe('PERMISSION_MODES', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ config: { PERMISSION_MODES: 'default,acceptEdits,plan' } });
  });
  afterAll(() => server.close());
  const count = async () => (await server.api('GET', '/api/sessions')).body.sessions.length as number;

  it('refuses a mode it does not list when a session is made or changed, naming the setting', async () => {
    const before = await count();
    const made = await server.api('POST', '/api/sessions', { permissionMode: 'bypassPermissions' });
    expect(made.status).toBe(403);
    expect(made.body.error.code).toBe('policy_refused');
    expect(made.body.error.message).toContain('PERMISSION_MODES');
    expect(await count()).toBe(before);
    const s = (await server.api('POST', '/api/sessions', { permissionMode: 'acceptEdits' })).body;
    const patched = await server.api('PATCH', `/api/sessions/${s.id}`, { permissionMode: 'bypassPermissions' });
    expect(patched.status).toBe(403);
    expect((await server.api('GET', `/api/sessions/${s.id}`)).body.options.permissionMode).toBe('acceptEdits');
  });

  it('refuses it on /chat with nothing made or run', async () => {
    const before = await count();
    const res = await fetch(`${server.url}/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'hi', permission_mode: 'bypassPermissions' }),
    });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain('PERMISSION_MODES');
    expect(await count()).toBe(before);
  });

  it('holds agents to it too', async () => {
    const agents = { helper: { description: 'd', prompt: 'p', permissionMode: 'bypassPermissions' } };
    const res = await fetch(`${server.url}/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'hi', agents }),
    });
    expect(res.status).toBe(403);
  });
});

describe('a policy made stricter after sessions exist', () => {
  it('refuses their prompts on REST and WebSocket, and refuses at run time what was queued before', async () => {
    const dataDir = await tempDir('cr-policy-');
    const root = await tempDir('cr-policy-root-');
    // Under the open policy: a bypass session whose prompt waits behind a slow run of another
    // session (one run at a time); closing the server keeps queued prompts queued.
    let server = await startTestServer({ dataDir, allowedRoots: [root], maxConcurrentRuns: 1, killGraceMs: 100 });
    const busy = (await server.api('POST', '/api/sessions', {})).body;
    await server.api('POST', `/api/sessions/${busy.id}/messages`, { prompt: fake([{ sleep: 60_000 }]) });
    const loose = (await server.api('POST', '/api/sessions', { permissionMode: 'bypassPermissions' })).body;
    const queued = (await server.api('POST', `/api/sessions/${loose.id}/messages`, { prompt: 'queued before' })).body;
    expect(queued.position).toBe(1);
    await server.close();
    server = await startTestServer({ dataDir, allowedRoots: [root], config: { PERMISSION_MODES: 'default' } });
    try {
      const events = await collectEvents(server, loose.id, (e) => finishedRuns(e).some((f) => f.runId === queued.runId));
      expect(finishedRuns(events).find((f) => f.runId === queued.runId)).toMatchObject({ status: 'error', errorKind: 'refused' });
      expect(events.some((e) => e.type === 'run.started' && e.runId === queued.runId)).toBe(false);
      const rest = await server.api('POST', `/api/sessions/${loose.id}/messages`, { prompt: 'new' });
      expect(rest.status).toBe(403);
      expect(rest.body.error.message).toContain('PERMISSION_MODES');
      const ws = await connectWs(server.url);
      ws.send({ type: 'submit', id: 's1', sessionId: loose.id, prompt: 'new', clientRequestId: 'c1' });
      const reply = await ws.waitFor(isReply('s1'));
      expect(reply).toMatchObject({ ok: false, error: { code: 'policy_refused' } });
      await ws.close();
      const runs = (await server.api('GET', `/api/sessions/${loose.id}/runs`)).body.runs as Array<{ id: string }>;
      expect(runs.map((r) => r.id)).toEqual([queued.runId]);
    } finally {
      await server.close();
    }
  });
});

describe('MCP_CONFIG', () => {
  let server: TestServer;
  let log: string;
  beforeAll(async () => {
    const dir = await tempDir('cr-mcp-log-');
    log = join(dir, 'cli.log');
    server = await startTestServer({ cliEnv: { FAKE_CLAUDE_LOG: log } });
  });
  afterAll(() => server.close());

  it('refuses inline configs by default (files): a client cannot name a command for the CLI to start', async () => {
    const marker = join(server.root, 'pwned');
    const made = await server.api('POST', '/api/sessions', { mcpConfig: inlineMcp(marker) });
    expect(made.status).toBe(403);
    expect(made.body.error.message).toContain('MCP_CONFIG');
    const text = await server.api('POST', '/api/sessions', { mcpConfig: JSON.stringify(inlineMcp(marker)) });
    expect(text.status).toBe(403);
    const chat = await fetch(`${server.url}/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'hi', mcp_config: inlineMcp(marker) }),
    });
    expect(chat.status).toBe(403);
    expect(existsSync(marker)).toBe(false);
  });

  it('accepts a config file inside the allowed roots, passed to the CLI by its real path', async () => {
    const file = join(server.root, 'mcp.json');
    writeFileSync(file, JSON.stringify({ mcpServers: {} }));
    const made = await server.api('POST', '/api/sessions', { mcpConfig: [file] });
    expect(made.status).toBe(201);
    await server.api('POST', `/api/sessions/${made.body.id}/messages`, { prompt: 'hi' });
    await collectEvents(server, made.body.id, (e) => finishedRuns(e).length > 0);
    await waitUntil(() => existsSync(log), 5000, 'the CLI log');
    const argv = JSON.parse(readFileSync(log, 'utf8').trim().split('\n').pop() as string).argv as string[];
    expect(argv[argv.indexOf('--mcp-config') + 1]).toBe(file);
  });

  it('refuses a file outside the roots, a relative path, and agents that bring MCP servers or hooks', async () => {
    const outside = join(await tempDir('cr-mcp-out-'), 'mcp.json');
    writeFileSync(outside, '{"mcpServers":{}}');
    for (const mcpConfig of [[outside], ['mcp.json'], ['/no/such/mcp.json']]) {
      const res = await server.api('POST', '/api/sessions', { mcpConfig });
      expect(res.status, String(mcpConfig)).toBe(403);
    }
    for (const agent of [{ mcpServers: { x: { command: 'sh' } } }, { hooks: { Stop: [{ hooks: [{ type: 'command', command: 'sh' }] }] } }]) {
      const res = await fetch(`${server.url}/chat`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ prompt: 'hi', agents: { a: { description: 'd', prompt: 'p', ...agent } } }),
      });
      expect(res.status).toBe(403);
    }
  });

  it('refuses every config when off, and lets inline ones through when the owner says any', async () => {
    const off = await startTestServer({ config: { MCP_CONFIG: 'off' } });
    const any = await startTestServer({ config: { MCP_CONFIG: 'any' } });
    try {
      const file = join(off.root, 'mcp.json');
      writeFileSync(file, '{"mcpServers":{}}');
      const refused = await off.api('POST', '/api/sessions', { mcpConfig: [file] });
      expect(refused.status).toBe(403);
      expect(refused.body.error.message).toContain('MCP_CONFIG=off');
      expect((await any.api('POST', '/api/sessions', { mcpConfig: { mcpServers: {} } })).status).toBe(201);
    } finally {
      await off.close();
      await any.close();
    }
  });
});
