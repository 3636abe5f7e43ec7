/**
 * In-process fan-out of stored events, and replay-then-live subscriptions.
 *
 * The engine publishes an event only after the store numbered and kept it, so
 * a subscriber that replays from the store and then follows the bus sees every
 * event exactly once: events that arrive while the replay is being read are
 * held back and delivered after it, minus any the replay already covered.
 */
import type { ServerEvent } from '../protocol/events.js';
import type { Store } from './store.js';

export type EventListener = (event: ServerEvent) => void;
export type Unsubscribe = () => void;

const REPLAY_PAGE = 1000;

export interface SubscribeOptions {
  compact?: boolean;
  /** Applied to replayed (stored) events only; live events all pass. */
  replayFilter?: (event: ServerEvent) => boolean;
}

export interface EventBus {
  publish(event: ServerEvent): void;
  /** Every event of every session, live only (session lists, dashboards). */
  onAny(listener: EventListener): Unsubscribe;
  /**
   * Events of one session with `seq > afterSeq`: the stored ones (compact when
   * asked, see Store.readEvents), then live ones.
   */
  subscribe(sessionId: string, afterSeq: number, listener: EventListener, options?: SubscribeOptions): Promise<Unsubscribe>;
}

export function createEventBus(store: Store): EventBus {
  const bySession = new Map<string, Set<EventListener>>();
  const any = new Set<EventListener>();

  const add = (sessionId: string, listener: EventListener): Unsubscribe => {
    let set = bySession.get(sessionId);
    if (!set) bySession.set(sessionId, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && bySession.get(sessionId) === set) bySession.delete(sessionId);
    };
  };

  return {
    publish(event) {
      // A throwing listener must not keep the event from the others.
      for (const listener of [...(bySession.get(event.sessionId) ?? []), ...any]) {
        try {
          listener(event);
        } catch (err) {
          queueMicrotask(() => {
            throw err;
          });
        }
      }
    },
    onAny(listener) {
      any.add(listener);
      return () => any.delete(listener);
    },
    async subscribe(sessionId, afterSeq, listener, options = {}) {
      let last = afterSeq;
      let held: ServerEvent[] | undefined = [];
      let closed = false;
      const deliver = (event: ServerEvent) => {
        if (closed || event.seq <= last) return;
        last = event.seq;
        listener(event);
      };
      const off = add(sessionId, (event) => (held ? held.push(event) : deliver(event)));
      try {
        for (;;) {
          const page = await store.readEvents(sessionId, last, REPLAY_PAGE, { compact: options.compact === true });
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
      const pending = held;
      held = undefined;
      for (const event of pending) deliver(event);
      return () => {
        closed = true;
        off();
      };
    },
  };
}
