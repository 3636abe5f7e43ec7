import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerEvent } from '../../server/protocol/events.js';
import { newSession, queuePrompt } from '../support/runs.js';
import {
  alive,
  collectEvents,
  fake,
  FAKE_CLAUDE,
  finishedRuns,
  readSse,
  startTestServer,
  tempDir,
  waitUntil,
  type TestServer,
} from '../support/server.js';

describe('queue and scheduler', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ maxConcurrentRuns: 1, maxQueueLength: 3 });
  });
  afterAll(() => server.close());

  /**
   * A prompt whose run holds the one run slot until `release` answers the
   * permission it asks for: what happens meanwhile does not race the clock.
   */
  const BLOCKER = fake([{ tool: { name: 'Bash', input: { command: 'true' }, output: 'ok', ask: true } }, { text: 'blocker' }]);
  async function release(sessionId: string): Promise<void> {
    const events = await collectEvents(server, sessionId, (ev) => ev.some((e) => e.type === 'permission.requested'));
    const asked = events.find((e): e is Extract<ServerEvent, { type: 'permission.requested' }> => e.type === 'permission.requested')!;
    expect((await server.api('POST', `/api/sessions/${sessionId}/permissions/${asked.requestId}`, { behavior: 'allow' })).status).toBe(200);
  }

  it('serves two sessions in fair round-robin order with one run at a time', async () => {
    const held = await newSession(server, { name: 'held' });
    const a = await newSession(server, { name: 'A' });
    const b = await newSession(server, { name: 'B' });
    await queuePrompt(server, held.id, BLOCKER);
    const slow = (label: string) => fake([{ sleep: 50 }, { text: label }]);
    await queuePrompt(server, a.id, slow('A1'));
    await queuePrompt(server, a.id, slow('A2'));
    await queuePrompt(server, a.id, slow('A3'));
    await queuePrompt(server, b.id, slow('B1'));
    await queuePrompt(server, b.id, slow('B2'));
    await release(held.id);
    await Promise.all([
      collectEvents(server, a.id, (ev) => finishedRuns(ev).length === 3),
      collectEvents(server, b.id, (ev) => finishedRuns(ev).length === 2),
    ]);
    const runs = [
      ...(await server.api('GET', `/api/sessions/${a.id}/runs`)).body.runs,
      ...(await server.api('GET', `/api/sessions/${b.id}/runs`)).body.runs,
    ] as Array<{ result: string; startedAt: string; finishedAt: string; state: string }>;
    runs.sort((x, y) => x.startedAt.localeCompare(y.startedAt));
    expect(runs.map((r) => r.result)).toEqual(['A1', 'B1', 'A2', 'B2', 'A3']);
    for (let i = 1; i < runs.length; i++) {
      expect(runs[i]!.startedAt >= runs[i - 1]!.finishedAt, 'runs overlapped').toBe(true);
    }
  });

  it('refuses a prompt beyond the queue limit with 429 and keeps the queue as it was', async () => {
    const s = await newSession(server);
    await queuePrompt(server, s.id, BLOCKER);
    await waitUntil(async () => (await server.api('GET', `/api/sessions/${s.id}`)).body.status === 'running', 10_000, 'running');
    for (let i = 0; i < 3; i++) await queuePrompt(server, s.id, `queued ${i}`);
    const full = await server.api('POST', `/api/sessions/${s.id}/messages`, { prompt: 'one too many' });
    expect(full.status).toBe(429);
    expect(full.body.error.code).toBe('queue_full');
    const queue = await server.api('GET', `/api/sessions/${s.id}/queue`);
    expect(queue.body.pending.map((r: { prompt: string }) => r.prompt)).toEqual(['queued 0', 'queued 1', 'queued 2']);
    await release(s.id);
    await collectEvents(server, s.id, (ev) => finishedRuns(ev).length === 4);
  });

  it('cancels a queued prompt: it never runs, and the rest keep their order', async () => {
    const s = await newSession(server);
    await queuePrompt(server, s.id, BLOCKER);
    const victim = await queuePrompt(server, s.id, 'cancel me');
    await queuePrompt(server, s.id, 'keep me');
    const res = await server.api('DELETE', `/api/sessions/${s.id}/queue/${victim.runId}`);
    expect(res.body).toEqual({ runId: victim.runId, status: 'cancelled' });
    await release(s.id);
    const events = await collectEvents(server, s.id, (ev) => finishedRuns(ev).length === 3);
    const finished = finishedRuns(events);
    expect(finished.map((f) => f.status)).toEqual(['cancelled', 'success', 'success']);
    expect(finished.map((f) => f.result)).toEqual([undefined, 'blocker', 'Echo: keep me']);
    expect(events.some((e) => e.type === 'run.started' && e.runId === victim.runId)).toBe(false);
    const again = await server.api('DELETE', `/api/sessions/${s.id}/queue/${victim.runId}`);
    expect(again.status).toBe(409);
  });
});

