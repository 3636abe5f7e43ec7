/**
 * Permission prompts with the REAL `claude` CLI against the fake Messages
 * API, in sessions of the default mode: the card shows what the tool would
 * do (a diff against the file on disk, a command, a plan), allow and deny do
 * what they say (the denial's message reaches Claude), "for the session"
 * skips the next request for that tool in that session only, a timeout
 * denies, and of two answers at once one wins and the other hears what.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ServerEvent } from '../../server/protocol/events.js';
import { useRealCli } from '../support/real-cli-suite.js';
import { finishedOf, newSession, permissionRequested, runEvents, submit } from '../support/runs.js';
import type { TestServer } from '../support/server.js';

const TIMEOUT = 120_000;
type Requested = Extract<ServerEvent, { type: 'permission.requested' }>;
const suite = useRealCli({ WARM_PREWARM: 'false' });
const server = (config: Record<string, string> = {}) => suite.server(config);

/** Waits for the run's next permission request (the real CLI: up to a minute). */
const requested = (s: TestServer, sessionId: string, runId: string, index = 0): Promise<Requested> => permissionRequested(s, sessionId, runId, index, 60_000);

const answer = (s: TestServer, sessionId: string, requestId: string, body: Record<string, unknown>) =>
  s.api('POST', `/api/sessions/${sessionId}/permissions/${requestId}`, body);

describe('a Write or Edit in a default-mode session', () => {
  it('shows a new file as all added lines, and allowing it writes the file', async () => {
    const s = await server();
    const session = await newSession(s);
    const runId = await submit(s, session.id, '[[write:notes.txt:first line\nsecond line]]');
    const ask = await requested(s, session.id, runId);
    expect(ask.toolName).toBe('Write');
    expect(ask.preview).toMatchObject({ kind: 'diff', path: join(session.cwd, 'notes.txt'), isNew: true, additions: 2, deletions: 0 });
    expect(ask.preview?.kind === 'diff' && ask.preview.diff).toContain('+first line');
    expect(existsSync(join(session.cwd, 'notes.txt'))).toBe(false);
    const res = await answer(s, session.id, ask.requestId, { behavior: 'allow' });
    expect(res.body).toMatchObject({ requestId: ask.requestId, behavior: 'allow', by: 'api', scope: 'once' });
    expect(finishedOf(await runEvents(s, session.id, runId)).status).toBe('success');
    expect(readFileSync(join(session.cwd, 'notes.txt'), 'utf8')).toBe('first line\nsecond line');
  }, TIMEOUT);

  it('shows an Edit as a diff against the file on disk; a denial leaves it alone and its message reaches Claude', async () => {
    const s = await server();
    const session = await newSession(s);
    writeFileSync(join(session.cwd, 'a.txt'), 'one\ntwo\nthree\n');
    const runId = await submit(s, session.id, '[[edit:a.txt:two:TWO]]');
    const ask = await requested(s, session.id, runId);
    expect(ask.preview).toMatchObject({ kind: 'diff', isNew: false, additions: 1, deletions: 1 });
    const diff = ask.preview?.kind === 'diff' ? ask.preview.diff : '';
    expect(diff).toContain('-two');
    expect(diff).toContain('+TWO');
    expect(diff).toContain(' one');
    const reason = `not that file ${Date.now()}`;
    expect((await answer(s, session.id, ask.requestId, { behavior: 'deny', message: reason })).status).toBe(200);
    const events = await runEvents(s, session.id, runId);
    expect(finishedOf(events).status).toBe('success');
    expect(readFileSync(join(session.cwd, 'a.txt'), 'utf8')).toBe('one\ntwo\nthree\n');
    expect(suite.fake.requests.some((r) => JSON.stringify(r.body?.messages ?? []).includes(reason))).toBe(true);
  }, TIMEOUT);
});

