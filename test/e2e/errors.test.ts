/**
 * What goes wrong, with the REAL `claude` CLI against the fake Messages API:
 * each failure the API or the CLI can produce ends its run with the right
 * errorKind and a message that says what to do, the CLI's own retries show,
 * an authentication failure does not wait out ten retries, a billing failure
 * pauses the queue until it is resumed, our limits end runs and the queue
 * goes on. No test asserts a time.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ServerEvent } from '../../server/protocol/events.js';
import { startFakeAnthropic, type FakeAnthropic } from '../support/fake-anthropic.js';
import { makeClaudeEnv, realClaudePath, type ClaudeEnv } from '../support/real-claude.js';
import { finishedOf, newSession, only, runEvents, runPrompt, submit } from '../support/runs.js';
import { collectEvents, startTestServer, waitUntil, type TestServer } from '../support/server.js';

const TIMEOUT = 120_000;
let fake: FakeAnthropic;
let claude: ClaudeEnv;
const servers: TestServer[] = [];

beforeAll(async () => {
  fake = await startFakeAnthropic();
  claude = await makeClaudeEnv(fake);
});
afterAll(async () => {
  await fake?.close();
  await claude?.cleanup();
});
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

async function server(config: Record<string, string> = {}, cliEnv: Record<string, string> = {}): Promise<TestServer> {
  const s = await startTestServer({ claudePath: realClaudePath(), cliEnv: { ...claude.env, ...cliEnv }, config: { WARM_PREWARM: 'false', ...config } });
  servers.push(s);
  return s;
}

const requestsWith = (marker: string) => fake.requests.filter((r) => JSON.stringify(r.body?.messages ?? []).includes(marker)).length;

describe('API failures, as the CLI classifies them', () => {
  it('ends an authentication failure at the CLI\'s first retry, not after ten, and says how to log in', async () => {
    const s = await server({}, { CLAUDE_CODE_MAX_RETRIES: '10' });
    const session = await newSession(s);
    const marker = `[[error:401]] auth ${Date.now()}`;
    const run = await runPrompt(s, session.id, marker);
    expect(run.finished).toMatchObject({ status: 'error', errorKind: 'auth' });
    expect(run.finished.error).toMatch(/ANTHROPIC_API_KEY/);
    expect(run.finished.error).toMatch(/log in/);
    expect(only(run.events, 'run.retrying').length).toBeGreaterThan(0);
    // Ten retries would be eleven requests; we stopped at the first retry.
    expect(requestsWith(marker)).toBeLessThanOrEqual(2);
  }, TIMEOUT);

  it('shows the CLI retrying an overloaded API, then ends as server_error, and the queue goes on', async () => {
    const s = await server({}, { CLAUDE_CODE_MAX_RETRIES: '2' });
    const session = await newSession(s);
    const bad = await submit(s, session.id, '[[error:529]]');
    const good = await submit(s, session.id, 'after the storm');
    const events = await collectEvents(s, session.id, (all) => all.some((e) => e.type === 'run.finished' && e.runId === good), { timeoutMs: 80_000 });
    const retrying = events.filter((e): e is Extract<ServerEvent, { type: 'run.retrying' }> => e.type === 'run.retrying' && e.runId === bad);
    expect(retrying.map((r) => r.attempt)).toEqual([1, 2]);
    expect(retrying[0]).toMatchObject({ maxRetries: 2, errorStatus: 529 });
    expect(retrying[0]!.delayMs).toBeGreaterThan(0);
    const ends = events.filter((e): e is Extract<ServerEvent, { type: 'run.finished' }> => e.type === 'run.finished');
    expect(ends.find((e) => e.runId === bad)).toMatchObject({ status: 'error', errorKind: 'server_error' });
    expect(ends.find((e) => e.runId === good)).toMatchObject({ status: 'success' });
  }, TIMEOUT);

  it('pauses the queue when the credit balance is too low, keeps the prompts, and runs them once resumed', async () => {
    const s = await server();
    const session = await newSession(s);
    const broke = await submit(s, session.id, '[[error:billing]]');
    const waiting = await submit(s, session.id, 'once there is credit');
    const events = await collectEvents(s, session.id, (all) => all.some((e) => e.type === 'session.updated' && e.session.paused !== undefined));
    expect(finishedOf(events.filter((e) => 'runId' in e && e.runId === broke))).toMatchObject({ status: 'error', errorKind: 'billing' });
    const view = (await s.api('GET', `/api/sessions/${session.id}`)).body;
    expect(view.paused).toMatchObject({ reason: 'billing' });
    expect(view.paused.since).toBeDefined();
    expect(view.queueLength).toBe(1);
    const runs = (await s.api('GET', `/api/sessions/${session.id}/runs`)).body.runs as Array<{ id: string; state: string }>;
    expect(runs.find((r) => r.id === waiting)?.state).toBe('queued');
    expect(events.some((e) => e.type === 'run.started' && e.runId === waiting)).toBe(false);

    const resumed = await s.api('POST', `/api/sessions/${session.id}/resume`);
    expect(resumed.status).toBe(200);
    expect(resumed.body.paused).toBeUndefined();
    const after = finishedOf(await runEvents(s, session.id, waiting));
    expect(after).toMatchObject({ status: 'success', result: 'Echo: once there is credit' });
  }, TIMEOUT);
});

describe('our limits', () => {
  it('ends a run that takes longer than RUN_TIMEOUT_S as timeout, and the queue goes on', async () => {
    // The limit is for every run: long enough that the next, quick one fits under it on a loaded machine.
    const s = await server({ RUN_TIMEOUT_S: '10', KILL_GRACE_MS: '1000' });
    const session = await newSession(s, { permissionMode: 'bypassPermissions' });
    await writeFile(join(session.cwd, 'forever.log'), '');
    const slow = await submit(s, session.id, '[[bash:tail -f forever.log]]');
    const next = await submit(s, session.id, 'after the timeout');
    const first = finishedOf(await runEvents(s, session.id, slow));
    expect(first).toMatchObject({ status: 'error', errorKind: 'timeout' });
    expect(first.error).toContain('RUN_TIMEOUT_S');
    expect(finishedOf(await runEvents(s, session.id, next))).toMatchObject({ status: 'success' });
  }, TIMEOUT);

  it('ends a run whose CLI goes quiet for RUN_IDLE_TIMEOUT_S as idle_timeout', async () => {
    const s = await server({ RUN_IDLE_TIMEOUT_S: '1', KILL_GRACE_MS: '1000' });
    const session = await newSession(s, { permissionMode: 'bypassPermissions' });
    await writeFile(join(session.cwd, 'quiet.log'), '');
    const run = await runPrompt(s, session.id, '[[bash:tail -f quiet.log]]');
    expect(run.finished).toMatchObject({ status: 'error', errorKind: 'idle_timeout' });
    expect(run.finished.error).toContain('RUN_IDLE_TIMEOUT_S');
  }, TIMEOUT);

  it('passes maxTurns to the CLI, and a run that needs more ends as max_turns', async () => {
    const s = await server();
    const session = await newSession(s, { maxTurns: 1, permissionMode: 'bypassPermissions' });
    const run = await runPrompt(s, session.id, '[[bash:echo one turn is not enough]]');
    expect(run.finished).toMatchObject({ status: 'error', errorKind: 'max_turns' });
    expect(run.finished.error).toContain('maxTurns');
  }, TIMEOUT);

  it('takes max_turns on /chat too', async () => {
    const s = await server();
    const res = await fetch(`${s.url}/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: '[[bash:echo hi]]', max_turns: 1, permission_mode: 'bypassPermissions', cwd: s.root }),
    });
    const text = await res.text();
    expect(text).toContain('error_max_turns');
    await waitUntil(async () => ((await s.api('GET', '/api/sessions')).body.sessions[0]?.status === 'idle' ? true : undefined), 10_000, 'the run to end');
  }, TIMEOUT);
});
