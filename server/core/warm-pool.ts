/**
 * Warm sessions: the CLI process of a session outlives its run and answers
 * the session's next prompt (tens of milliseconds instead of a start-up and a
 * `--resume` that reloads the conversation).
 *
 * - A session has at most one process here; a run takes it when its
 *   conversation and fingerprint (options, folder) still match, else a fresh
 *   one replaces it.
 * - An idle process ends after `idleMs`. Caps, by count and by the resident
 *   memory of the process trees: over either, idle processes end, least
 *   recently used first. Busy ones are never ended for a cap: the run limit
 *   (MAX_CONCURRENT_RUNS) bounds them, so the caps bound the idle rest.
 * - `maxCount` 0 turns warm processes off: every run starts its own process
 *   and closes its stdin at the result, as before.
 * - Prewarm starts a session's process ahead of its first prompt.
 */
import type { LogFn } from './event-log.js';
import { ClaudeProcess, type SpawnRequest } from './claude-process.js';
import type { Clock, CliRunner } from './ports.js';

export interface WarmConfig {
  idleMs: number;
  maxCount: number;
  maxBytes: number;
  prewarm: boolean;
  /** How long an ending process gets before the stop ladder. */
  killGraceMs: number;
}

export interface PoolStats {
  count: number;
  idle: number;
  busy: number;
  rssBytes: number;
}

/** How often every live process is measured: for the memory cap, and so its CPU rate never spans much longer. */
const MEASURE_MS = 15_000;

export class WarmPool {
  readonly #runner: CliRunner;
  readonly #clock: Clock;
  readonly #log: LogFn;
  readonly #config: WarmConfig;
  /** The process each session's next run may take. */
  readonly #bySession = new Map<string, ClaudeProcess>();
  /** Every process alive, ending ones included. */
  readonly #live = new Set<ClaudeProcess>();
  readonly #idleTimers = new Map<ClaudeProcess, NodeJS.Timeout>();
  readonly #memoryTimer: NodeJS.Timeout;
  #closed = false;

  constructor(runner: CliRunner, clock: Clock, log: LogFn, config: WarmConfig) {
    this.#runner = runner;
    this.#clock = clock;
    this.#log = log;
    this.#config = config;
    this.#memoryTimer = setInterval(() => void this.#measure(), MEASURE_MS);
    this.#memoryTimer.unref();
  }

  get enabled(): boolean {
    return this.#config.maxCount > 0;
  }

