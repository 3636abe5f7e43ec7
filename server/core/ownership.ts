/**
 * Which instance runs a session's prompts, when several instances share one
 * Redis store. One instance alone owns everything and this module is a
 * pass-through.
 *
 * - A session's runs execute on the instance holding its lease (see
 *   Coordinator). An instance takes a session only with a free run slot, so
 *   the run limit is per instance and a session with work and no live owner
 *   goes to an instance that can start it now.
 * - Prompts are queued in the store by whichever instance received them; the
 *   `run.queued` event reaches every instance through the shared feed and
 *   the owner (or a taker) reads the store's queue. A periodic sweep catches
 *   what an event could not: work nobody owns (its owner died and the lease
 *   expired, or every instance was full), leases nothing needs any more.
 * - Commands about a run (interrupt, cancel, permission answers, ...) go to
 *   the owner wherever they arrive.
 */
import type { ServerEvent } from '../protocol/events.js';
import { AppError } from './errors.js';
import type { EventLog } from './event-log.js';
import type { Coordinator, LogFn, RemoteCommand } from './ports.js';
import type { SessionRecord, Store } from './store.js';

/** What the dispatcher does for the sessions this instance owns. */
export interface OwnedSide {
  /** How many more runs may start here now. */
  freeSlots(): number;
  /** The session still needs this instance: a run, queued prompts, a warm process. */
  holds(sessionId: string): boolean;
  /** This instance took the session: recover runs a dead owner left, load its pause and allowed tools. */
  adopt(session: SessionRecord): Promise<void>;
  /** Takes the store's queued runs of an owned session into the queue here. */
  sync(sessionId: string): Promise<void>;
  /** The lease went elsewhere: stop the run and forget the queue here. */
  abandon(sessionId: string): Promise<void>;
  /** Does what another instance asked. */
  execute(command: RemoteCommand): Promise<unknown>;
}

export interface OwnershipDeps {
  coordinator: Coordinator;
  store: Store;
  events: EventLog;
  log: LogFn;
  /** How often the sweep looks for ownerless work and unneeded leases. */
  sweepMs: number;
}

export class Ownership {
  readonly #deps: OwnershipDeps;
  readonly #side: OwnedSide;
  readonly #owned = new Set<string>();
  /** Work on each session (taking, syncing), one step after another. */
  readonly #chains = new Map<string, Promise<unknown>>();
  /** Slots promised to sessions being taken, not yet running. */
  #taking = 0;
  #sweepTimer: NodeJS.Timeout | undefined;
  #sweeping = false;
  #closed = false;

  constructor(deps: OwnershipDeps, side: OwnedSide) {
    this.#deps = deps;
    this.#side = side;
  }

  get shared(): boolean {
    return this.#deps.coordinator.shared;
  }

  get instanceId(): string {
    return this.#deps.coordinator.instanceId;
  }

  /** This instance runs the session's prompts (always, alone). */
  owns(sessionId: string): boolean {
    return !this.shared || this.#owned.has(sessionId);
  }

