import { describe, expect, it } from 'vitest';
import { openRequests, sessionMarks } from './session-marks.js';

describe('the marks beside a session', () => {
  it('say "paused" while the queue waits, and nothing otherwise', () => {
    expect(sessionMarks({})).toEqual([]);
    expect(sessionMarks({ paused: { reason: 'billing', since: '2026-01-01T00:00:00.000Z' } })).toEqual([{ kind: 'paused', text: 'paused' }]);
  });

  it('count the open requests of every session (a waiting session without a count is one)', () => {
    expect(openRequests([])).toBe(0);
    expect(openRequests([{ status: 'idle' }, { status: 'running' }])).toBe(0);
    expect(openRequests([{ status: 'waiting', waitingForAnswers: 2 }, { status: 'waiting' }, { status: 'running', waitingForAnswers: 1 }])).toBe(4);
  });
});
