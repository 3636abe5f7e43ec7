/**
 * What a start finds left by a server that was killed: runs it had going,
 * and runs whose end was stored but never announced. Used by the dispatcher
 * at start, and when an instance takes a session whose owner died.
 */
import { ZERO_USAGE } from '../protocol/events.js';
import type { EventLog } from './event-log.js';
import type { Clock } from './ports.js';
import type { RunPatch, RunRecord, Store } from './store.js';

export interface RecoveryDeps {
  store: Store;
  events: EventLog;
  clock: Clock;
}

/**
 * A run's end is several writes (Run.#finish: the run, the session's
 * totals, then run.finished; recordAbandoned and cancel: the run, then the
 * event). A kill between them left a run the store calls finished whose
 * run.finished never came, and a client waiting for it waited forever. Runs
 * of a session start one at a time, each after the one before it ended, so
 * of the started runs only the session's last can be in that state; of the
 * others, cancelled ones. At start, with nothing of ours running, those get
 * their event from their record. (A run's cost may be missing from the
 * session's totals: that write cannot be told apart from not done.)
 */
export async function announceMissedEnds(deps: RecoveryDeps, sessionId: string): Promise<void> {
  const { store, events } = deps;
  const runs = await store.listRuns(sessionId);
  const lastStarted = runs.filter((run) => run.startedAt !== undefined).at(-1);
  const ended = runs.filter((run) => (run === lastStarted && run.state !== 'running') || run.state === 'cancelled');
  if (ended.length === 0) return;
  const announced = new Set((await store.readRunEvents(sessionId, ended.map((run) => run.id))).flatMap((e) => (e.type === 'run.finished' ? [e.runId] : [])));
  for (const run of ended) {
    if (announced.has(run.id) || run.state === 'queued' || run.state === 'running') continue;
    await events.append({
      type: 'run.finished',
      sessionId,
      runId: run.id,
      status: run.state,
      result: run.result,
      costUsd: run.costUsd,
      usage: run.usage,
      durationMs: run.durationMs,
      numTurns: run.numTurns,
      errorKind: run.errorKind,
      error: run.error,
    });
  }
}

/**
 * A run whose server died under it: recorded as `server_restart` (once,
 * whoever notices). Unless no CLI ever saw it: a run is taken (queued ->
 * running) before its process is found, and its prompt is written only
 * after `startedAt` is stored (Run.#onProcess). Without `startedAt` the
 * server died in between, nothing of it ran, and it goes back to the queue
 * in its place; recording it as failed dropped an accepted prompt.
 * Only for this instance's own previous life (`ownPreviousLife`), which is
 * certainly dead: an owner whose lease merely expired may be alive behind
 * a partition, about to write that prompt, and running it here as well
 * would run it twice.
 */
export async function recordAbandoned(
deps: RecoveryDeps,
run: RunRecord,
update: (id: string, patch: RunPatch) => Promise<RunRecord | undefined>,
ownPreviousLife = false,
): Promise<void> {
  if (ownPreviousLife && run.startedAt === undefined) {
    await update(run.id, { state: 'queued', instanceId: undefined });
    return;
  }
  const error = 'The server stopped while this run was going. It was not restarted, because its tools may already have acted.';
  const changed = await update(run.id, { state: 'error', errorKind: 'server_restart', error, finishedAt: deps.clock.now().toISOString() });
  if (!changed) return;
  const usage = { ...ZERO_USAGE };
  await deps.events.append({ type: 'run.finished', sessionId: run.sessionId, runId: run.id, status: 'error', costUsd: 0, usage, durationMs: 0, numTurns: 0, errorKind: 'server_restart', error });
}
