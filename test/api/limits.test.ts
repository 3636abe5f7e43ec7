/**
 * Running for weeks, with the scripted CLI where exact control is needed: a
 * usage limit that pauses the queue until its reset time, a flood of output
 * stopped at MAX_OUTPUT_BYTES, retention of old runs' streaming details, and
 * the per-session numbers.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ServerEvent } from '../../server/protocol/events.js';
import { finishedOf, newSession, queuePrompt, runEvents, runPrompt } from '../support/runs.js';
import { collectEvents, fake, startTestServer, tempDir, type TestServer } from '../support/server.js';

const servers: TestServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});
async function server(config: Record<string, string> = {}, extra: Parameters<typeof startTestServer>[0] = {}): Promise<TestServer> {
  const s = await startTestServer({ ...extra, config: { WARM_PREWARM: 'false', ...config } });
  servers.push(s);
  return s;
}

/** What the CLI prints when a subscription's usage limit refuses the call (reference §8, api_error_type). */
function usageLimitSteps(resetsAt: Date) {
  const text = `Claude AI usage limit reached. Your limit resets at ${resetsAt.toISOString()}.`;
  return [
    {
      emit: {
        type: 'assistant',
        message: { id: 'msg_limit', role: 'assistant', model: '<synthetic>', content: [{ type: 'text', text }] },
        is_api_error_message: true,
        error: 'rate_limit',
        api_error_status: 429,
        api_error_type: 'usage_limit_reached',
        api_error_params: { rate_limit_info: { status: 'rejected', rateLimitType: 'five_hour', resetsAt: Math.floor(resetsAt.getTime() / 1000) } },
      },
    },
    { result: { is_error: true, subtype: 'success', api_error_status: 429, terminal_reason: 'api_error', result: text } },
  ];
}

describe('a usage limit', () => {
  it('pauses the queue until the limit resets, then runs what waited by itself', async () => {
    const s = await server();
    const session = await newSession(s);
    const resetsAt = new Date(Date.now() + 1500);
    const limited = await queuePrompt(s, session.id, fake(usageLimitSteps(resetsAt)));
    const waiting = await queuePrompt(s, session.id, 'after the reset');
    const events = await collectEvents(s, session.id, (all) => all.some((e) => e.type === 'run.finished' && e.runId === waiting.runId), { timeoutMs: 30_000 });
    const ends = events.filter((e): e is Extract<ServerEvent, { type: 'run.finished' }> => e.type === 'run.finished');
    const limitEnd = ends.find((e) => e.runId === limited.runId);
    expect(limitEnd).toMatchObject({ status: 'error', errorKind: 'usage_limit' });
    expect(limitEnd?.error).toContain(resetsAt.toISOString().slice(0, 16));
    const paused = events.find((e): e is Extract<ServerEvent, { type: 'session.updated' }> => e.type === 'session.updated' && e.session.paused !== undefined);
    expect(paused?.session.paused).toMatchObject({ reason: 'usage_limit', until: new Date(Math.floor(resetsAt.getTime() / 1000) * 1000).toISOString() });
    // It waited: the second prompt started only once the queue was resumed, at the reset.
    const resumedAt = events.findIndex((e) => e.type === 'session.updated' && e.session.paused === undefined && events.indexOf(paused!) < events.indexOf(e));
    const startedAt = events.findIndex((e) => e.type === 'run.started' && e.runId === waiting.runId);
    expect(resumedAt).toBeGreaterThan(0);
    expect(startedAt).toBeGreaterThan(resumedAt);
    expect(ends.find((e) => e.runId === waiting.runId)).toMatchObject({ status: 'success' });
  });

  it('keeps a paused queue paused across a restart', async () => {
    const dataDir = await tempDir('cr-paused-');
    const first = await startTestServer({ dataDir, config: { WARM_PREWARM: 'false' } });
    const session = await newSession(first);
    const far = new Date(Date.now() + 3600_000);
    const limited = await queuePrompt(first, session.id, fake(usageLimitSteps(far)));
    await runEvents(first, session.id, limited.runId);
    const waiting = await queuePrompt(first, session.id, 'still waiting');
    await first.close();
    const second = await server({}, { dataDir });
    const view = (await second.api('GET', `/api/sessions/${session.id}`)).body;
    expect(view.paused).toMatchObject({ reason: 'usage_limit' });
    expect((await second.api('GET', `/api/sessions/${session.id}/queue`)).body.pending.map((r: { id: string }) => r.id)).toEqual([waiting.runId]);
    expect((await second.api('POST', `/api/sessions/${session.id}/resume`)).status).toBe(200);
    expect(finishedOf(await runEvents(second, session.id, waiting.runId)).status).toBe('success');
  });
});

