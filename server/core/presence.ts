/**
 * Whether the user is looking at the app right now: each WebSocket client
 * says when its page is visible or hidden (a `presence` frame). Pushes to
 * the user's devices are skipped while someone is looking, since the open
 * app already shows what a push would say.
 *
 * A client counts as looking when its last report said visible and came
 * within `PRESENCE_FRESH_MS`. The app repeats the report every half minute
 * while visible, so a phone that vanished without saying "hidden" (its
 * network went as it locked) stops counting within the minute, even before
 * the socket's heartbeat notices it is gone.
 */
import type { Clock } from './ports.js';

/** A visible report counts for this long; the app repeats it well within. */
export const PRESENCE_FRESH_MS = 60_000;

interface Report {
  visible: boolean;
  atMs: number;
}

export class Presence {
  readonly #clock: Clock;
  readonly #freshMs: number;
  /** By client (a connection object): its last report. */
  readonly #reports = new Map<object, Report>();

  constructor(clock: Clock, freshMs = PRESENCE_FRESH_MS) {
    this.#clock = clock;
    this.#freshMs = freshMs;
  }

  report(client: object, visible: boolean): void {
    this.#reports.set(client, { visible, atMs: this.#clock.now().getTime() });
  }

  /** The client disconnected: it no longer counts, whatever it said last. */
  forget(client: object): void {
    this.#reports.delete(client);
  }

  /** Some connected client said it is visible, recently enough. */
  someoneLooking(): boolean {
    const now = this.#clock.now().getTime();
    for (const report of this.#reports.values()) {
      if (report.visible && now - report.atMs <= this.#freshMs) return true;
    }
    return false;
  }
}
