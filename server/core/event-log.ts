/**
 * The event log: every event of a session is stored (which numbers it with
 * the next `seq`), then published, in the order it was emitted. Subscribers
 * replay from the store and then follow live, each event exactly once.
 *
 * Order: writes of one session run one after another on that session's
 * chain, so `seq` order is emission order. Events emitted while a write is in
 * flight go into the next write together (group commit): a CLI streaming
 * thousands of deltas costs a few transactions, not thousands.
 *
 * Exactly once: an event is published only after the store numbered it, and
 * a subscriber registers for live events before it reads the store, holding
 * what arrives meanwhile and dropping what the replay already covered.
 *
 * Several instances (a SharedFeed): an instance publishes nothing itself;
 * every event, its own included, comes back through the feed in `seq` order
 * and is published from there, so clients of any instance see one order.
 * Pub/sub loses what is sent while a connection is down: a gap in a
 * session's `seq` is filled from the store before the event after it, and
 * after a reconnect every session heard of is read up to date.
 *
 * Failures: `append` rejects when the store fails (its caller decides);
 * `record` is for events nobody waits on: a failure is logged here, never
 * left as an unhandled rejection.
 */
import type { NewEvent, ServerEvent } from '../protocol/events.js';
import type { Clock, SharedFeed } from './ports.js';
import type { Store } from './store.js';

export type EventListener = (event: ServerEvent) => void;
export type Unsubscribe = () => void;
export type { LogFn } from './ports.js';
import type { LogFn } from './ports.js';

const REPLAY_PAGE = 1000;

export interface SubscribeOptions {
  compact?: boolean;
  /** Applied to replayed (stored) events only; live events all pass. */
  replayFilter?: (event: ServerEvent) => boolean;
}

interface Pending {
  event: NewEvent;
  resolve: (event: ServerEvent) => void;
  reject: (err: unknown) => void;
}

export class EventLog {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #log: LogFn;
  readonly #chains = new Map<string, Promise<unknown>>();
  readonly #batches = new Map<string, Pending[]>();
  readonly #bySession = new Map<string, Set<EventListener>>();
  readonly #any = new Set<EventListener>();
  readonly #shared: boolean;
  /** Shared: the last `seq` published of each session heard of. */
  readonly #published = new Map<string, number>();
  /** Shared: publishing of each session, one event (or gap fill) after another. */
  readonly #feedChains = new Map<string, Promise<void>>();

