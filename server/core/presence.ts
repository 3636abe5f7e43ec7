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
 *
 * Several instances: a client is connected to one of them, and the instance
 * that pushes may be another. Each tells the others, after every report,
 * how much longer someone is looking at it (a PresenceChannel); what they
 * heard counts for that long by their own clock, so the instances' clocks
 * need not agree and a dead instance's word runs out by itself.
 */
import type { Clock } from './ports.js';

/** A visible report counts for this long; the app repeats it well within. */
export const PRESENCE_FRESH_MS = 60_000;

/** How the instances sharing sessions tell each other who is looking (server/cluster/). */
export interface PresenceChannel {
  /** Someone is looking at this instance for `forMs` more (negative: no one); resolves once the others can hear it. */
  publishPresence(forMs: number): Promise<void>;
  /** What another instance said (never this one's own). */
  onPresence(listener: (instanceId: string, forMs: number) => void): void;
}

interface Report {
  visible: boolean;
  atMs: number;
}

export class Presence {
  readonly #clock: Clock;
  readonly #freshMs: number;
  readonly #channel: PresenceChannel | undefined;
  /** By client (a connection object): its last report. */
  readonly #reports = new Map<object, Report>();
  /** By other instance: until when (this clock, ms) someone looks at it. */
  readonly #elsewhere = new Map<string, number>();

  constructor(clock: Clock, freshMs = PRESENCE_FRESH_MS, channel?: PresenceChannel) {
    this.#clock = clock;
    this.#freshMs = freshMs;
    this.#channel = channel;
    channel?.onPresence((instanceId, forMs) => {
      if (forMs >= 0) this.#elsewhere.set(instanceId, this.#now() + forMs);
      else this.#elsewhere.delete(instanceId);
    });
  }

  /** Resolves once the other instances can hear it (at once, alone). */
  report(client: object, visible: boolean): Promise<void> {
    this.#reports.set(client, { visible, atMs: this.#now() });
    return this.#tell();
  }

  /** The client disconnected: it no longer counts, whatever it said last. */
  forget(client: object): void {
    if (this.#reports.delete(client)) void this.#tell();
  }

  /** Some client, of this instance or another, said it is visible, recently enough. */
  someoneLooking(): boolean {
    if (this.#lookingHereFor() >= 0) return true;
    const now = this.#now();
    for (const until of this.#elsewhere.values()) if (until >= now) return true;
    return false;
  }

  /** How much longer the freshest visible report here counts (negative: no one looks). */
  #lookingHereFor(): number {
    const now = this.#now();
    let longest = -1;
    for (const report of this.#reports.values()) {
      if (report.visible) longest = Math.max(longest, report.atMs + this.#freshMs - now);
    }
    return longest;
  }

  /** Not heard elsewhere (Redis away) costs only a push more: never an error. */
  #tell(): Promise<void> {
    if (!this.#channel) return Promise.resolve();
    return this.#channel.publishPresence(this.#lookingHereFor()).catch(() => undefined);
  }

  #now(): number {
    return this.#clock.now().getTime();
  }
}
