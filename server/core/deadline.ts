/**
 * Nothing waits forever: `within` races work against a deadline and says
 * which came first. The timer is Node's abortable one (timers/promises), so
 * it is cancelled as soon as the work settles and never keeps the process up.
 */
import { setTimeout as sleep } from 'node:timers/promises';

/** 'done' when the work settled (resolved or rejected) within `ms`, 'late' otherwise. A rejection is returned, not thrown. */
export async function within(work: Promise<unknown>, ms: number): Promise<{ outcome: 'done' | 'late'; error?: unknown }> {
  const deadline = new AbortController();
  const settled = work.then(
    () => ({ outcome: 'done' as const }),
    (error: unknown) => ({ outcome: 'done' as const, error }),
  );
  const late = sleep(ms, { outcome: 'late' as const }, { signal: deadline.signal, ref: false }).catch(() => ({ outcome: 'late' as const }));
  try {
    return await Promise.race([settled, late]);
  } finally {
    deadline.abort();
  }
}