  constructor(store: Store, clock: Clock, log: LogFn, feed?: SharedFeed) {
    this.#store = store;
    this.#clock = clock;
    this.#log = log;
    this.#shared = feed !== undefined;
    feed?.onEvent((event) => this.#fromFeed(event.sessionId, event));
    feed?.onReconnect(() => {
      for (const sessionId of new Set([...this.#published.keys(), ...this.#bySession.keys()])) this.#fromFeed(sessionId, undefined);
    });
  }

  /** Stores the event, then publishes it; resolves with it numbered. Rejects when the store fails. */
  append(event: NewEvent): Promise<ServerEvent> {
    return new Promise((resolve, reject) => {
      const sessionId = event.sessionId;
      let batch = this.#batches.get(sessionId);
      if (!batch) {
        batch = [];
        this.#batches.set(sessionId, batch);
        this.serial(sessionId, () => this.#flush(sessionId)).catch(() => undefined);
      }
      batch.push({ event, resolve, reject });
    });
  }

  /** `append` for events nobody waits on: a failure is logged, not thrown. */
  record(event: NewEvent): void {
    this.append(event).catch((err: unknown) => this.#log('error', `could not log a ${event.type} event`, { ...about(event), err }));
  }

  /**
   * Runs `work` on the session's chain, after every write queued before it
   * (raw CLI lines use it so that their replay and live delivery agree).
   */
  serial<T>(sessionId: string, work: () => Promise<T>): Promise<T> {
    const prev = this.#chains.get(sessionId) ?? Promise.resolve();
    const next = prev.then(work, work);
    // Keep the chain alive past failures; callers see their own error.
    this.#chains.set(
      sessionId,
      next.catch(() => undefined),
    );
    return next;
  }

  /** Resolves once every write queued so far has finished. */
  async settle(): Promise<void> {
    await Promise.allSettled([...this.#chains.values()]);
  }

  /** Drops a deleted session's chain (after its last write). */
  forget(sessionId: string): void {
    this.#chains.delete(sessionId);
    this.#published.delete(sessionId);
  }

  /** Every event of every session, live only (session lists, dashboards). */
  onAny(listener: EventListener): Unsubscribe {
    this.#any.add(listener);
    return () => this.#any.delete(listener);
  }

  /**
   * Events of one session with `seq > afterSeq`: the stored ones (compact
   * when asked, see Store.readEvents), then live ones.
   */
  async subscribe(sessionId: string, afterSeq: number, listener: EventListener, options: SubscribeOptions = {}): Promise<Unsubscribe> {
    let last = afterSeq;
    let held: ServerEvent[] | undefined = [];
    let closed = false;
    const deliver = (event: ServerEvent) => {
      if (closed || event.seq <= last) return;
      last = event.seq;
      listener(event);
    };
    const off = this.#listen(sessionId, (event) => (held ? held.push(event) : deliver(event)));
    try {
      for (;;) {
        const page = await this.#store.readEvents(sessionId, last, REPLAY_PAGE, { compact: options.compact === true });
        for (const event of page) {
          if (!options.replayFilter || options.replayFilter(event)) deliver(event);
          else last = Math.max(last, event.seq);
        }
        if (page.length < REPLAY_PAGE || closed) break;
      }
    } catch (err) {
      off();
      throw err;
    }
    // Shared: where this session's feed takes over, if nothing was heard of it yet.
    if (this.#shared && !this.#published.has(sessionId)) this.#published.set(sessionId, last);
    const pending = held;
    held = undefined;
    for (const event of pending) deliver(event);
    return () => {
      closed = true;
      off();
    };
  }

  async #flush(sessionId: string): Promise<void> {
    const batch = this.#batches.get(sessionId) ?? [];
    this.#batches.delete(sessionId);
    let stored: ServerEvent[];
    try {
      stored = await this.#store.appendEvents(
        batch.map((b) => b.event),
        this.#clock.now().toISOString(),
      );
    } catch (err) {
      for (const b of batch) b.reject(err);
      throw err;
    }
    batch.forEach((b, i) => {
      const event = stored[i] as ServerEvent;
      if (!this.#shared) this.#publish(event);
      b.resolve(event);
    });
  }

  /**
   * Publishes an event that came through the feed, after what is missing
   * before it (read from the store); `undefined` reads the session up to date.
   */
  #fromFeed(sessionId: string, event: ServerEvent | undefined): void {
    const prev = this.#feedChains.get(sessionId) ?? Promise.resolve();
    const next = prev.then(async () => {
      let last = this.#published.get(sessionId);
      if (event && last === undefined) last = event.seq - 1;
      if (last === undefined) last = await this.#store.lastSeq(sessionId);
      const upTo = event ? event.seq - 1 : Number.MAX_SAFE_INTEGER;
      while (last < upTo) {
        const page = await this.#store.readEvents(sessionId, last, Math.min(REPLAY_PAGE, upTo - last));
        for (const missing of page) {
          if (missing.seq > upTo) break;
          this.#publish(missing);
          last = missing.seq;
        }
        if (page.length < REPLAY_PAGE) break;
      }
      if (event && event.seq > last) {
        this.#publish(event);
        last = event.seq;
      }
      this.#published.set(sessionId, last);
    });
    const kept = next.catch((err: unknown) => this.#log('error', 'could not catch up with the shared event feed', { sessionId, err }));
    this.#feedChains.set(sessionId, kept);
    void kept.then(() => {
      if (this.#feedChains.get(sessionId) === kept) this.#feedChains.delete(sessionId);
    });
  }

  #publish(event: ServerEvent): void {
    // A throwing listener must not keep the event from the others.
    for (const listener of [...(this.#bySession.get(event.sessionId) ?? []), ...this.#any]) {
      try {
        listener(event);
      } catch (err) {
        this.#log('error', `an event listener failed on ${event.type}`, { ...about(event), err });
      }
    }
  }

  #listen(sessionId: string, listener: EventListener): Unsubscribe {
    let set = this.#bySession.get(sessionId);
    if (!set) this.#bySession.set(sessionId, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.#bySession.get(sessionId) === set) this.#bySession.delete(sessionId);
    };
  }
}

/** The session and run an event is about, for a log line. */
function about(event: NewEvent): { sessionId: string; runId?: string | undefined } {
  return { sessionId: event.sessionId, runId: 'runId' in event ? event.runId : undefined };
}
