/**
 * Our limits on one run: RUN_TIMEOUT_S (the whole run), RUN_IDLE_TIMEOUT_S
 * (the CLI printed nothing for that long) and MAX_OUTPUT_BYTES. The first one
 * hit is the run's limit; the run stops it like an interrupt (then the stop
 * ladder), or at once for a flood of output.
 */
import type { LimitHit } from './cli/outcome.js';

export interface RunLimitsConfig {
  runTimeoutMs?: number | undefined;
  idleTimeoutMs?: number | undefined;
  maxOutputBytes?: number | undefined;
}

export class RunLimits {
  readonly #config: RunLimitsConfig;
  /** The run is to stop: gently (an interrupt) or `now`. */
  readonly #onHit: (limit: LimitHit, now: boolean) => void;
  #hit: LimitHit | undefined;
  #outputBytes = 0;
  #runTimer: NodeJS.Timeout | undefined;
  #idleTimer: NodeJS.Timeout | undefined;

  constructor(config: RunLimitsConfig, onHit: (limit: LimitHit, now: boolean) => void) {
    this.#config = config;
    this.#onHit = onHit;
  }

  /** The limit that ended the run, if one did. */
  get hit(): LimitHit | undefined {
    return this.#hit;
  }

  /** The run started: its clock runs. */
  start(): void {
    const ms = this.#config.runTimeoutMs ?? 0;
    if (ms <= 0) return;
    this.#runTimer = setTimeout(() => {
      this.#reach({ kind: 'timeout', message: `The run took longer than ${formatDuration(ms)} (RUN_TIMEOUT_S) and was stopped.` });
    }, ms);
    this.#runTimer.unref();
  }

  /** The CLI was given work, or printed: the quiet time starts again. */
  heard(): void {
    const ms = this.#config.idleTimeoutMs ?? 0;
    if (ms <= 0) return;
    clearTimeout(this.#idleTimer);
    this.#idleTimer = setTimeout(() => {
      this.#reach({ kind: 'idle_timeout', message: `The CLI printed nothing for ${formatDuration(ms)} (RUN_IDLE_TIMEOUT_S), so the run was stopped.` });
    }, ms);
    this.#idleTimer.unref();
  }

  /** Counts a line of output; true once past MAX_OUTPUT_BYTES (the line and what follows are not kept). */
  overOutput(line: string): boolean {
    const max = this.#config.maxOutputBytes ?? 0;
    if (max <= 0) return false;
    if (this.#hit?.kind === 'output') return true;
    this.#outputBytes += Buffer.byteLength(line) + 1;
    if (this.#outputBytes <= max) return false;
    const mb = (max / 2 ** 20).toFixed(1);
    this.#reach({ kind: 'output', message: `The run printed more than ${mb} MB (MAX_OUTPUT_BYTES) and was stopped. What it printed until then is kept.` }, true);
    return true;
  }

  /** The turn ended: no timer fires any more. */
  clear(): void {
    clearTimeout(this.#runTimer);
    clearTimeout(this.#idleTimer);
  }

  #reach(limit: LimitHit, now = false): void {
    if (this.#hit) return;
    this.#hit = limit;
    this.#onHit(limit, now);
  }
}

function formatDuration(ms: number): string {
  return ms >= 60_000 && ms % 60_000 === 0 ? `${ms / 60_000} min` : `${Math.round(ms / 100) / 10} s`;
}