describe('answers', () => {
  it('allows a tool for the rest of the session only: the next request there is answered at once, another session still asks', async () => {
    const s = await server();
    const first = await newSession(s);
    const runA = await submit(s, first.id, '[[write:one.txt:1]]');
    const askA = await requested(s, first.id, runA);
    expect((await answer(s, first.id, askA.requestId, { behavior: 'allow', scope: 'session' })).body.scope).toBe('session');
    await runEvents(s, first.id, runA);
    expect((await s.api('GET', `/api/sessions/${first.id}`)).body.allowedForSession).toEqual(['Write']);

    const runB = await submit(s, first.id, '[[write:two.txt:2]]');
    const eventsB = await runEvents(s, first.id, runB);
    expect(eventsB.find((e) => e.type === 'permission.resolved')).toMatchObject({ behavior: 'allow', by: 'remembered' });
    expect(readFileSync(join(first.cwd, 'two.txt'), 'utf8')).toBe('2');

    const other = await newSession(s);
    const runC = await submit(s, other.id, '[[write:three.txt:3]]');
    const askC = await requested(s, other.id, runC);
    expect(askC.toolName).toBe('Write');
    await answer(s, other.id, askC.requestId, { behavior: 'deny' });
    await runEvents(s, other.id, runC);

    // Revoked: the first session asks again.
    const revoked = await s.api('DELETE', `/api/sessions/${first.id}/allowed-tools/Write`);
    expect(revoked.body.allowedForSession).toBeUndefined();
    const runD = await submit(s, first.id, '[[write:four.txt:4]]');
    const askD = await requested(s, first.id, runD);
    await answer(s, first.id, askD.requestId, { behavior: 'deny' });
    await runEvents(s, first.id, runD);
  }, TIMEOUT);

  it('marks the session as waiting for an answer, then running again', async () => {
    const s = await server();
    const session = await newSession(s);
    const runId = await submit(s, session.id, '[[write:w.txt:x]]');
    const ask = await requested(s, session.id, runId);
    const view = (await s.api('GET', `/api/sessions/${session.id}`)).body;
    expect(view).toMatchObject({ status: 'waiting', waitingForAnswers: 1 });
    await answer(s, session.id, ask.requestId, { behavior: 'allow' });
    await runEvents(s, session.id, runId);
    expect((await s.api('GET', `/api/sessions/${session.id}`)).body.status).toBe('idle');
  }, TIMEOUT);

  it('denies when no one answers in time', async () => {
    const s = await server({ PERMISSION_TIMEOUT_S: '1' });
    const session = await newSession(s);
    const runId = await submit(s, session.id, '[[write:late.txt:x]]');
    const events = await runEvents(s, session.id, runId);
    expect(events.find((e) => e.type === 'permission.resolved')).toMatchObject({ behavior: 'deny', by: 'timeout' });
    expect(existsSync(join(session.cwd, 'late.txt'))).toBe(false);
  }, TIMEOUT);

  it('takes the first of two answers at once; the other gets 409 with what was decided', async () => {
    const s = await server();
    const session = await newSession(s);
    const runId = await submit(s, session.id, '[[write:race.txt:x]]');
    const ask = await requested(s, session.id, runId);
    const [a, b] = await Promise.all([
      answer(s, session.id, ask.requestId, { behavior: 'allow' }),
      answer(s, session.id, ask.requestId, { behavior: 'deny', message: 'no' }),
    ]);
    const statuses = [a.status, b.status].sort();
    expect(statuses).toEqual([200, 409]);
    const loser = a.status === 409 ? a : b;
    const winner = a.status === 200 ? a : b;
    expect(loser.body.error).toMatchObject({ code: 'already_answered', details: { behavior: winner.body.behavior, by: 'api' } });
    const events = await runEvents(s, session.id, runId);
    expect(events.filter((e) => e.type === 'permission.resolved')).toHaveLength(1);
  }, TIMEOUT);
});

describe('plan mode', () => {
  it('shows the proposed plan; "keep planning" sends feedback, "approve and run" continues in the chosen mode', async () => {
    const s = await server();
    const session = await newSession(s, { permissionMode: 'plan' });
    const first = await submit(s, session.id, '[[plan:# The plan\\n1. Read the code\\n2. Fix the bug]]');
    const ask = await requested(s, session.id, first);
    expect(ask.toolName).toBe('ExitPlanMode');
    expect(ask.preview).toEqual({ kind: 'plan', plan: '# The plan\n1. Read the code\n2. Fix the bug' });
    const feedback = `add tests first ${Date.now()}`;
    await answer(s, session.id, ask.requestId, { behavior: 'deny', message: feedback });
    await runEvents(s, session.id, first);
    expect(suite.fake.requests.some((r) => JSON.stringify(r.body?.messages ?? []).includes(feedback))).toBe(true);
    expect((await s.api('GET', `/api/sessions/${session.id}`)).body.options.permissionMode).toBe('plan');

    const second = await submit(s, session.id, '[[plan:# Better plan]]');
    const again = await requested(s, session.id, second);
    const approved = await answer(s, session.id, again.requestId, { behavior: 'allow', mode: 'acceptEdits' });
    expect(approved.status).toBe(200);
    expect(finishedOf(await runEvents(s, session.id, second)).status).toBe('success');
    expect((await s.api('GET', `/api/sessions/${session.id}`)).body.options.permissionMode).toBe('acceptEdits');
  }, TIMEOUT);

  it('refuses a mode the owner\'s policy does not allow, and leaves the request open', async () => {
    const s = await server({ PERMISSION_MODES: 'default,plan,acceptEdits' });
    const session = await newSession(s, { permissionMode: 'plan' });
    const runId = await submit(s, session.id, '[[plan:# Plan]]');
    const ask = await requested(s, session.id, runId);
    const refused = await answer(s, session.id, ask.requestId, { behavior: 'allow', mode: 'bypassPermissions' });
    expect(refused.status).toBe(403);
    expect((await answer(s, session.id, ask.requestId, { behavior: 'allow', mode: 'acceptEdits' })).status).toBe(200);
    await runEvents(s, session.id, runId);
  }, TIMEOUT);
});
