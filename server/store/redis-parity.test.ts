/**
 * RedisStore against SqliteStore: the same random history (runs enqueued and
 * moving through their states, conditionally or not, events of every kind the compact filter cares
 * about, deltas of runs that are no run of the session, pruning) goes into
 * both, and every read must come back the same, compact or not, at any
 * bounds and limit.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NewEvent } from '../protocol/events.js';
import type { RunRecord, RunState, SessionRecord, Store } from '../core/store.js';
import { startRedisServer, type RedisServer } from '../../test/support/redis-server.js';
import { createRedisStore } from './redis.js';
import { createSqliteStore } from './sqlite.js';
import { makeRun, makeSession } from './store.contract.js';

let server: RedisServer;
beforeAll(async () => {
  server = await startRedisServer();
});
afterAll(async () => {
  await server.close();
});

/** mulberry32: the same history on every run of the test. */
function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class History {
  readonly random = seeded(14);
  readonly sessions: SessionRecord[] = [makeSession({ name: 'a' }), makeSession({ name: 'b' })];
  /** Runs made so far; those not enqueued yet still get events (deltas of "no run" of the session). */
  readonly runs: RunRecord[] = [];
  readonly enqueued = new Set<string>();
  clock = 0;

  pick<T>(list: readonly T[]): T {
    return list[Math.floor(this.random() * list.length)] as T;
  }

  time(): string {
    return new Date(Date.UTC(2026, 0, 1) + ++this.clock * 60_000).toISOString();
  }

  event(sessionId: string): NewEvent {
    const runId = this.pick(this.runs).id;
    switch (this.pick(['delta', 'delta', 'delta', 'usage', 'message', 'tool', 'queue', 'notice'] as const)) {
      case 'delta':
        return { type: 'assistant.delta', sessionId, runId, text: `d${this.clock}` };
      case 'usage':
        return { type: 'usage', sessionId, runId, inputTokens: 1, outputTokens: 2, cacheReadTokens: 0, cacheWriteTokens: 0 };
      case 'message':
        return { type: 'assistant.message', sessionId, runId, text: 'said' };
      case 'tool':
        return { type: 'tool.started', sessionId, runId, toolUseId: 't', name: this.pick(['Bash', 'Read', 'Edit']), summary: '', input: { a: [] } };
      case 'queue':
        return { type: 'queue.changed', sessionId, pending: [] };
      case 'notice':
        return this.random() < 0.5 ? { type: 'notice', sessionId, level: 'info', text: 'n' } : { type: 'notice', sessionId, runId, level: 'warn', text: 'r' };
    }
  }

  /** One random step, applied to every store; what each returns must agree. */
  async step(stores: readonly Store[]): Promise<void> {
    const both = async <T>(call: (store: Store) => Promise<T>) => {
      const [first, ...rest] = await Promise.all(stores.map(call));
      for (const other of rest) expect(other).toEqual(first);
      return first as T;
    };
    const roll = this.random();
    const pending = this.runs.filter((r) => !this.enqueued.has(r.id));
    if (this.runs.length < 3 || roll < 0.12) {
      this.runs.push(makeRun(this.pick(this.sessions).id, { clientRequestId: this.random() < 0.3 ? `c${this.runs.length}` : undefined }));
    } else if (roll < 0.25 && pending.length > 0) {
      const run = this.pick(pending);
      this.enqueued.add(run.id);
      await both((s) => s.enqueueRun(run));
    } else if (roll < 0.4 && this.enqueued.size > 0) {
      const id = this.pick([...this.enqueued]);
      const next = this.pick<RunState>(['running', 'success', 'error', 'interrupted', 'queued']);
      const finishedAt = next === 'running' || next === 'queued' ? undefined : this.time();
      const expected = this.random() < 0.5 ? undefined : this.pick<RunState>(['queued', 'running']);
      if (expected === undefined) await both((s) => s.updateRun(id, { state: next, finishedAt }));
      else await both((s) => s.updateRunIf(id, expected, { state: next, finishedAt, instanceId: 'i' }));
    } else if (roll < 0.43) {
      const before = this.time();
      await both((s) => s.pruneFinishedRuns(before));
    } else {
      const sessionId = this.pick(this.sessions).id;
      const batch = Array.from({ length: 1 + Math.floor(this.random() * 6) }, () => this.event(sessionId));
      const at = this.time();
      await both((s) => s.appendEvents(batch, at));
    }
  }
}

/** Every read of the event log, at many bounds and limits, must agree. */
async function compareReads(history: History, stores: readonly Store[]): Promise<number> {
  let reads = 0;
  const agree = async <T>(call: (store: Store) => Promise<T>) => {
    const [first, ...rest] = await Promise.all(stores.map(call));
    for (const other of rest) expect(other).toEqual(first);
    reads++;
  };
  for (const { id } of history.sessions) {
    const last = await (stores[0] as Store).lastSeq(id);
    for (const after of [0, 5, Math.floor(last / 2), last - 3]) {
      for (const beforeSeq of [undefined, Math.floor(last / 3), last]) {
        for (const limit of [1, 7, 10_000]) {
          for (const compact of [false, true]) await agree((s) => s.readEvents(id, after, limit, { compact, beforeSeq }));
        }
      }
    }
    for (let i = 0; i < 6; i++) {
      const runIds = history.runs.filter(() => history.random() < 0.4).map((r) => r.id);
      await agree((s) => s.readRunEvents(id, runIds));
    }
    await agree((s) => s.toolCallCounts(id));
    await agree((s) => s.listRuns(id));
  }
  for (const state of ['queued', 'running', 'success', 'error', 'interrupted'] as const) await agree((s) => s.runsInState(state));
  return reads;
}

describe('RedisStore and SqliteStore', () => {
  it('read the same events, runs and counts after the same random history', async () => {
    const sqlite = createSqliteStore({ file: ':memory:' });
    const redis = await createRedisStore({ url: server.url, keyPrefix: 'parity:' });
    const stores = [sqlite, redis];
    try {
      const history = new History();
      for (const session of history.sessions) for (const store of stores) await store.createSession(session);
      let reads = 0;
      for (let round = 0; round < 3; round++) {
        for (let i = 0; i < 150; i++) await history.step(stores);
        reads += await compareReads(history, stores);
      }
      // The history did reach what the compact filter and pruning are about.
      const events = await sqlite.readEvents((history.sessions[0] as SessionRecord).id, 0);
      expect(events.filter((e) => e.type === 'assistant.delta').length).toBeGreaterThan(20);
      expect(events.filter((e) => e.type === 'queue.changed').length).toBeGreaterThan(2);
      expect((await sqlite.listRuns((history.sessions[0] as SessionRecord).id)).some((r) => r.pruned)).toBe(true);
      expect(reads).toBeGreaterThan(400);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });
});