describe('MAX_OUTPUT_BYTES', () => {
  it('stops a run that prints more, keeps what came before, and the queue goes on', async () => {
    const s = await server({ MAX_OUTPUT_BYTES: String(64 * 1024) });
    const session = await newSession(s);
    const flood = await queuePrompt(s, session.id, fake([{ text: 'kept before the flood' }, { bigLine: 200_000 }, { text: 'never seen' }]));
    const next = await queuePrompt(s, session.id, 'after the flood');
    const events = await runEvents(s, session.id, flood.runId);
    expect(finishedOf(events)).toMatchObject({ status: 'error', errorKind: 'refused' });
    expect(finishedOf(events).error).toContain('MAX_OUTPUT_BYTES');
    expect(events.some((e) => e.type === 'assistant.message' && e.text === 'kept before the flood')).toBe(true);
    expect(finishedOf(await runEvents(s, session.id, next.runId)).status).toBe('success');
  });
});

describe('retention and the numbers of a session', () => {
  it('drops the streaming deltas of runs older than EVENT_RETENTION_DAYS at start, keeping messages, tools and runs', async () => {
    const dataDir = await tempDir('cr-retention-');
    const first = await startTestServer({ dataDir, config: { WARM_PREWARM: 'false' } });
    const session = await newSession(first);
    const run = await runPrompt(first, session.id, fake([{ text: 'an old answer', chunks: 5 }, { tool: { name: 'Bash', input: { command: 'ls' }, output: 'a' } }]));
    expect(run.events.some((e) => e.type === 'assistant.delta')).toBe(true);
    await first.close();
    // Forty days later.
    const later = new Date(Date.now() + 40 * 24 * 3600 * 1000);
    const second = await server({ EVENT_RETENTION_DAYS: '30' }, { dataDir, overrides: { clock: { now: () => later } } });
    const events = await collectEvents(second, session.id, (all) => all.some((e) => e.type === 'run.finished'));
    await expect.poll(async () => (await collectEvents(second, session.id, (all) => all.some((e) => e.type === 'run.finished'))).filter((e) => e.type === 'assistant.delta').length).toBe(0);
    const kept = (await collectEvents(second, session.id, (all) => all.some((e) => e.type === 'run.finished'))).map((e) => e.type);
    expect(kept).toEqual(expect.arrayContaining(['assistant.message', 'tool.started', 'tool.finished', 'run.finished']));
    expect(events.length).toBeGreaterThan(0);
    const runs = (await second.api('GET', `/api/sessions/${session.id}/runs`)).body.runs;
    expect(runs[0]).toMatchObject({ state: 'success', result: 'an old answer' });
  });

  it('counts runs by outcome and error kind, tool calls by tool, and keeps the last error', async () => {
    const s = await server();
    const session = await newSession(s);
    await runPrompt(s, session.id, fake([{ tool: { name: 'Bash', input: { command: 'ls' }, output: 'a' } }, { tool: { name: 'Read', input: { file_path: 'x' }, output: 'b' } }, { text: 'ok' }]));
    await runPrompt(s, session.id, fake([{ tool: { name: 'Bash', input: { command: 'pwd' }, output: '/' } }, { text: 'ok' }]));
    await runPrompt(s, session.id, fake([{ crash: 3 }]));
    const stats = (await s.api('GET', `/api/sessions/${session.id}/stats`)).body;
    expect(stats.runs).toEqual({ total: 3, byStatus: { success: 2, error: 1 }, byErrorKind: { cli_crashed: 1 } });
    expect(stats.tools).toEqual({ Bash: 2, Read: 1 });
    expect(stats.costUsd).toBeGreaterThan(0);
    expect(stats.lastError).toMatchObject({ errorKind: 'cli_crashed' });
    expect((await s.api('GET', '/api/sessions/nope/stats')).status).toBe(404);
  });
});
