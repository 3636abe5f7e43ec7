/**
 * Warm sessions with the REAL `claude` CLI against the fake Messages API: a
 * session's CLI process outlives its run and answers the next prompt. Each
 * test shows the process reused, replaced or ended as the design says, and
 * that the conversation, costs and interrupts stay right either way. No test
 * asserts a time.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { realClaudePath } from '../support/real-claude.js';
import { useRealCli } from '../support/real-cli-suite.js';
import { newSession, runPrompt, submit, runEvents, finishedOf, only } from '../support/runs.js';
import {
  alive,
  collectEvents,
  spawnServerProcess,
  tempDir,
  waitUntil,
  type ServerProcess,
  type TestServer,
  type TestServerOptions,
} from '../support/server.js';

const TIMEOUT = 120_000;
const suite = useRealCli();
const server = (config: Record<string, string> = {}, extra: TestServerOptions = {}) => suite.server(config, extra);

interface ProcessJson {
  pid: number;
  sessionId: string;
  state: string;
  runId?: string;
  idleSince?: string;
  turns: number;
  rssBytes?: number;
}

const processes = async (s: TestServer) => (await s.api('GET', '/api/processes')).body.processes as ProcessJson[];
const processOf = async (s: TestServer, sessionId: string) => (await processes(s)).find((p) => p.sessionId === sessionId && p.state !== 'exiting');

describe('one process serves a session across turns', () => {
  it('answers the second prompt in the same process, which still has the first turn in mind', async () => {
    const s = await server({ WARM_PREWARM: 'false' });
    const session = await newSession(s);
    const first = await runPrompt(s, session.id, 'remember the word kumquat');
    expect(first.finished).toMatchObject({ status: 'success', result: 'Echo: remember the word kumquat' });
    const warm = await processOf(s, session.id);
    expect(warm).toMatchObject({ pid: first.pid, state: 'idle', turns: 1 });
    expect(warm?.idleSince).toBeDefined();
    expect(alive(first.pid)).toBe(true);

    const before = suite.fake.requests.length;
    const second = await runPrompt(s, session.id, '[[recall]]');
    expect(second.pid).toBe(first.pid);
    expect(second.finished).toMatchObject({ status: 'success', result: 'Earlier you said: remember the word kumquat' });
    // The second turn's request to the API carried the first exchange.
    const sent = suite.fake.requests.slice(before).map((r) => JSON.stringify(r.body?.messages ?? []));
    expect(sent.some((m) => m.includes('remember the word kumquat') && m.includes('[[recall]]'))).toBe(true);

    // Cost: the CLI reports a running total per conversation; each run is charged its own part.
    const runs = (await s.api('GET', `/api/sessions/${session.id}/runs`)).body.runs as Array<{ costUsd: number }>;
    expect(runs.every((r) => r.costUsd > 0)).toBe(true);
    const view = (await s.api('GET', `/api/sessions/${session.id}`)).body;
    expect(view.totals.costUsd).toBeCloseTo(runs[0]!.costUsd + runs[1]!.costUsd, 9);
    expect(runs[1]!.costUsd).toBeLessThan(runs[0]!.costUsd * 1.5);

    const health = (await s.api('GET', '/health')).body;
    expect(health.warm).toMatchObject({ count: 1, idle: 1, busy: 0, maxCount: 4 });
    expect(health.warm.rssBytes).toBeGreaterThan(10 * 2 ** 20);
  }, TIMEOUT);

  it('starts a new session\'s process ahead of its first prompt (prewarm), and the first prompt uses it', async () => {
    const s = await server();
    const session = await newSession(s);
    const warm = await waitUntil(() => processOf(s, session.id), 15_000, 'the prewarmed process');
    expect(warm).toMatchObject({ state: 'idle', turns: 0 });
    const run = await runPrompt(s, session.id, 'first words');
    expect(run.pid).toBe(warm.pid);
    expect(run.finished.status).toBe('success');
  }, TIMEOUT);
});

describe('when a warm process is replaced or ended', () => {
  it('ends an idle process after WARM_IDLE_S; the next prompt resumes the conversation in a fresh one', async () => {
    const s = await server({ WARM_IDLE_S: '1', WARM_PREWARM: 'false' });
    const session = await newSession(s);
    const first = await runPrompt(s, session.id, 'idle then recall');
    await waitUntil(() => !alive(first.pid), 15_000, 'the idle process to end');
    expect(await processOf(s, session.id)).toBeUndefined();
    const second = await runPrompt(s, session.id, '[[recall]]');
    expect(second.pid).not.toBe(first.pid);
    expect(second.finished).toMatchObject({ status: 'success', result: 'Earlier you said: idle then recall' });
  }, TIMEOUT);

  it('keeps at most WARM_MAX processes: the least recently used idle one ends', async () => {
    const s = await server({ WARM_MAX: '1', WARM_PREWARM: 'false' });
    const a = await newSession(s, { name: 'A' });
    const b = await newSession(s, { name: 'B' });
    const ra = await runPrompt(s, a.id, 'from A');
    const rb = await runPrompt(s, b.id, 'from B');
    await waitUntil(() => !alive(ra.pid), 15_000, "A's process to end");
    expect(alive(rb.pid)).toBe(true);
    expect((await processes(s)).filter((p) => p.state !== 'exiting').map((p) => p.sessionId)).toEqual([b.id]);
    // A still works: a fresh process that resumes its conversation.
    expect((await runPrompt(s, a.id, '[[recall]]')).finished.result).toBe('Earlier you said: from A');
  }, TIMEOUT);

  it('keeps the warm processes under WARM_MAX_MB: over it, idle ones end', async () => {
    // One megabyte: any CLI process is over it, so every idle one must go.
    const s = await server({ WARM_MAX_MB: '1', WARM_PREWARM: 'false' });
    const session = await newSession(s);
    const run = await runPrompt(s, session.id, 'too big to keep');
    await waitUntil(() => !alive(run.pid), 15_000, 'the process over the memory cap to end');
    expect((await runPrompt(s, session.id, '[[recall]]')).finished.result).toBe('Earlier you said: too big to keep');
  }, TIMEOUT);

  it('starts a fresh process, transparently, when the warm one died while idle', async () => {
    const s = await server({ WARM_PREWARM: 'false' });
    const session = await newSession(s);
    const first = await runPrompt(s, session.id, 'before the crash');
    process.kill(first.pid, 'SIGKILL');
    await waitUntil(async () => (await processOf(s, session.id)) === undefined, 10_000, 'the dead process to leave the pool');
    const second = await runPrompt(s, session.id, '[[recall]]');
    expect(second.pid).not.toBe(first.pid);
    expect(second.finished).toMatchObject({ status: 'success', result: 'Earlier you said: before the crash' });
  }, TIMEOUT);

  it('starts a fresh process when an option changed, with the new option', async () => {
    const s = await server({ WARM_PREWARM: 'false' });
    const session = await newSession(s);
    const first = await runPrompt(s, session.id, 'with the default model');
    expect((await s.api('PATCH', `/api/sessions/${session.id}`, { model: 'haiku' })).status).toBe(200);
    await waitUntil(() => !alive(first.pid), 15_000, 'the process with the old options to end');
    const before = suite.fake.requests.length;
    const second = await runPrompt(s, session.id, '[[recall]]');
    expect(second.pid).not.toBe(first.pid);
    expect(second.finished.result).toBe('Earlier you said: with the default model');
    expect(suite.fake.requests.slice(before).some((r) => r.body?.model === 'claude-haiku-5-5')).toBe(true);
  }, TIMEOUT);

  it('starts a new conversation in a new process after /clear', async () => {
    const s = await server({ WARM_PREWARM: 'false' });
    const session = await newSession(s);
    const first = await runPrompt(s, session.id, 'forget me');
    expect((await s.api('POST', `/api/sessions/${session.id}/clear`)).status).toBe(200);
    const second = await runPrompt(s, session.id, '[[recall]]');
    expect(second.pid).not.toBe(first.pid);
    expect(second.finished.result).toBe('Earlier you said: [[recall]]');
  }, TIMEOUT);
});

describe('interrupting a warm run', () => {
  it('ends only the turn: the process stays warm and answers the next prompt, with the interrupted turn in mind', async () => {
    const s = await server({ WARM_PREWARM: 'false' });
    const session = await newSession(s);
    const warmup = await runPrompt(s, session.id, 'the opening line');
    const runId = await submit(s, session.id, '[[slow]]');
    await collectEvents(s, session.id, (all) => all.some((e) => e.type === 'assistant.delta' && e.runId === runId), { timeoutMs: 60_000 });
    expect((await s.api('POST', `/api/sessions/${session.id}/interrupt`)).status).toBe(202);
    const events = await runEvents(s, session.id, runId);
    expect(finishedOf(events).status).toBe('interrupted');
    expect(only(events, 'run.started')[0]?.pid).toBe(warmup.pid);
    expect(only(events, 'assistant.delta').map((d) => d.text).join('')).not.toContain('tick 40 ');
    const next = await runPrompt(s, session.id, '[[recall]]');
    expect(next.pid).toBe(warmup.pid);
    expect(next.finished).toMatchObject({ status: 'success', result: 'Earlier you said: the opening line' });
  }, TIMEOUT);
});

describe('the run limit and warm processes', () => {
  it('does not count an idle warm process against MAX_CONCURRENT_RUNS', async () => {
    const s = await server({ WARM_PREWARM: 'false' }, { maxConcurrentRuns: 1 });
    const a = await newSession(s);
    const b = await newSession(s);
    const ra = await runPrompt(s, a.id, 'A keeps warm');
    // With A's process idle, B still gets the one run slot.
    const rb = await runPrompt(s, b.id, 'B runs');
    expect(rb.finished.status).toBe('success');
    expect(alive(ra.pid)).toBe(true);
    expect((await processes(s)).map((p) => p.state).sort()).toEqual(['idle', 'idle']);
  }, TIMEOUT);
});

describe('a server killed with warm processes alive', () => {
  const started: ServerProcess[] = [];
  afterEach(() => {
    for (const p of started.splice(0)) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  });

  it('leaves none of them alive after it starts again, and records the run it had going', async () => {
    const dataDir = await tempDir('cr-warm-kill-');
    const root = await tempDir('cr-warm-kill-root-');
    const env = { ...suite.claude.env, DATA_DIR: dataDir, ALLOWED_ROOTS: root, CLAUDE_PATH: realClaudePath(), KILL_GRACE_MS: '500' };
    const first = await spawnServerProcess(env);
    started.push(first);
    const api = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(first.url + path, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
      return res.json() as Promise<Record<string, unknown>>;
    };
    const idle = (await api('POST', '/api/sessions', {})) as { id: string };
    const busy = (await api('POST', '/api/sessions', {})) as { id: string };
    await api('POST', `/api/sessions/${idle.id}/messages`, { prompt: 'stay warm' });
    await waitUntil(async () => ((await api('GET', `/api/sessions/${idle.id}/runs`)).runs as Array<{ state: string }>)[0]?.state === 'success', 60_000, 'the first run');
    await api('POST', `/api/sessions/${busy.id}/messages`, { prompt: '[[slow]]' });
    const live = await waitUntil(async () => {
      const list = (await api('GET', '/api/processes')).processes as ProcessJson[];
      return list.some((p) => p.state === 'running') && list.some((p) => p.state === 'idle' && p.turns > 0) ? list : undefined;
    }, 60_000, 'a running and an idle warm process');
    first.child.kill('SIGKILL');
    await first.exited;

    const second = await spawnServerProcess(env);
    started.push(second);
    await waitUntil(() => live.every((p) => !alive(p.pid)), 15_000, `the old CLI processes ${live.map((p) => p.pid).join(', ')} to be gone`);
    const runs = (await (await fetch(`${second.url}/api/sessions/${busy.id}/runs`)).json()).runs as Array<{ state: string; errorKind?: string }>;
    expect(runs[0]).toMatchObject({ state: 'error', errorKind: 'server_restart' });
    second.child.kill('SIGTERM');
    await second.exited;
  }, TIMEOUT);
});
