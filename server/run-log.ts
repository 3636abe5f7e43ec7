/**
 * One log line when a run starts and one when it ends, with its session and
 * run, so an operator can follow a run through the log and find every line
 * about it by `runId`. Built from the engine's events, like any other
 * observer: the core keeps logging only what goes wrong inside it.
 *
 * Prompts and answers are never logged: they are the user's, and the event
 * log already keeps them where the user controls them.
 */
import type { Engine } from './core/engine.js';
import type { Unsubscribe } from './core/event-log.js';
import type { Logger } from './log.js';
import type { EventOf } from './protocol/events.js';

export function logRunEvents(engine: Pick<Engine, 'onAnyEvent'>, log: Logger): Unsubscribe {
  return engine.onAnyEvent((event) => {
    const about = 'runId' in event ? { sessionId: event.sessionId, runId: event.runId } : { sessionId: event.sessionId };
    switch (event.type) {
      case 'run.queued':
        log.debug('run queued', { ...about, position: event.position });
        return;
      case 'run.started':
        log.info('run started', { ...about, pid: event.pid, model: event.model });
        return;
      case 'run.finished':
        logFinished(log, event);
        return;
      default:
        return;
    }
  });
}

function logFinished(log: Logger, event: EventOf<'run.finished'>): void {
  const fields = {
    sessionId: event.sessionId,
    runId: event.runId,
    status: event.status,
    durationMs: event.durationMs,
    costUsd: event.costUsd,
    numTurns: event.numTurns,
  };
  // A failed run is worth a look; the others are the normal course of things.
  if (event.status === 'error') log.warn(`run failed (${event.errorKind ?? 'error'})`, { ...fields, errorKind: event.errorKind, error: event.error });
  else log.info(`run ${event.status}`, fields);
}