describe('interrupt and shutdown, a fresh process per run (WARM_MAX=0)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ killGraceMs: 500, config: { WARM_MAX: '0' } });
  });
  afterAll(() => server.close());

  it('interrupts a run and ends its whole process group, grandchildren included', async () => {
    const s = await newSession(server);
    const { runId } = await queuePrompt(server, s.id, fake([{ grandchild: true }, { text: 'working', chunks: 20, delayMs: 200 }]));
    let grandchild = 0;
    let pid = 0;
    await collectEvents(server, s.id, (ev) => {
      for (const e of ev) if (e.type === 'run.started') pid = e.pid;
      return ev.some((e) => e.type === 'assistant.delta');
    });
    const raw = await readSse(await fetch(`${server.url}/api/sessions/${s.id}/runs/${runId}/raw`), (m) => m.data.includes('fake_grandchild'));
    grandchild = JSON.parse(raw.find((m) => m.data.includes('fake_grandchild'))!.data).pid;
    expect(alive(grandchild)).toBe(true);
    const res = await server.api('POST', `/api/sessions/${s.id}/interrupt`);
    expect(res.status).toBe(202);
    const events = await collectEvents(server, s.id, (ev) => finishedRuns(ev).length === 1);
    expect(finishedRuns(events)[0]).toMatchObject({ status: 'interrupted' });
    await waitUntil(() => !alive(-pid) && !alive(grandchild), 10_000, 'process group gone');
    expect((await server.api('GET', '/processes')).body).toEqual({ processes: [], count: 0 });
  });

  it('kills a CLI that ignores SIGINT and SIGTERM with SIGKILL', async () => {
    const s = await newSession(server);
    const { runId } = await queuePrompt(server, s.id, fake([{ hang: true }]));
    let pid = 0;
    await collectEvents(server, s.id, (ev) => {
      for (const e of ev) if (e.type === 'run.started') pid = e.pid;
      return pid > 0;
    });
    // Once it hangs it ignores interrupts, SIGINT and SIGTERM alike.
    await readSse(await fetch(`${server.url}/api/sessions/${s.id}/runs/${runId}/raw`), (m) => m.data.includes('fake_hang'));
    await server.api('POST', `/api/sessions/${s.id}/interrupt`);
    const events = await collectEvents(server, s.id, (ev) => finishedRuns(ev).length === 1);
    expect(finishedRuns(events)[0]?.status).toBe('interrupted');
    expect(alive(-pid)).toBe(false);
  });

  it('leaves no CLI process behind when the server closes, and keeps queued prompts queued', async () => {
    const dataDir = await tempDir('cr-shutdown-');
    const own = await startTestServer({ dataDir, maxConcurrentRuns: 1 });
    const s = await newSession(own);
    await queuePrompt(own, s.id, fake([{ grandchild: true }, { sleep: 30_000 }]));
    await queuePrompt(own, s.id, 'still queued');
    const raw = await waitUntil(async () => {
      const runs = (await own.api('GET', `/api/sessions/${s.id}/runs`)).body.runs as Array<{ pid?: number; state: string }>;
      return runs.find((r) => r.state === 'running' && r.pid);
    });
    await own.close();
    // Killed by the time close() resolves; a moment for the kernel to reap what was killed.
    await waitUntil(() => !alive(-raw.pid!), 3000, 'the run\'s process group to be gone');
    const again = await startTestServer({ dataDir, maxConcurrentRuns: 1 });
    try {
      const events = await collectEvents(again, s.id, (ev) => finishedRuns(ev).length === 2);
      expect(finishedRuns(events).map((f) => f.status)).toEqual(['interrupted', 'success']);
      expect(finishedRuns(events)[1]?.result).toBe('Echo: still queued');
    } finally {
      await again.close();
    }
  });
});

