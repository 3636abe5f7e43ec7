import { describe, expect, it } from 'vitest';
import type { ServerEvent, SessionView } from '../protocol/events.js';
import { ZERO_USAGE } from '../protocol/events.js';
import { PushNotices, type NoticeSource } from './notices.js';

const base = { seq: 1, sessionId: 's1', at: '2026-03-01T12:00:00.000Z' };

function view(overrides: Partial<SessionView> = {}): SessionView {
  return {
    id: 's1',
    name: 'Blog',
    cwd: '/tmp/blog',
    ownFolder: false,
    options: {},
    claudeSessionId: 'c1',
    status: 'idle',
    queueLength: 0,
    totals: { costUsd: 0, runs: 1, usage: { ...ZERO_USAGE } },
    createdAt: base.at,
    updatedAt: base.at,
    lastSeq: 1,
    ...overrides,
  };
}

/** The engine as the notices read it: which requests are still open, and the sessions. */
function source(open: Set<string>, sessions: SessionView[] = [view()]): NoticeSource {
  return {
    isPermissionOpen: async (_sessionId, requestId) => open.has(requestId),
    getSession: async (id) => sessions.find((s) => s.id === id) ?? Promise.reject(new Error('gone')),
    listSessions: async () => sessions,
  };
}

const asked = (requestId: string, toolName = 'Bash'): ServerEvent => ({ ...base, type: 'permission.requested', runId: 'r1', requestId, toolName, input: {} });
const resolved = (requestId: string): ServerEvent => ({ ...base, type: 'permission.resolved', runId: 'r1', requestId, behavior: 'allow', by: 'api' });
const finished = (status: 'success' | 'error' | 'interrupted' | 'cancelled', runId = 'r1'): ServerEvent => ({
  ...base,
  type: 'run.finished',
  runId,
  status,
  costUsd: 0,
  usage: { ...ZERO_USAGE },
  durationMs: 1,
  numTurns: 1,
  ...(status === 'error' ? { errorKind: 'rate_limit' as const } : {}),
});
const updated = (session: Partial<SessionView>): ServerEvent => ({ ...base, type: 'session.updated', session: view(session) });

describe('which events are worth a push', () => {
  it('pushes a permission request that waits for a person, not one a "for the session" answer settled at once', async () => {
    const open = new Set(['q1']);
    const notices = new PushNotices(source(open), 600);
    const waiting = await notices.build(notices.decide(asked('q1'))!);
    expect(waiting?.payload).toMatchObject({ kind: 'permission', requestId: 'q1', toolName: 'Bash' });
    expect(await notices.build(notices.decide(asked('remembered'))!)).toBeUndefined();
  });

  it('pushes the other open request of a session once one of two is answered (its notification replaced the other)', async () => {
    const open = new Set(['q1', 'q2']);
    const notices = new PushNotices(source(open), 600);
    notices.decide(asked('q1', 'Write'));
    notices.decide(asked('q2', 'Bash'));
    open.delete('q2');
    const next = await notices.build(notices.decide(resolved('q2'))!);
    expect(next?.payload).toMatchObject({ kind: 'permission', requestId: 'q1', toolName: 'Write', title: 'Blog: allow Write?' });
    open.delete('q1');
    expect(notices.decide(resolved('q1'))).toBeUndefined();
  });

  it('pushes a drained queue at the first idle announcement with nothing queued after a run ended', () => {
    const notices = new PushNotices(source(new Set()), 600);
    expect(notices.decide(updated({ status: 'idle' }))).toBeUndefined(); // no run ended yet
    expect(notices.decide(finished('success'))).toBeUndefined();
    expect(notices.decide(updated({ status: 'running' }))).toBeUndefined(); // the run is not off the books yet
    expect(notices.decide(updated({ status: 'idle' }))).toMatchObject({ kind: 'drained', runId: 'r1' });
    expect(notices.decide(updated({ status: 'idle' }))).toBeUndefined(); // once
  });

  it('pushes no drain while prompts are queued, and none after a cancelled run', () => {
    const notices = new PushNotices(source(new Set()), 600);
    notices.decide(finished('success', 'r1'));
    expect(notices.decide(updated({ status: 'idle', queueLength: 1 }))).toBeUndefined();
    expect(notices.decide(updated({ status: 'idle' }))).toBeUndefined();
    notices.decide(finished('cancelled', 'r2'));
    expect(notices.decide(updated({ status: 'idle' }))).toBeUndefined();
    notices.decide(finished('interrupted', 'r3'));
    expect(notices.decide(updated({ status: 'idle' }))).toMatchObject({ kind: 'drained', runId: 'r3' });
  });

  it('pushes a failed run once, not also as a drain', () => {
    const notices = new PushNotices(source(new Set()), 600);
    expect(notices.decide(finished('error'))).toMatchObject({ kind: 'failed', errorKind: 'rate_limit' });
    expect(notices.decide(updated({ status: 'idle' }))).toBeUndefined();
  });

  it('pushes no run a stopped or dead server cut short, nor a drain after it', () => {
    const notices = new PushNotices(source(new Set()), 600);
    const cutShort = { ...finished('error'), errorKind: 'server_restart' } as ServerEvent;
    expect(notices.decide(cutShort)).toBeUndefined();
    expect(notices.decide(updated({ status: 'idle' }))).toBeUndefined();
  });
});

describe('what a push says', () => {
  it('names the session and the tool, counts the open requests, and asks for high urgency for the life of a request', async () => {
    const sessions = [view({ status: 'waiting', waitingForAnswers: 2 }), view({ id: 's2', name: 'Other', waitingForAnswers: 1 })];
    const notices = new PushNotices(source(new Set(['q1']), sessions), 600);
    const notice = await notices.build({ kind: 'permission', sessionId: 's1', runId: 'r1', requests: [{ requestId: 'q1', runId: 'r1', toolName: 'Edit' }] });
    expect(notice?.payload).toEqual({
      kind: 'permission',
      sessionId: 's1',
      sessionName: 'Blog',
      runId: 'r1',
      requestId: 'q1',
      toolName: 'Edit',
      title: 'Blog: allow Edit?',
      body: 'Claude wants to use Edit. Tap to see what it would do.',
      waiting: 3,
    });
    expect(notice?.options).toMatchObject({ ttlS: 600, urgency: 'high' });
    const failed = await notices.build({ kind: 'failed', sessionId: 's1', runId: 'r1', errorKind: 'usage_limit' });
    expect(failed?.payload.body).toContain('usage limit');
    expect(failed?.options).toMatchObject({ urgency: 'normal', topic: notice?.options.topic });
    expect(await notices.build({ kind: 'drained', sessionId: 'deleted', runId: 'r9' })).toBeUndefined();
  });
});