  /** A process for a turn: the session's warm one when it fits, else a new one. */
  acquire(request: SpawnRequest): { process: ClaudeProcess; reused: boolean } {
    const warm = this.#bySession.get(request.sessionId);
    if (warm && this.#fits(warm, request)) {
      this.#clearIdle(warm);
      return { process: warm, reused: true };
    }
    if (warm) this.#retire(warm);
    return { process: this.#spawn(request), reused: false };
  }

  /** The turn is over; `keep`: the process may serve the session's next turn. */
  release(process: ClaudeProcess, keep: boolean): void {
    if (!keep || !this.enabled || this.#closed || process.retiring || process.state !== 'idle') {
      this.#retire(process);
      return;
    }
    const timer = setTimeout(() => {
      this.#log('info', `warm process idle for ${Math.round(this.#config.idleMs / 1000)} s: ending it`, { sessionId: process.identity.sessionId, pid: process.pid });
      this.#retire(process);
    }, this.#config.idleMs);
    timer.unref();
    this.#idleTimers.set(process, timer);
    this.#enforceCount();
    void this.#enforceMemory();
  }

  /** Starts a session's process ahead of its first prompt (when enabled and there is room). */
  /** New sessions get their process ahead of their first prompt (WARM_PREWARM, with warm processes on). */
  get prewarms(): boolean {
    return this.enabled && this.#config.prewarm && !this.#closed;
  }

  prewarm(request: SpawnRequest): void {
    if (!this.prewarms) return;
    const existing = this.#bySession.get(request.sessionId);
    if (existing && this.#fits(existing, request)) return;
    if (existing) this.#retire(existing);
    const process = this.#spawn(request);
    this.release(process, true);
  }

  /**
   * The session's process no longer fits (options changed, conversation
   * cleared): an idle one ends now; a busy one finishes its turn and then
   * ends instead of staying warm. A deleted session's run is stopped by its
   * Run first, so its process is idle or gone by then.
   */
  async discard(sessionId: string): Promise<void> {
    const process = this.#bySession.get(sessionId);
    if (!process) return;
    if (process.state === 'busy') {
      process.retiring = true;
      this.#bySession.delete(sessionId);
      return;
    }
    await this.#retire(process);
  }

  /** The session's process, if it has one. */
  processOf(sessionId: string): ClaudeProcess | undefined {
    return this.#bySession.get(sessionId);
  }

  list(): ClaudeProcess[] {
    return [...this.#live].filter((p) => p.state !== 'exited');
  }

  async stats(): Promise<PoolStats> {
    const live = this.list();
    const sizes = await Promise.all(live.map((p) => p.stats(this.#clock)));
    return {
      count: live.length,
      idle: live.filter((p) => p.state === 'idle').length,
      busy: live.filter((p) => p.state === 'busy').length,
      rssBytes: sizes.reduce((sum, s) => sum + (s?.rssBytes ?? 0), 0),
    };
  }

  /** Ends every process; resolves once all have exited. */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#memoryTimer);
    await Promise.all([...this.#live].map((p) => this.#retire(p)));
  }

  #fits(process: ClaudeProcess, request: SpawnRequest): boolean {
    return (
      process.state === 'idle' &&
      !process.retiring &&
      process.identity.claudeSessionId === request.claudeSessionId &&
      process.identity.fingerprint === request.fingerprint
    );
  }

  #spawn(request: SpawnRequest): ClaudeProcess {
    const process = new ClaudeProcess(this.#runner, request, this.#clock.now());
    this.#live.add(process);
    this.#bySession.set(request.sessionId, process);
    process.onExit(() => {
      this.#clearIdle(process);
      this.#live.delete(process);
      if (this.#bySession.get(request.sessionId) === process) this.#bySession.delete(request.sessionId);
    });
    return process;
  }

  /**
   * Ends a process: an idle one by closing its stdin (the CLI exits cleanly),
   * a busy one (or one that does not exit in time) through the stop ladder.
   */
  #retire(process: ClaudeProcess): Promise<void> {
    this.#clearIdle(process);
    if (this.#bySession.get(process.identity.sessionId) === process) this.#bySession.delete(process.identity.sessionId);
    if (process.state === 'exited') return Promise.resolve();
    if (process.state === 'busy') return process.stop();
    process.endInput();
    return process.waitExit(this.#config.killGraceMs).then((exited) => (exited ? undefined : process.stop()));
  }

  #clearIdle(process: ClaudeProcess): void {
    const timer = this.#idleTimers.get(process);
    if (timer) clearTimeout(timer);
    this.#idleTimers.delete(process);
  }

  /** Idle processes, least recently used first. */
  #idleByAge(): ClaudeProcess[] {
    return [...this.#bySession.values()]
      .filter((p) => p.state === 'idle' && !p.retiring)
      .sort((a, b) => (a.idleSince?.getTime() ?? 0) - (b.idleSince?.getTime() ?? 0));
  }

  #enforceCount(): void {
    const kept = () => [...this.#live].filter((p) => !p.retiring && p.state !== 'exited').length;
    for (const process of this.#idleByAge()) {
      if (kept() <= this.#config.maxCount) return;
      this.#log('info', `more than ${this.#config.maxCount} warm processes (WARM_MAX): ending the least recently used`);
      void this.#retire(process);
    }
  }

  async #measure(): Promise<void> {
    if (this.#config.maxBytes > 0) return this.#enforceMemory();
    await this.stats().catch(() => undefined);
  }

  async #enforceMemory(): Promise<void> {
    if (this.#config.maxBytes <= 0 || this.#live.size === 0) return;
    try {
      let { rssBytes } = await this.stats();
      for (const process of this.#idleByAge()) {
        if (rssBytes <= this.#config.maxBytes) return;
        const size = (await process.stats(this.#clock))?.rssBytes ?? 0;
        this.#log('info', `warm processes use ${Math.round(rssBytes / 2 ** 20)} MiB (WARM_MAX_MB ${Math.round(this.#config.maxBytes / 2 ** 20)}): ending the least recently used`);
        void this.#retire(process);
        rssBytes -= size;
      }
    } catch (err) {
      this.#log('warn', 'could not measure the warm processes', { err });
    }
  }
}
