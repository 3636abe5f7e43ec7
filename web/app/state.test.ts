import { describe, expect, it } from 'vitest';
import type { ServerEvent, SessionView } from '../../server/protocol/events.js';
import { addOutgoing, applyEvent, applyWelcome, createAppState, follow, noteServerStart, selectedSessionState } from './state.js';

const AT = '2026-11-26T12:00:00.000Z';

function session(id: string): SessionView {
  return { id, name: id, cwd: `/tmp/${id}`, createdAt: AT, updatedAt: AT, status: 'idle', queueLength: 0 } as SessionView;
}

describe('the app state', () => {
  it('forgets followed sessions a welcome no longer lists, and closes the open one if it went', () => {
    const state = createAppState();
    follow(state, 'a');
    follow(state, 'b');
    state.selectedId = 'b';
    expect(applyWelcome(state, [session('a')])).toEqual({ selectedGone: true });
    expect([...state.followed.keys()]).toEqual(['a']);
    expect(state.selectedId).toBeUndefined();
  });

  it('advances a followed session with its events, and drops the prompt the server queued', () => {
    const state = createAppState();
    follow(state, 'a');
    state.selectedId = 'a';
    addOutgoing(state, { clientRequestId: 'c1', sessionId: 'a', prompt: 'hi' });
    const queued = { type: 'run.queued', sessionId: 'a', seq: 1, at: AT, runId: 'r1', prompt: 'hi', clientRequestId: 'c1' } as ServerEvent;
    expect(applyEvent(state, queued, true)).toEqual({ selectedDeleted: false });
    expect(selectedSessionState(state)?.lastSeq).toBe(1);
    expect(state.outgoing).toEqual([]);
  });

  it('keeps only the list current for a summary event', () => {
    const state = createAppState();
    state.sessions = [session('a')];
    follow(state, 'a');
    const started = { type: 'run.started', sessionId: 'a', seq: 4, at: AT, runId: 'r1', model: 'm' } as ServerEvent;
    applyEvent(state, started, false);
    expect(state.sessions[0]?.status).toBe('running');
    expect(state.followed.get('a')?.lastSeq).toBe(0);
  });

  it('closes the open session when it is deleted', () => {
    const state = createAppState();
    follow(state, 'a');
    state.selectedId = 'a';
    const deleted = { type: 'session.deleted', sessionId: 'a', seq: 2, at: AT } as ServerEvent;
    expect(applyEvent(state, deleted, true)).toEqual({ selectedDeleted: true });
    expect(state.selectedId).toBeUndefined();
    expect(state.followed.has('a')).toBe(false);
  });

  it('tells a server that restarted between two connections from the first connection and a reconnect to the same one', () => {
    const state = createAppState();
    expect(noteServerStart(state, '2026-11-26T12:00:00.000Z')).toBe(false);
    expect(noteServerStart(state, '2026-11-26T12:00:00.000Z')).toBe(false);
    expect(noteServerStart(state, '2026-11-26T12:05:00.000Z')).toBe(true);
    expect(noteServerStart(state, '2026-11-26T12:05:00.000Z')).toBe(false);
    // A welcome without one (an older server) changes nothing.
    expect(noteServerStart(state, undefined)).toBe(false);
    expect(noteServerStart(state, '2026-11-26T12:09:00.000Z')).toBe(true);
  });
});
