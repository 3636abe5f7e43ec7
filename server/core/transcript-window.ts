/**
 * Which runs a freshly opened transcript shows: the last `count`, widened to
 * include every run that is not over yet (a queued or running prompt always
 * shows, however many finished after it was queued).
 */
import type { RunRecord } from './store.js';

export function tailWindow(runs: readonly RunRecord[], count: number): { start: number; shown: RunRecord[] } {
  const firstUnfinished = runs.findIndex((r) => r.state === 'queued' || r.state === 'running');
  let start = Math.max(0, runs.length - count);
  if (firstUnfinished >= 0) start = Math.min(start, firstUnfinished);
  return { start, shown: runs.slice(start) };
}
