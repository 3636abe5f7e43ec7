import { describe, expect, it } from 'vitest';
import { ZERO_USAGE, type NewEvent, type ServerEvent, type SessionView } from '../../server/protocol/events.js';
import { initialSessionState, reduceSession, reduceSessionList, type SessionState } from './reducer.js';

const SID = 's1';
const RUN = 'r1';

function numbered(events: NewEvent[], from = 1): ServerEvent[] {
  return events.map((e, i) => ({ ...e, seq: from + i, at: '2026-01-01T00:00:00.000Z' }) as ServerEvent);
}

function reduceAll(events: ServerEvent[], state: SessionState = initialSessionState(SID)): SessionState {
  return events.reduce(reduceSession, state);
}

const queued: NewEvent = { type: 'run.queued', sessionId: SID, runId: RUN, prompt: 'hi', position: 1, clientRequestId: 'c1' };
const started: NewEvent = { type: 'run.started', sessionId: SID, runId: RUN, pid: 1, claudeSessionId: 'x' };
const finished: NewEvent = {
  type: 'run.finished',
  sessionId: SID,
  runId: RUN,
  status: 'success',
  costUsd: 0.01,
  usage: { ...ZERO_USAGE, inputTokens: 10, outputTokens: 2 },
  durationMs: 1200,
  numTurns: 1,
};

describe('reduceSession', () => {
  it('keeps the files a queued prompt carries, and none for a prompt without', () => {
    const image = { name: 'shot.png', mediaType: 'image/png', size: 68, kind: 'image' as const, path: 'attachments/shot.png' };
    const state = reduceAll(numbered([{ ...queued, prompt: '', attachments: [image] }]));
    expect(state.runs[RUN]).toMatchObject({ prompt: '', attachments: [image] });
    expect(reduceAll(numbered([queued])).runs[RUN]).not.toHaveProperty('attachments');
  });

  it('builds streamed text from deltas and replaces it with the complete message', () => {
    const events = numbered([
      queued,
      started,
      { type: 'assistant.delta', sessionId: SID, runId: RUN, text: 'Hel' },
      { type: 'assistant.delta', sessionId: SID, runId: RUN, text: 'lo' },
    ]);
    const streaming = reduceAll(events);
    expect(streaming.runs[RUN]?.items).toEqual([{ kind: 'text', text: 'Hello', streaming: true }]);
    expect(streaming.activeRunId).toBe(RUN);

    const done = reduceAll(
      numbered([{ type: 'assistant.message', sessionId: SID, runId: RUN, text: 'Hello!' }, finished], 5),
      streaming,
    );
    expect(done.runs[RUN]?.items).toEqual([{ kind: 'text', text: 'Hello!', streaming: false }]);
    expect(done.runs[RUN]?.status).toBe('success');
    expect(done.runs[RUN]?.outcome?.costUsd).toBe(0.01);
    expect(done.activeRunId).toBeUndefined();
  });

  it('ignores events at or below the last seq, so replays after a reconnect add nothing twice', () => {
    const events = numbered([queued, started, { type: 'assistant.delta', sessionId: SID, runId: RUN, text: 'tick ' }]);
    const once = reduceAll(events);
    const twice = reduceAll(events, once);
    expect(twice).toBe(once);
    expect(twice.runs[RUN]?.items).toEqual([{ kind: 'text', text: 'tick ', streaming: true }]);
  });

  it('starts a new text block after a tool call and finishes the tool card', () => {
    const state = reduceAll(
      numbered([
        queued,
        started,
        { type: 'assistant.message', sessionId: SID, runId: RUN, text: 'Running a command.' },
        { type: 'tool.started', sessionId: SID, runId: RUN, toolUseId: 't1', name: 'Bash', summary: 'ls', input: { command: 'ls' } },
        { type: 'tool.finished', sessionId: SID, runId: RUN, toolUseId: 't1', ok: false, output: 'boom' },
        { type: 'assistant.delta', sessionId: SID, runId: RUN, text: 'Done' },
      ]),
    );
    const items = state.runs[RUN]?.items ?? [];
    expect(items.map((i) => i.kind)).toEqual(['text', 'tool', 'text']);
    expect(items[1]).toMatchObject({ kind: 'tool', tool: { name: 'Bash', status: 'error', output: 'boom' } });
    expect(items[2]).toEqual({ kind: 'text', text: 'Done', streaming: true });
  });

  it('tracks the queue and marks a cancelled prompt that never started', () => {
    const state = reduceAll(
      numbered([
        queued,
        { type: 'queue.changed', sessionId: SID, pending: [RUN] },
        { type: 'queue.changed', sessionId: SID, pending: [] },
        { ...finished, status: 'cancelled', costUsd: 0, durationMs: 0, numTurns: 0 } as NewEvent,
      ]),
    );
    expect(state.pending).toEqual([]);
    expect(state.runs[RUN]).toMatchObject({ status: 'cancelled', started: false });
  });

  it('keeps a retry until output resumes, whatever the output is', () => {
    const retrying: NewEvent = { type: 'run.retrying', sessionId: SID, runId: RUN, attempt: 1, maxRetries: 10, delayMs: 600, errorStatus: 529 };
    const waiting = reduceAll(numbered([queued, started, retrying]));
    expect(waiting.runs[RUN]?.retrying).toEqual({ attempt: 1, maxRetries: 10, delayMs: 600, errorStatus: 529, at: '2026-01-01T00:00:00.000Z' });
    const resumedBy: NewEvent[] = [
      { type: 'assistant.delta', sessionId: SID, runId: RUN, text: 'Hi' },
      { type: 'assistant.message', sessionId: SID, runId: RUN, text: 'Hi' },
      { type: 'thinking', sessionId: SID, runId: RUN, text: 'Hm' },
      { type: 'tool.started', sessionId: SID, runId: RUN, toolUseId: 't1', name: 'Bash', summary: 'ls', input: { command: 'ls' } },
      { type: 'permission.requested', sessionId: SID, runId: RUN, requestId: 'p1', toolName: 'Bash', input: {} },
      finished,
    ];
    for (const event of resumedBy) expect(reduceAll(numbered([event], 4), waiting).runs[RUN]?.retrying, event.type).toBeUndefined();
    // A usage figure is no output: the countdown stays.
    const usage: NewEvent = { type: 'usage', sessionId: SID, runId: RUN, ...ZERO_USAGE };
    expect(reduceAll(numbered([usage], 4), waiting).runs[RUN]?.retrying).toBeDefined();
  });

  it('keeps what a permission card shows, and how the request was answered', () => {
    const preview = { kind: 'command' as const, command: 'rm -rf build', description: 'Clean the build' };
    const state = reduceAll(
      numbered([
        queued,
        started,
        { type: 'permission.requested', sessionId: SID, runId: RUN, requestId: 'p1', toolName: 'Bash', input: { command: 'rm -rf build' }, description: 'Clean', preview },
        { type: 'permission.resolved', sessionId: SID, runId: RUN, requestId: 'p1', behavior: 'allow', by: 'app', scope: 'session' },
        { type: 'permission.requested', sessionId: SID, runId: RUN, requestId: 'p2', toolName: 'ExitPlanMode', input: {}, preview: { kind: 'plan', plan: '# P' } },
        // Without its runId (an older server): found by its request id.
        { type: 'permission.resolved', sessionId: SID, requestId: 'p2', behavior: 'allow', by: 'api', mode: 'acceptEdits' },
      ]),
    );
    expect(state.runs[RUN]?.items).toEqual([
      { kind: 'permission', requestId: 'p1', toolName: 'Bash', input: { command: 'rm -rf build' }, description: 'Clean', preview, resolved: { behavior: 'allow', by: 'app', scope: 'session', mode: undefined } },
      {
        kind: 'permission',
        requestId: 'p2',
        toolName: 'ExitPlanMode',
        input: {},
        description: undefined,
        preview: { kind: 'plan', plan: '# P' },
        resolved: { behavior: 'allow', by: 'api', scope: undefined, mode: 'acceptEdits' },
      },
    ]);
  });

  it('leaves other sessions\' events alone', () => {
    const state = initialSessionState(SID);
    const [other] = numbered([{ ...queued, sessionId: 'elsewhere' } as NewEvent]);
    expect(reduceSession(state, other!)).toBe(state);
  });
});

