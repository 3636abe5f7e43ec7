/**
 * The queues: each session's FIFO of prompts waiting to run, and which of
 * them may start now. The store holds the durable copy (a queued run is
 * written before the 202); this is the in-memory order the engine serves,
 * loaded from the store at start.
 *
 * One run at a time per session; at most `limit` over all sessions, served
 * round-robin (scheduler.ts) so one busy session cannot starve the others.
 */
import { randomUUID } from 'node:crypto';
import { ZERO_USAGE } from '../protocol/events.js';
import { createScheduler, type Scheduler } from './scheduler.js';
import type { RunRecord } from './store.js';

/** The record of a prompt just accepted: queued, nothing spent yet. */
export function queuedRun(sessionId: string, prompt: string, clientRequestId: string | undefined, now: Date): RunRecord {
  return {
    id: randomUUID(),
    sessionId,
    prompt,
    clientRequestId,
    state: 'queued',
    enqueuedAt: now.toISOString(),
    costUsd: 0,
    usage: { ...ZERO_USAGE },
    durationMs: 0,
    numTurns: 0,
  };
}

export class RunQueue {
  readonly #pending = new Map<string, string[]>();
  /** Sessions whose queue waits (a billing or usage-limit failure): their prompts stay, none starts. */
  readonly #paused = new Set<string>();
  readonly #scheduler: Scheduler;

  constructor(limit: number) {
    this.#scheduler = createScheduler(limit);
  }

  /** Runs waiting in a session, oldest first. */
  pending(sessionId: string): readonly string[] {
    return this.#pending.get(sessionId) ?? [];
  }

  /** 1 = next to start; 0 = not waiting. */
  position(sessionId: string, runId: string): number {
    return this.pending(sessionId).indexOf(runId) + 1;
  }

  /** Appends a run; returns its position. */
  push(sessionId: string, runId: string): number {
    const list = this.#list(sessionId);
    list.push(runId);
    if (!this.#paused.has(sessionId)) this.#scheduler.markReady(sessionId);
    return list.length;
  }

  /** Sets a session's waiting runs (several instances: the store's list is the truth). */
  replace(sessionId: string, runIds: readonly string[]): void {
    if (runIds.length === 0) {
      this.#pending.delete(sessionId);
      this.#scheduler.forget(sessionId);
      return;
    }
    this.#pending.set(sessionId, [...runIds]);
    if (!this.#paused.has(sessionId)) this.#scheduler.markReady(sessionId);
  }

  /** Takes a waiting run out (cancelled); false when it was not waiting. */
  remove(sessionId: string, runId: string): boolean {
    const list = this.#list(sessionId);
    const index = list.indexOf(runId);
    if (index < 0) return false;
    list.splice(index, 1);
    if (list.length === 0) this.#scheduler.forget(sessionId);
    return true;
  }

  /** Forgets a session (deleted); returns the runs that were waiting. */
  drop(sessionId: string): string[] {
    const list = this.#pending.get(sessionId) ?? [];
    this.#pending.delete(sessionId);
    this.#paused.delete(sessionId);
    this.#scheduler.forget(sessionId);
    return list;
  }

  /** The runs to start now, each marked running for its session. */
  take(): Array<{ sessionId: string; runId: string }> {
    const out: Array<{ sessionId: string; runId: string }> = [];
    for (const sessionId of this.#scheduler.takeStartable()) {
      const runId = this.#list(sessionId).shift();
      if (runId === undefined) {
        this.#scheduler.finished(sessionId, false);
        continue;
      }
      out.push({ sessionId, runId });
    }
    return out;
  }

  /** The session's run ended: its next prompt, if any, waits for its turn again (unless the queue is paused). */
  finished(sessionId: string): void {
    this.#scheduler.finished(sessionId, this.pending(sessionId).length > 0 && !this.#paused.has(sessionId));
  }

  /** No prompt of the session starts until `resume` (the one running, if any, goes on). */
  pause(sessionId: string): void {
    this.#paused.add(sessionId);
    this.#scheduler.forget(sessionId);
  }

  resume(sessionId: string): void {
    if (!this.#paused.delete(sessionId)) return;
    if (this.pending(sessionId).length > 0) this.#scheduler.markReady(sessionId);
  }

  isPaused(sessionId: string): boolean {
    return this.#paused.has(sessionId);
  }

  get runningCount(): number {
    return this.#scheduler.runningCount;
  }

  /** Runs waiting, over all sessions. */
  get queuedCount(): number {
    let n = 0;
    for (const list of this.#pending.values()) n += list.length;
    return n;
  }

  #list(sessionId: string): string[] {
    let list = this.#pending.get(sessionId);
    if (!list) this.#pending.set(sessionId, (list = []));
    return list;
  }
}
