import { describe, expect, it } from 'vitest';
import { ZERO_USAGE, type ServerEvent, type SessionView } from '../../server/protocol/events.js';
import { noticeFor } from './notify.js';

const NOW = Date.parse('2026-11-26T12:00:00.000Z');
const finished = (status: 'success' | 'error' | 'cancelled' | 'interrupted', at = '2026-11-26T11:59:59.000Z'): ServerEvent => ({
  type: 'run.finished',
  sessionId: 's1',
  runId: 'r1',
  seq: 9,
  at,
  status,
  costUsd: 0,
  usage: ZERO_USAGE,
  durationMs: 1,
  numTurns: 1,
  result: 'All done',
  error: status === 'error' ? 'boom' : undefined,
});
const session = (queueLength: number) => ({ id: 's1', name: 'Work', queueLength }) as SessionView;

describe('noticeFor', () => {
  it('tells when the queue of a session drains', () => {
    expect(noticeFor(finished('success'), session(0), NOW)).toMatchObject({ failed: false, title: 'Work is done', body: 'All done' });
    expect(noticeFor(finished('success'), session(2), NOW)).toBeUndefined();
  });

  it('tells about every failed run, even with more queued', () => {
    expect(noticeFor(finished('error'), session(3), NOW)).toMatchObject({ failed: true, title: 'Work: the run failed', body: 'boom' });
  });

  it('stays quiet for cancelled runs, replays of old events, and other events', () => {
    expect(noticeFor(finished('cancelled'), session(0), NOW)).toBeUndefined();
    expect(noticeFor(finished('success', '2026-11-26T10:00:00.000Z'), session(0), NOW)).toBeUndefined();
    const other = { type: 'queue.changed', sessionId: 's1', seq: 1, at: '2026-11-26T12:00:00.000Z', pending: [] } as ServerEvent;
    expect(noticeFor(other, session(0), NOW)).toBeUndefined();
  });
});
