import { describe, expect, it } from 'vitest';
import { sessionMarks } from './session-marks.js';

describe('the marks beside a session', () => {
  it('say "waiting for you" while a request waits, and "paused" while the queue waits', () => {
    expect(sessionMarks({ status: 'idle' })).toEqual([]);
    expect(sessionMarks({ status: 'running' })).toEqual([]);
    expect(sessionMarks({ status: 'waiting', waitingForAnswers: 1 }).map((m) => m.text)).toEqual(['waiting for you']);
    expect(sessionMarks({ status: 'running', waitingForAnswers: 2 }).map((m) => m.kind)).toEqual(['waiting']);
    expect(sessionMarks({ status: 'idle', paused: { reason: 'billing', since: '2026-01-01T00:00:00.000Z' } }).map((m) => m.kind)).toEqual(['paused']);
  });
});
