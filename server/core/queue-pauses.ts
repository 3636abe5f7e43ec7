/**
 * A session's queue waits after a billing or usage-limit failure: the
 * prompts behind it would fail the same way. The pause is kept with the
 * session (it survives a restart and a change of owner); the queue resumes by
 * itself at the reset time when the CLI said it, else when someone resumes it.
 */
import type { Paused } from '../protocol/session.js';
import { DueTimers } from './due-timers.js';
import type { LogFn } from './event-log.js';
import type { Clock } from './ports.js';
import type { RunQueue } from './queue.js';
import type { RunEnd } from './run.js';
import type { SessionRecord, Store } from './store.js';

export interface QueuePausesDeps {
  store: Store;
  clock: Clock;
  log: LogFn;
  queue: RunQueue;
  /** Resumes the queue when its reset time comes (through the owner). */
  resume(sessionId: string): Promise<unknown>;
}

export class QueuePauses {
  readonly #deps: QueuePausesDeps;
  readonly #timers: DueTimers;

  constructor(deps: QueuePausesDeps) {
    this.#deps = deps;
    this.#timers = new DueTimers(deps.clock);
  }

  /** Pauses the session's queue when the run ended for want of credit or usage. */
  async after(session: SessionRecord, end: RunEnd): Promise<void> {
    if (end.errorKind !== 'billing' && end.errorKind !== 'usage_limit') return;
    const paused: Paused = { reason: end.errorKind, since: this.#deps.clock.now().toISOString(), until: end.resetsAt, message: end.error };
    await this.#deps.store.updateSession(session.id, { paused });
    this.hold(session.id, paused.until);
    const when = paused.until ? ` until ${paused.until}` : ' until it is resumed';
    this.#deps.log('warn', `the queue waits (${paused.reason})${when}`, { sessionId: session.id, runId: end.runId });
  }

  /** Holds the queue here, resuming it at `until` when given. */
  hold(sessionId: string, until: string | undefined): void {
    this.#deps.queue.pause(sessionId);
    this.#timers.clear(sessionId);
    if (until === undefined) return;
    this.#timers.set(sessionId, until, () => {
      this.#deps.resume(sessionId).catch((err: unknown) => this.#deps.log('error', 'resuming the queue failed', { sessionId, err }));
    });
  }

  /** Lets the queue go on: the session as stored now, and whether it was paused at all. */
  async lift(sessionId: string): Promise<{ session: SessionRecord | undefined; wasPaused: boolean }> {
    const record = await this.#deps.store.getSession(sessionId);
    if (!record) return { session: undefined, wasPaused: false };
    this.#timers.clear(sessionId);
    const wasPaused = record.paused !== undefined || this.#deps.queue.isPaused(sessionId);
    const session = record.paused ? await this.#deps.store.updateSession(sessionId, { paused: undefined }) : record;
    this.#deps.queue.resume(sessionId);
    return { session, wasPaused };
  }

  /** Forgets the session's reset time (it is dropped, or no longer this instance's). */
  clear(sessionId: string): void {
    this.#timers.clear(sessionId);
  }

  clearAll(): void {
    this.#timers.clearAll();
  }
}
