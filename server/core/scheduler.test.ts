import { describe, expect, it } from 'vitest';
import { createScheduler } from './scheduler.js';

/** Drives the scheduler like the engine: each session has a count of queued runs. */
function simulate(limit: number, queued: Record<string, number>, order: string[]): string[] {
  const scheduler = createScheduler(limit);
  const left = { ...queued };
  for (const id of order) scheduler.markReady(id);
  const served: string[] = [];
  let active = scheduler.takeStartable();
  while (active.length > 0) {
    const [done, ...rest] = active;
    served.push(done as string);
    left[done as string] = (left[done as string] ?? 0) - 1;
    scheduler.finished(done as string, (left[done as string] ?? 0) > 0);
    active = [...rest, ...scheduler.takeStartable()];
  }
  return served;
}

describe('scheduler', () => {
  it('alternates between two sessions when only one run may go at a time', () => {
    expect(simulate(1, { a: 3, b: 3 }, ['a', 'b'])).toEqual(['a', 'b', 'a', 'b', 'a', 'b']);
  });

  it('does not let a long queue starve a short one', () => {
    expect(simulate(1, { a: 5, b: 1, c: 1 }, ['a', 'b', 'c'])).toEqual(['a', 'b', 'c', 'a', 'a', 'a', 'a']);
  });

  it('never starts more than the limit and never two runs of one session', () => {
    const s = createScheduler(2);
    s.markReady('a');
    s.markReady('a');
    s.markReady('b');
    s.markReady('c');
    expect(s.takeStartable()).toEqual(['a', 'b']);
    expect(s.runningCount).toBe(2);
    s.markReady('a'); // a is running: more work waits for finished()
    expect(s.takeStartable()).toEqual([]);
    s.finished('a', true);
    expect(s.takeStartable()).toEqual(['c']);
    s.finished('b', false);
    expect(s.takeStartable()).toEqual(['a']);
    expect(s.isRunning('a')).toBe(true);
    expect(s.isRunning('b')).toBe(false);
  });

  it('forgets a waiting session whose queue was emptied', () => {
    const s = createScheduler(1);
    s.markReady('a');
    s.markReady('b');
    s.forget('a');
    expect(s.takeStartable()).toEqual(['b']);
  });

  it('refuses a limit below one', () => {
    expect(() => createScheduler(0)).toThrow(RangeError);
  });
});
