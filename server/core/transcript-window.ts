/**
 * Which runs a freshly opened transcript shows: the last `count`, widened to
 * include every run that is not over yet (a queued or running prompt always
 * shows, however many finished after it was queued).
 */
import type { ServerEvent } from '../protocol/events.js';
import { AppError } from './errors.js';
import type { EventListener, EventLog, Unsubscribe } from './event-log.js';
import type { RunRecord, Store } from './store.js';

export interface TranscriptWindow {
  /** The first seq the window covers. */
  fromSeq: number;
  /** Whether runs before it exist. */
  hasEarlier: boolean;
  /** Its oldest run: pass it to `history` to load the runs before. */
  firstRunId?: string | undefined;
}

export function tailWindow(runs: readonly RunRecord[], count: number): { start: number; shown: RunRecord[] } {
  const firstUnfinished = runs.findIndex((r) => r.state === 'queued' || r.state === 'running');
  let start = Math.max(0, runs.length - count);
  if (firstUnfinished >= 0) start = Math.min(start, firstUnfinished);
  return { start, shown: runs.slice(start) };
}

/**
 * Opens a session's transcript for display: its last `tailRuns` runs (and
 * every run not finished yet) in compact form, without deltas of finished
 * runs, then every live event. Older runs come from `historyBefore`.
 */
export async function openTranscript(
  store: Store,
  events: EventLog,
  sessionId: string,
  tailRuns: number,
  listener: EventListener,
): Promise<TranscriptWindow & { unsubscribe: Unsubscribe }> {
  const runs = await store.listRuns(sessionId);
  const { start, shown } = tailWindow(runs, tailRuns);
  const fromSeq = shown.length > 0 ? Math.min(...shown.map((r) => r.queuedSeq ?? 1)) : (await store.lastSeq(sessionId)) + 1;
  // Older runs may still have events after fromSeq (prompts queued together
  // run later): those belong to "load earlier", not here.
  const older = new Set(runs.slice(0, start).map((r) => r.id));
  const unsubscribe = await events.subscribe(sessionId, fromSeq - 1, listener, {
    compact: true,
    replayFilter: (e) => !('runId' in e) || e.runId === undefined || !older.has(e.runId),
  });
  return { fromSeq, hasEarlier: start > 0, firstRunId: shown[0]?.id, unsubscribe };
}

/** For "load earlier": the compact events of the `count` runs before run `beforeRunId`. */
export async function historyBefore(
  store: Store,
  sessionId: string,
  beforeRunId: string,
  count: number,
): Promise<TranscriptWindow & { events: ServerEvent[] }> {
  const runs = await store.listRuns(sessionId);
  const index = runs.findIndex((r) => r.id === beforeRunId);
  if (index < 0) throw new AppError('run_not_found', `No run ${beforeRunId} in this session.`);
  const start = Math.max(0, index - count);
  const page = runs.slice(start, index);
  const events = await store.readRunEvents(sessionId, page.map((r) => r.id));
  return { fromSeq: events[0]?.seq ?? 1, hasEarlier: start > 0, firstRunId: page[0]?.id, events };
}
