/**
 * Fair scheduling across sessions: at most `limit` runs at once, and
 * round-robin over the sessions that have work, so one session with fifty
 * queued prompts cannot starve another with one.
 *
 * Pure bookkeeping: the engine tells it what became ready, started and
 * finished; it answers which session should start next. One run at a time
 * per session is a rule of this module too.
 */
export interface Scheduler {
  /** The session has (more) queued work; a no-op if it is already waiting or running. */
  markReady(sessionId: string): void;
  /** The session has no queued work any more (cancelled, deleted). */
  forget(sessionId: string): void;
  /** The session's run ended; `hasMore` says whether it has queued work left. */
  finished(sessionId: string, hasMore: boolean): void;
  /** Sessions to start now, each marked running, in fair order. */
  takeStartable(): string[];
  isRunning(sessionId: string): boolean;
  readonly runningCount: number;
}

export function createScheduler(limit: number): Scheduler {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`concurrency limit must be >= 1, got ${limit}`);
  // Sessions waiting for a slot, in the order they should be served. A
  // session that just ran goes to the back, which is what makes it fair.
  const waiting: string[] = [];
  const running = new Set<string>();

  return {
    markReady(sessionId) {
      if (running.has(sessionId) || waiting.includes(sessionId)) return;
      waiting.push(sessionId);
    },
    forget(sessionId) {
      const i = waiting.indexOf(sessionId);
      if (i >= 0) waiting.splice(i, 1);
    },
    finished(sessionId, hasMore) {
      running.delete(sessionId);
      if (hasMore && !waiting.includes(sessionId)) waiting.push(sessionId);
    },
    takeStartable() {
      const started: string[] = [];
      while (running.size < limit && waiting.length > 0) {
        const next = waiting.shift() as string;
        running.add(next);
        started.push(next);
      }
      return started;
    },
    isRunning: (sessionId) => running.has(sessionId),
    get runningCount() {
      return running.size;
    },
  };
}