describe('event replay', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  it('Last-Event-ID returns exactly the events after it, each once, and then live ones', async () => {
    const s = await newSession(server);
    await queuePrompt(server, s.id, 'first');
    const all = await collectEvents(server, s.id, (ev) => finishedRuns(ev).length === 1);
    const cut = all[Math.floor(all.length / 2)]!.seq;
    const missed = all.filter((e) => e.seq > cut);
    // ?after=0 in the URL as a browser would keep it; the header wins.
    const replay = await collectEvents(server, s.id, (ev) => ev.length >= missed.length, { lastEventId: String(cut) });
    expect(replay).toEqual(missed);
    // Replay then live with no gap: a second run's events follow on.
    const follow = collectEvents(server, s.id, (ev) => finishedRuns(ev).length === 1, { after: all[all.length - 1]!.seq });
    await queuePrompt(server, s.id, 'second');
    const live = await follow;
    expect(live[0]!.seq).toBe(all[all.length - 1]!.seq + 1);
    expect(live.map((e) => e.seq)).toEqual(live.map((_, i) => live[0]!.seq + i));
  });

  it('refuses a Last-Event-ID that is not a sequence number', async () => {
    const s = await newSession(server);
    const res = await fetch(`${server.url}/api/sessions/${s.id}/events`, { headers: { 'last-event-id': 'abc' } });
    expect(res.status).toBe(400);
  });

  it('streams one run over SSE when the prompt is posted with Accept: text/event-stream', async () => {
    const s = await newSession(server);
    const res = await fetch(`${server.url}/api/sessions/${s.id}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ prompt: 'streamed' }),
    });
    const messages = await readSse(res);
    expect(messages[0]?.event).toBe('accepted');
    const events = messages.slice(1).map((m) => JSON.parse(m.data) as ServerEvent);
    expect(events[0]?.type).toBe('run.queued');
    expect(events.at(-1)).toMatchObject({ type: 'run.finished', status: 'success', result: 'Echo: streamed' });
    expect(messages.slice(1).every((m) => m.id !== undefined && m.event === JSON.parse(m.data).type)).toBe(true);
  });

  it('streams the raw CLI lines unmodified with ?raw=1, the same lines /chat sends', async () => {
    const s = await newSession(server);
    const prompt = fake([{ raw: 'not json: \u00e9\u00e8 \u{1F600} <b>x</b>' }, { emit: { type: 'custom', n: 1 } }, { text: 'ok' }]);
    const res = await fetch(`${server.url}/api/sessions/${s.id}/messages?raw=1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ prompt }),
    });
    const messages = await readSse(res);
    const lines = messages.filter((m) => m.event === 'message').map((m) => m.data);
    expect(lines).toContain('not json: \u00e9\u00e8 \u{1F600} <b>x</b>');
    expect(lines).toContain('{"type":"custom","n":1}');
    expect(JSON.parse(lines[0]!)).toMatchObject({ type: 'system', subtype: 'init' });
    expect(JSON.parse(lines.at(-1)!)).toMatchObject({ type: 'result', result: 'ok' });
    expect(messages.at(-1)).toMatchObject({ event: 'done' });
    const chat = await fetch(`${server.url}/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt, cwd: server.root, unknown_field: 'ignored' }),
    });
    const chatLines = (await readSse(chat)).filter((m) => m.event === 'message').map((m) => m.data);
    expect(chatLines.length).toBe(lines.length);
    expect(chatLines.filter((l) => !l.startsWith('{')).sort()).toEqual(lines.filter((l) => !l.startsWith('{')).sort());
  });

  it('execute waits for the run and answers like the session manager it replaces', async () => {
    const s = await newSession(server);
    const res = await server.api('POST', `/api/sessions/${s.id}/execute`, { prompt: 'run it' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ success: true, output: 'Echo: run it', error: null, cost_usd: 0.001, num_turns: 1, session_id: s.id });
    expect(typeof res.body.duration_ms).toBe('number');
  });
});

describe('permissions', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  const askScript = fake([{ tool: { name: 'Write', input: { file_path: 'x.txt', content: 'x' }, output: 'written', ask: true } }, { text: 'done' }]);

  it('asks before a tool that needs approval; the first answer wins and a second is 409', async () => {
    const s = await newSession(server);
    await queuePrompt(server, s.id, askScript);
    const asked = await collectEvents(server, s.id, (ev) => ev.some((e) => e.type === 'permission.requested'));
    const request = asked.find((e) => e.type === 'permission.requested') as Extract<ServerEvent, { type: 'permission.requested' }>;
    expect(request).toMatchObject({ toolName: 'Write', input: { file_path: 'x.txt' } });
    const ok = await server.api('POST', `/api/sessions/${s.id}/permissions/${request.requestId}`, { behavior: 'allow' });
    expect(ok.status).toBe(200);
    const late = await server.api('POST', `/api/sessions/${s.id}/permissions/${request.requestId}`, { behavior: 'deny' });
    expect(late.status).toBe(409);
    const events = await collectEvents(server, s.id, (ev) => finishedRuns(ev).length === 1);
    expect(events.find((e) => e.type === 'permission.resolved')).toMatchObject({ behavior: 'allow', by: 'api' });
    expect(events.find((e) => e.type === 'tool.finished')).toMatchObject({ ok: true, output: 'written' });
  });

  it('a denial reaches the CLI as a failed tool call with the message', async () => {
    const s = await newSession(server);
    await queuePrompt(server, s.id, askScript);
    const asked = await collectEvents(server, s.id, (ev) => ev.some((e) => e.type === 'permission.requested'));
    const { requestId } = asked.find((e) => e.type === 'permission.requested') as { requestId: string };
    await server.api('POST', `/api/sessions/${s.id}/permissions/${requestId}`, { behavior: 'deny', message: 'not today' });
    const events = await collectEvents(server, s.id, (ev) => finishedRuns(ev).length === 1);
    expect(events.find((e) => e.type === 'tool.finished')).toMatchObject({ ok: false, output: 'not today' });
  });

  it('an answer with a bad behavior is 400 and an unknown request 404', async () => {
    const s = await newSession(server);
    expect((await server.api('POST', `/api/sessions/${s.id}/permissions/r1`, { behavior: 'maybe' })).status).toBe(400);
    const unknown = await server.api('POST', `/api/sessions/${s.id}/permissions/r1`, { behavior: 'allow' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('permission_request_not_found');
  });

  it('does not ask in bypassPermissions mode', async () => {
    const s = await newSession(server, { permissionMode: 'bypassPermissions' });
    await queuePrompt(server, s.id, askScript);
    const events = await collectEvents(server, s.id, (ev) => finishedRuns(ev).length === 1);
    expect(events.some((e) => e.type === 'permission.requested')).toBe(false);
    expect(finishedRuns(events)[0]?.status).toBe('success');
  });
});

describe('CLI options and detection', () => {
  it('passes session options to the CLI, starts with --session-id and resumes with --resume', async () => {
    const dir = await tempDir('cr-log-');
    const log = join(dir, 'argv.jsonl');
    // A fresh process per run: the second one must --resume (warm.test.ts covers one process serving both).
    const server = await startTestServer({ cliEnv: { FAKE_CLAUDE_LOG: log }, config: { WARM_MAX: '0' } });
    try {
      const s = await newSession(server, { model: 'sonnet', appendSystemPrompt: 'be brief', allowedTools: ['Read', 'Bash(git *)'], permissionMode: 'acceptEdits' });
      await queuePrompt(server, s.id, 'one');
      await collectEvents(server, s.id, (ev) => finishedRuns(ev).length === 1);
      await queuePrompt(server, s.id, 'two');
      await collectEvents(server, s.id, (ev) => finishedRuns(ev).length === 2);
      const calls = (await readFile(log, 'utf8'))
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { argv: string[]; cwd: string })
        .filter((c) => !c.argv.includes('--version'));
      expect(calls).toHaveLength(2);
      const view = (await server.api('GET', `/api/sessions/${s.id}`)).body;
      const flag = (argv: string[], name: string) => argv[argv.indexOf(name) + 1];
      expect(flag(calls[0]!.argv, '--session-id')).toBe(view.claudeSessionId);
      expect(calls[1]!.argv).not.toContain('--session-id');
      expect(flag(calls[1]!.argv, '--resume')).toBe(view.claudeSessionId);
      expect(flag(calls[0]!.argv, '--model')).toBe('sonnet');
      expect(flag(calls[0]!.argv, '--append-system-prompt')).toBe('be brief');
      expect(flag(calls[0]!.argv, '--allowedTools')).toBe('Read,Bash(git *)');
      expect(flag(calls[0]!.argv, '--permission-mode')).toBe('acceptEdits');
      expect(calls[0]!.cwd).toBe(s.cwd);
      // The CLI reports 0.001 then a conversation total of 0.002: each run cost 0.001.
      const runs = (await server.api('GET', `/api/sessions/${s.id}/runs`)).body.runs as Array<{ costUsd: number }>;
      expect(runs.map((r) => r.costUsd)).toEqual([0.001, 0.001]);
      expect(view.totals.costUsd).toBeCloseTo(0.002, 9);
      expect(calls[0]!.argv.join(' ')).not.toContain('one');
    } finally {
      await server.close();
    }
  });

  it('answers 503 with how to install when the CLI is missing, and /health says so', async () => {
    const server = await startTestServer({ claudePath: '/nonexistent/claude' });
    try {
      const s = await newSession(server);
      const res = await server.api('POST', `/api/sessions/${s.id}/messages`, { prompt: 'hi' });
      expect(res.status).toBe(503);
      expect(res.body.error.code).toBe('cli_unavailable');
      expect(res.body.error.message).toContain('npm install -g @anthropic-ai/claude-code');
      expect((await server.api('GET', `/api/sessions/${s.id}/runs`)).body.runs).toEqual([]);
      const health = await server.api('GET', '/health');
      expect(health.body).toMatchObject({ status: 'ok', claude: { found: false }, claude_path: null });
    } finally {
      await server.close();
    }
  });

  it('/health reports the CLI path and version in both shapes', async () => {
    const server = await startTestServer();
    try {
      const health = await server.api('GET', '/health');
      expect(health.body).toMatchObject({
        status: 'ok',
        claude: { found: true, path: FAKE_CLAUDE, version: '2.1.330 (Claude Code)' },
        claude_path: FAKE_CLAUDE,
        claude_version: '2.1.330 (Claude Code)',
      });
      expect(typeof health.body.uptimeS).toBe('number');
    } finally {
      await server.close();
    }
  });

  it('recovers when the CLI says the conversation id is already in use', async () => {
    const dir = await tempDir('cr-fail-');
    const wrapper = join(dir, 'claude');
    // A CLI that refuses --session-id as "already in use", as the real one does
    // when its transcript exists but we did not know it.
    await writeFile(
      wrapper,
      `#!/bin/sh\nfor a in "$@"; do if [ "$a" = "--session-id" ]; then echo "Error: Session ID x is already in use." >&2; exit 1; fi; done\nexec node ${FAKE_CLAUDE} "$@"\n`,
      { mode: 0o755 },
    );
    const server = await startTestServer({ claudePath: wrapper });
    try {
      const s = await newSession(server);
      await queuePrompt(server, s.id, 'hello again');
      const events = await collectEvents(server, s.id, (ev) => finishedRuns(ev).length === 1);
      expect(finishedRuns(events)[0]).toMatchObject({ status: 'success', result: 'Echo: hello again' });
    } finally {
      await server.close();
    }
  });
});

describe('the API described', () => {
  it('serves an OpenAPI document with every route and a docs page', async () => {
    const server = await startTestServer();
    try {
      const doc = (await server.api('GET', '/api/openapi.json')).body;
      expect(doc.openapi).toBe('3.1.0');
      for (const path of ['/api/sessions', '/api/sessions/{id}/messages', '/api/sessions/{id}/events', '/chat', '/processes', '/health']) {
        expect(Object.keys(doc.paths)).toContain(path);
      }
      expect(doc.paths['/api/sessions'].post.requestBody.content['application/json'].schema.properties).toHaveProperty('cwd');
      const page = await fetch(`${server.url}/docs`);
      expect(page.headers.get('content-type')).toContain('text/html');
      expect(await page.text()).toContain('/api/sessions/{id}/messages');
    } finally {
      await server.close();
    }
  });
});