describe('reduceSessionList', () => {
  const session: SessionView = {
    id: SID,
    name: 'One',
    cwd: '/tmp/one',
    ownFolder: true,
    options: {},
    claudeSessionId: 'x',
    status: 'idle',
    queueLength: 0,
    totals: { costUsd: 0, runs: 0, usage: { ...ZERO_USAGE } },
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    lastSeq: 0,
  };

  it('adds, updates and removes sessions from summary events', () => {
    const [created, running, queue, renamed, deleted] = numbered([
      { type: 'session.created', sessionId: SID, session },
      started,
      { type: 'queue.changed', sessionId: SID, pending: ['a', 'b'] },
      { type: 'session.updated', sessionId: SID, session: { ...session, name: 'Renamed' } },
      { type: 'session.deleted', sessionId: SID },
    ]);
    let list = reduceSessionList([], created!);
    expect(list.map((s) => s.name)).toEqual(['One']);
    list = reduceSessionList(list, running!);
    expect(list[0]?.status).toBe('running');
    list = reduceSessionList(list, queue!);
    expect(list[0]?.queueLength).toBe(2);
    list = reduceSessionList(list, renamed!);
    expect(list[0]?.name).toBe('Renamed');
    expect(reduceSessionList(list, deleted!)).toEqual([]);
  });
});

describe('history', () => {
  const runEvents = (runId: string, prompt: string): NewEvent[] => [
    { type: 'run.queued', sessionId: SID, runId, prompt, position: 1 },
    { type: 'run.started', sessionId: SID, runId, pid: 1, claudeSessionId: 'x' },
    { type: 'assistant.message', sessionId: SID, runId, text: `Echo: ${prompt}` },
    { ...finished, runId },
  ];

  it('puts earlier runs in front, keeps lastSeq, and records whether more exist', async () => {
    const { prependHistory, withWindow } = await import('./reducer.js');
    const recent = withWindow(reduceAll(numbered([...runEvents('r3', 'three')], 20)), { hasEarlier: true, firstRunId: 'r3' });
    expect(recent.hasEarlier).toBe(true);
    const older = numbered([...runEvents('r1', 'one'), ...runEvents('r2', 'two')], 1);
    const joined = prependHistory(recent, older, { hasEarlier: false, firstRunId: 'r1' });
    expect(joined.timeline.map((t) => (t.kind === 'run' ? t.runId : t.kind))).toEqual(['r1', 'r2', 'r3']);
    expect(joined.runs['r1']?.items).toEqual([{ kind: 'text', text: 'Echo: one', streaming: false }]);
    expect(joined.lastSeq).toBe(recent.lastSeq);
    expect(joined).toMatchObject({ hasEarlier: false, firstRunId: 'r1' });
    // A run both sides hold is kept once, as the newer state has it.
    const again = prependHistory(joined, numbered(runEvents('r3', 'three'), 20), { hasEarlier: false });
    expect(again.timeline.filter((t) => t.kind === 'run' && t.runId === 'r3')).toHaveLength(1);
  });
});
