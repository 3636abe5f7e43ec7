/**
 * Following one run through its session's event log: its events from its
 * `run.queued` to its `run.finished`, or just the moment it ends.
 */
import type { EventListener, EventLog, Unsubscribe } from './event-log.js';
import type { RunRecord, Store } from './store.js';

/** One run's events, from its `run.queued` on, until its `run.finished` (then nothing more). */
export function followRun(events: EventLog, run: RunRecord, listener: EventListener): Promise<Unsubscribe> {
  let over = false;
  return events.subscribe(run.sessionId, Math.max(0, (run.queuedSeq ?? 1) - 1), (event) => {
    if (over || !('runId' in event) || event.runId !== run.id) return;
    if (event.type === 'run.finished') over = true;
    listener(event);
  });
}

const ended = (state: string) => state !== 'queued' && state !== 'running';

/**
 * Resolves with the run once it has ended, or undefined when `timeoutMs`
 * passes first. It follows live events only (not the session's whole log),
 * and looks at the store again once subscribed, for an end in between.
 */
export async function waitForRun(store: Store, events: EventLog, sessionId: string, runId: string, timeoutMs: number): Promise<RunRecord | undefined> {
  const stored = async () => store.getRun(runId);
  const now = await stored();
  if (!now || ended(now.state)) return now;
  let off: Unsubscribe | undefined;
  let done = false;
  const finished = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    timer.unref();
    store
      .lastSeq(sessionId)
      .then((last) =>
        events.subscribe(sessionId, last, (event) => {
          if (event.type === 'run.finished' && event.runId === runId) {
            clearTimeout(timer);
            resolve(true);
          }
        }),
      )
      .then(async (unsubscribe) => {
        if (done) return unsubscribe();
        off = unsubscribe;
        const again = await stored();
        if (again && ended(again.state)) resolve(true);
      })
      .catch(() => resolve(false));
  });
  done = true;
  off?.();
  return finished ? stored() : undefined;
}
