/**
 * EVENT_RETENTION_DAYS: the streaming deltas, usage ticks and raw CLI lines
 * of runs that finished longer ago are dropped (Store.pruneFinishedRuns), at
 * start and then every few hours, so the store does not grow without bound.
 * Messages, tool calls, results, costs and the run records stay.
 */
import type { Clock, LogFn } from './ports.js';
import type { Store } from './store.js';

const RETENTION_EVERY_MS = 6 * 3600 * 1000;

/** Starts pruning (nothing when `days` is 0); returns how to stop. */
export function startRetention(store: Store, clock: Clock, log: LogFn, days: number): () => void {
  if (days <= 0) return () => {};
  const prune = () => {
    const before = new Date(clock.now().getTime() - days * 24 * 3600 * 1000).toISOString();
    store
      .pruneFinishedRuns(before)
      .then((n) => {
        if (n > 0) log('info', `retention: dropped the streaming details of ${n} run(s) finished before ${before}`);
      })
      .catch((err: unknown) => log('error', 'retention failed', { err }));
  };
  prune();
  const timer = setInterval(prune, RETENTION_EVERY_MS);
  timer.unref();
  return () => clearInterval(timer);
}
