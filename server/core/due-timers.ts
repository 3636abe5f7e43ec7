/**
 * Timers for a moment in time, one per key (a paused queue's reset time):
 * setting one replaces the key's previous one. A moment more than a day away
 * waits in steps of a day (setTimeout holds about 24.8 days at most), checking
 * the clock each time.
 */
import type { Clock } from './ports.js';

const MAX_STEP_MS = 24 * 3600 * 1000;

export class DueTimers {
  readonly #clock: Clock;
  readonly #timers = new Map<string, NodeJS.Timeout>();

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** Calls `onDue` at `at` (ISO time; at once when it is past). */
  set(key: string, at: string, onDue: () => void): void {
    this.clear(key);
    const delay = Math.min(Math.max(0, Date.parse(at) - this.#clock.now().getTime()), MAX_STEP_MS);
    const timer = setTimeout(() => {
      this.#timers.delete(key);
      if (Date.parse(at) > this.#clock.now().getTime()) this.set(key, at, onDue);
      else onDue();
    }, delay);
    timer.unref();
    this.#timers.set(key, timer);
  }

  clear(key: string): void {
    clearTimeout(this.#timers.get(key));
    this.#timers.delete(key);
  }

  clearAll(): void {
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }
}
