/**
 * Counts failures per key (a client address) in a sliding window. Past `max`
 * failures in the window, the key is blocked until the oldest failure ages
 * out. Memory is bounded: stale keys are swept as new ones arrive.
 */
export interface RateLimiter {
  fail(key: string): void;
  /** Milliseconds until the key may try again; 0 when it may now. */
  blockedFor(key: string): number;
}

const MAX_KEYS = 10_000;

export function createRateLimiter(options: { max: number; windowMs: number; now?: () => number }): RateLimiter {
  const now = options.now ?? Date.now;
  const failures = new Map<string, number[]>();
  const recent = (key: string): number[] => {
    const cutoff = now() - options.windowMs;
    const list = (failures.get(key) ?? []).filter((t) => t > cutoff);
    if (list.length === 0) failures.delete(key);
    else failures.set(key, list);
    return list;
  };
  return {
    fail(key) {
      if (failures.size >= MAX_KEYS) for (const k of [...failures.keys()]) recent(k);
      const list = recent(key);
      list.push(now());
      failures.set(key, list);
    },
    blockedFor(key) {
      const list = recent(key);
      if (list.length < options.max) return 0;
      return Math.max(1, (list[list.length - options.max] as number) + options.windowMs - now());
    },
  };
}
