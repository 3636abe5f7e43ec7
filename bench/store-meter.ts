/**
 * Time spent inside SQLite by servers running in this process.
 *
 * better-sqlite3 is synchronous: every statement (transactions' BEGIN and
 * COMMIT included, which it runs as statements too) blocks the event loop
 * for exactly the wall time it takes. Wrapping the Statement prototype's
 * methods therefore measures what the store costs a run, without touching
 * the store. Measurement only: the wrapped methods behave as before.
 */
import Database from 'better-sqlite3';
import { performance } from 'node:perf_hooks';

type Method = (this: unknown, ...args: unknown[]) => unknown;

export interface StoreMeter {
  reset(): void;
  read(): { calls: number; ms: number };
}

let totals = { calls: 0, ms: 0 };
let installed = false;

export function meterSqlite(): StoreMeter {
  if (!installed) {
    installed = true;
    const probe = new Database(':memory:');
    const proto = Object.getPrototypeOf(probe.prepare('SELECT 1')) as Record<string, Method>;
    probe.close();
    for (const name of ['run', 'get', 'all', 'iterate']) {
      const original = proto[name];
      if (typeof original !== 'function') continue;
      proto[name] = function metered(this: unknown, ...args: unknown[]): unknown {
        const t0 = performance.now();
        try {
          return original.apply(this, args);
        } finally {
          totals.calls += 1;
          totals.ms += performance.now() - t0;
        }
      };
    }
  }
  return {
    reset: () => {
      totals = { calls: 0, ms: 0 };
    },
    read: () => ({ ...totals }),
  };
}