  /** Listens for work and starts the sweep; a no-op alone. */
  start(): void {
    if (!this.shared) return;
    const { coordinator, events, log } = this.#deps;
    coordinator.onCommand((command) => this.#side.execute(command));
    coordinator.onLost((sessionId) => {
      if (!this.#owned.delete(sessionId)) return;
      log('warn', 'lost the lease of a session; another instance may take it', { sessionId });
      this.#serial(sessionId, () => this.#side.abandon(sessionId)).catch(() => undefined);
    });
    events.onAny((event) => this.#onEvent(event));
    this.#sweepTimer = setInterval(() => void this.sweep(), this.#deps.sweepMs);
    this.#sweepTimer.unref();
    void this.sweep();
  }

  /**
   * Runs `here` when the session's runs are this instance's business (it
   * owns the session, or nobody does); otherwise sends `command` to the
   * owner and answers with its answer.
   */
  async route<T>(sessionId: string, command: RemoteCommand, here: () => T | Promise<T>): Promise<T> {
    if (this.owns(sessionId)) return here();
    const owner = await this.#deps.coordinator.ownerOf(sessionId);
    if (owner === undefined || owner === this.instanceId) return here();
    try {
      return (await this.#deps.coordinator.send(owner, command)) as T;
    } catch (err) {
      throw err instanceof AppError ? err : ownerUnavailable(err);
    }
  }

  /**
   * Takes an ownerless session with work (or one to prewarm), when a run
   * slot is free here; `whenTaken` runs as part of taking it. Never rejects.
   */
  take(sessionId: string, whenTaken?: () => void): Promise<boolean> {
    return this.#serial(sessionId, async () => {
      if (this.#owned.has(sessionId)) {
        whenTaken?.();
        return true;
      }
      if (this.#closed || this.#side.freeSlots() - this.#taking <= 0) return false;
      this.#taking += 1;
      try {
        if (!(await this.#deps.coordinator.claim(sessionId))) return false;
        const session = await this.#deps.store.getSession(sessionId);
        if (!session) {
          await this.#deps.coordinator.release(sessionId);
          return false;
        }
        this.#owned.add(sessionId);
        this.#deps.log('info', 'took a session', { sessionId });
        await this.#side.adopt(session);
        await this.#side.sync(sessionId);
        whenTaken?.();
        return true;
      } finally {
        this.#taking -= 1;
      }
    }).catch((err: unknown) => {
      this.#deps.log('error', 'taking a session failed', { sessionId, err });
      return false;
    });
  }

  /** Gives up owned sessions nothing needs any more; takes ownerless work while slots are free. */
  async sweep(): Promise<void> {
    if (this.#sweeping || this.#closed) return;
    this.#sweeping = true;
    try {
      for (const sessionId of [...this.#owned]) {
        if (this.#side.holds(sessionId)) continue;
        await this.#serial(sessionId, async () => {
          if (this.#side.holds(sessionId) || !this.#owned.delete(sessionId)) return;
          await this.#deps.coordinator.release(sessionId);
        });
      }
      if (this.#side.freeSlots() <= 0) return;
      const waiting = new Set((await this.#deps.store.runsInState('queued')).map((run) => run.sessionId));
      for (const sessionId of waiting) {
        if (this.#side.freeSlots() - this.#taking <= 0) break;
        if (this.#owned.has(sessionId)) continue;
        if ((await this.#deps.coordinator.ownerOf(sessionId)) !== undefined) continue;
        await this.take(sessionId);
      }
    } catch (err) {
      this.#deps.log('warn', 'the ownership sweep failed; trying again', { err });
    } finally {
      this.#sweeping = false;
    }
  }

  /** Gives every lease up (shutting down): the queued prompts stay for the other instances. */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#sweepTimer);
    if (!this.shared) return;
    await Promise.allSettled([...this.#owned].map((sessionId) => this.#deps.coordinator.release(sessionId)));
    this.#owned.clear();
  }

  /** A session deleted: nothing to own. */
  forget(sessionId: string): void {
    if (!this.#owned.delete(sessionId)) return;
    this.#deps.coordinator.release(sessionId).catch(() => undefined);
  }

  #onEvent(event: ServerEvent): void {
    if (this.#closed) return;
    const cancelled = event.type === 'run.finished' && event.status === 'cancelled';
    if (event.type !== 'run.queued' && !cancelled) return;
    const sessionId = event.sessionId;
    if (this.#owned.has(sessionId)) {
      this.#serial(sessionId, () => this.#side.sync(sessionId)).catch(() => undefined);
    } else if (event.type === 'run.queued') {
      void (async () => {
        if ((await this.#deps.coordinator.ownerOf(sessionId)) === undefined) await this.take(sessionId);
      })().catch((err: unknown) => this.#deps.log('warn', 'could not look for the owner of a session', { sessionId, err }));
    }
  }

  /** Runs `work` after the session's earlier ownership work. */
  #serial<T>(sessionId: string, work: () => Promise<T>): Promise<T> {
    const prev = this.#chains.get(sessionId) ?? Promise.resolve();
    const next = prev.then(work, work);
    const kept = next.catch((err: unknown) => this.#deps.log('error', 'ownership work failed', { sessionId, err }));
    this.#chains.set(sessionId, kept);
    void kept.then(() => {
      if (this.#chains.get(sessionId) === kept) this.#chains.delete(sessionId);
    });
    return next;
  }
}

/** The answer when the owner of a session cannot be reached. */
function ownerUnavailable(cause: unknown): AppError {
  return new AppError('owner_unavailable', 'The server running this session did not answer. Try again in a few seconds.', { cause });
}
