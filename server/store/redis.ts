/**
 * RedisStore: the store for several server instances sharing one Redis. It
 * passes the same contract suite as SqliteStore (store.contract.ts).
 *
 * Why it looks like this (the keys are listed in redis-keys.ts):
 *
 * - A session's events are Redis streams with the seq as the entry id
 *   (`<seq>-0`): XRANGE replays a seq range in O(log n + m), XADD refuses an
 *   id that is not above the last (a second guard on "no repeat"), and
 *   sequential ids pack tightly. A sorted set would do the range too, but
 *   keeps each member in a skiplist and a hash: several times the memory for
 *   the log's bulk, the deltas.
 * - Two streams per session: `log` (what a transcript keeps) and `deltas`
 *   (`assistant.delta` and `usage`, what only a live viewer needs), plus the
 *   first and last seq of each run in each. A compact replay reads the log and
 *   the deltas of live runs only, so a long session's finished runs cost
 *   nothing however much they streamed; pruning a run deletes exactly its
 *   span. A full replay merges both streams.
 * - Whatever must be atomic is one Lua script (redis-*-scripts.ts): numbering
 *   a batch of events with the session's next seqs, storing them and
 *   PUBLISHing each on `<prefix>events:<sessionId>` (in seq order, for the
 *   instances that fan out live events); enqueueing a run once per client
 *   request id; a run's state change (conditional on the state it is in,
 *   for updateRunIf) with its per-state indexes; pruning.
 *   Scripts run one at a time in Redis, so two instances appending to one
 *   session still get 1, 2, 3, ... (redis.test.ts checks it).
 * - Records are hashes of JSON values: a patch is HSET/HDEL of its fields,
 *   no read-modify-write in the client, nothing lost to a concurrent patch.
 * - Logins are keys that expire by themselves, so a store nobody prunes does
 *   not keep them forever.
 * - Push subscriptions are records too, found by endpoint through a hash and
 *   listed by createdAt, ties in the order they were first saved (as SQLite's
 *   rowid orders them).
 *
 * Durability is Redis's: "durable when the promise resolves" holds as far as
 * its persistence goes (appendonly yes; appendfsync always for every write,
 * everysec to lose at most a second). Redis must also keep every key:
 * maxmemory-policy noeviction.
 *
 * Failures: see redis-connection.ts; every call that fails for want of Redis
 * throws AppError('store_unavailable').
 */
import type { Redis } from 'ioredis';
import type { NewEvent, ServerEvent } from '../protocol/events.js';
import type {
  AuthSessionRecord,
  PushSubscriptionRecord,
  RawLine,
  ReadOptions,
  RunPatch,
  RunRecord,
  RunState,
  SessionPatch,
  SessionRecord,
  Store,
} from '../core/store.js';
import { closeRedis, connectRedis, runScript, storeError, type RedisConnectionOptions } from './redis-connection.js';
import { APPEND_EVENTS, PRUNE_RUNS, READ_EVENTS, READ_RUN_EVENTS } from './redis-event-scripts.js';
import { DEFAULT_KEY_PREFIX, eventsChannel, redisKeys, type RedisKeys } from './redis-keys.js';
import type { LuaScript } from './redis-lua.js';
import { DELETE_PUSH, SAVE_PUSH } from './redis-push-scripts.js';
import {
  CREATE_AUTH,
  CREATE_SESSION,
  DELETE_AUTH,
  DELETE_AUTHS,
  DELETE_SESSION,
  ENQUEUE_RUN,
  INIT_META,
  LIST_RECORDS,
  UPDATE_RUN,
  UPDATE_SESSION,
} from './redis-record-scripts.js';
import { authKeyTtlMs, count, events, patchArgs, recordOf, recordsOf, runIdOf } from './redis-replies.js';

export { eventsChannel, DEFAULT_KEY_PREFIX } from './redis-keys.js';

/** Runs per pruning script: each a short one, as Redis serves nobody else while it runs. */
const PRUNE_BATCH = 50;

export interface RedisStoreOptions extends RedisConnectionOptions {
  /** Put before every key and channel, so several deployments can share one Redis (default `cr:`). */
  keyPrefix?: string;
}

/** A Store on Redis, with what the multi-instance layer built on it needs. */
export interface RedisStore extends Store {
  /** The store's connection. Subscribe on a `client.duplicate()`: a subscribing connection serves nothing else. */
  readonly client: Redis;
  readonly keyPrefix: string;
  /** The channel each stored event of the session is published on, as its ServerEvent JSON, in seq order. */
  eventsChannel(sessionId: string): string;
}

/** Connects (within a deadline, or throws store_unavailable) and returns the store. */
export async function createRedisStore(options: RedisStoreOptions): Promise<RedisStore> {
  const client = await connectRedis(options);
  return guarded(new RedisStoreAdapter(client, options.keyPrefix ?? DEFAULT_KEY_PREFIX));
}

class RedisStoreAdapter implements Store {
  readonly client: Redis;
  readonly keyPrefix: string;
  readonly #keys: RedisKeys;
  #closed = false;

  constructor(client: Redis, keyPrefix: string) {
    this.client = client;
    this.keyPrefix = keyPrefix;
    this.#keys = redisKeys(keyPrefix);
  }

  #run(script: LuaScript, ...args: (string | number)[]): Promise<unknown> {
    return runScript(this.client, script, [this.keyPrefix, ...args]);
  }

  async createSession(session: SessionRecord): Promise<void> {
    await this.#run(CREATE_SESSION, session.id, ...patchArgs(session));
  }

  async getSession(id: string): Promise<SessionRecord | undefined> {
    return recordOf<SessionRecord>(await this.client.hgetall(this.#keys.session(id)));
  }

  async listSessions(): Promise<SessionRecord[]> {
    return recordsOf<SessionRecord>(await this.#run(LIST_RECORDS, this.#keys.sessions, 'session'));
  }

  async updateSession(id: string, patch: SessionPatch): Promise<SessionRecord | undefined> {
    return recordOf<SessionRecord>(await this.#run(UPDATE_SESSION, id, ...patchArgs(patch)));
  }

  async deleteSession(id: string): Promise<void> {
    await this.#run(DELETE_SESSION, id);
  }

  async appendEvent(event: NewEvent, at: string): Promise<ServerEvent> {
    return (await this.appendEvents([event], at))[0] as ServerEvent;
  }

  async appendEvents(batch: readonly NewEvent[], at: string): Promise<ServerEvent[]> {
    if (batch.length === 0) return [];
    const args: string[] = [JSON.stringify(at)];
    for (const event of batch) {
      const json = JSON.stringify(event);
      const tool = event.type === 'tool.started' && typeof event.name === 'string' ? event.name : '';
      args.push(event.sessionId, event.type, runIdOf(event) ?? '', json.slice(0, -1), tool);
    }
    const seqs = (await this.#run(APPEND_EVENTS, ...args)) as unknown;
    if (!Array.isArray(seqs) || seqs.length !== batch.length) throw new Error('appendEvents: unexpected reply from Redis');
    return batch.map((event, i) => ({ ...event, seq: Number(seqs[i]), at }) as ServerEvent);
  }

  async readEvents(sessionId: string, afterSeq: number, limit = 10_000, options: ReadOptions = {}): Promise<ServerEvent[]> {
    // Seqs are whole numbers from 1: these bounds select what SQLite's `seq > ? AND seq < ?` does.
    const after = Math.max(0, Math.floor(afterSeq));
    const before = options.beforeSeq === undefined ? undefined : Math.ceil(options.beforeSeq);
    if (limit === 0 || (before !== undefined && before <= after + 1)) return [];
    const max = limit < 0 ? 0 : limit; // a negative LIMIT is no limit in SQLite
    return events(await this.#run(READ_EVENTS, sessionId, after, before ?? '', max, options.compact ? '1' : '0'));
  }

  async readRunEvents(sessionId: string, runIds: readonly string[]): Promise<ServerEvent[]> {
    if (runIds.length === 0) return [];
    return events(await this.#run(READ_RUN_EVENTS, sessionId, ...runIds));
  }

  async lastSeq(sessionId: string): Promise<number> {
    return Number((await this.client.get(this.#keys.seq(sessionId))) ?? 0);
  }

  async enqueueRun(run: RunRecord): Promise<{ run: RunRecord; duplicate: boolean }> {
    const crid = run.clientRequestId;
    const reply = await this.#run(ENQUEUE_RUN, run.id, run.sessionId, crid === undefined ? '0' : '1', crid ?? '', ...patchArgs(run));
    if (!Array.isArray(reply) || reply[0] !== 1) return { run, duplicate: false };
    const first = recordOf<RunRecord>(reply[1]);
    if (!first) throw new Error(`enqueueRun: the run of client request ${crid} is gone`);
    return { run: first, duplicate: true };
  }

  async getRun(id: string): Promise<RunRecord | undefined> {
    return recordOf<RunRecord>(await this.client.hgetall(this.#keys.run(id)));
  }

  async findRunByClientRequestId(sessionId: string, clientRequestId: string): Promise<RunRecord | undefined> {
    const id = await this.client.hget(this.#keys.crids(sessionId), clientRequestId);
    return id === null ? undefined : this.getRun(id);
  }

  async listRuns(sessionId: string, state?: RunState): Promise<RunRecord[]> {
    const index = state === undefined ? this.#keys.runs(sessionId) : this.#keys.runState(state, sessionId);
    return recordsOf<RunRecord>(await this.#run(LIST_RECORDS, index, 'run'));
  }

  async runsInState(state: RunState): Promise<RunRecord[]> {
    return recordsOf<RunRecord>(await this.#run(LIST_RECORDS, this.#keys.inState(state), 'run'));
  }

  async updateRun(id: string, patch: RunPatch): Promise<RunRecord | undefined> {
    return recordOf<RunRecord>(await this.#run(UPDATE_RUN, id, '', ...patchArgs(patch)));
  }

  async updateRunIf(id: string, state: RunState, patch: RunPatch): Promise<RunRecord | undefined> {
    return recordOf<RunRecord>(await this.#run(UPDATE_RUN, id, state, ...patchArgs(patch)));
  }

  async pruneFinishedRuns(finishedBefore: string): Promise<number> {
    const members = await this.client.zrangebylex(this.#keys.prunable, '-', `(${finishedBefore}`);
    let pruned = 0;
    for (let i = 0; i < members.length; i += PRUNE_BATCH) {
      pruned += count(await this.#run(PRUNE_RUNS, ...members.slice(i, i + PRUNE_BATCH)));
    }
    return pruned;
  }

  async toolCallCounts(sessionId: string): Promise<Record<string, number>> {
    const counts = Object.entries(await this.client.hgetall(this.#keys.tools(sessionId))).map(([name, n]) => [name, Number(n)] as const);
    return Object.fromEntries(counts.sort((a, b) => b[1] - a[1]));
  }

  async appendRawLines(runId: string, lines: readonly string[]): Promise<void> {
    if (lines.length === 0) return;
    await this.client.rpush(this.#keys.raw(runId), ...lines);
  }

  async readRawLines(runId: string, afterN = 0): Promise<RawLine[]> {
    const from = Math.max(0, afterN);
    const lines = await this.client.lrange(this.#keys.raw(runId), from, -1);
    return lines.map((line, i) => ({ n: from + i + 1, line }));
  }

  async createAuthSession(session: AuthSessionRecord): Promise<void> {
    const record = { tokenHash: session.tokenHash, createdAt: session.createdAt, expiresAt: session.expiresAt };
    const ttl = authKeyTtlMs(session);
    await this.#run(CREATE_AUTH, session.tokenHash, JSON.stringify(record), session.expiresAt, ttl ?? '');
  }

  async getAuthSession(tokenHash: string): Promise<AuthSessionRecord | undefined> {
    const json = await this.client.get(this.#keys.auth(tokenHash));
    return json === null ? undefined : (JSON.parse(json) as AuthSessionRecord);
  }

  async deleteAuthSession(tokenHash: string): Promise<void> {
    await this.#run(DELETE_AUTH, tokenHash);
  }

  async deleteExpiredAuthSessions(now: string): Promise<number> {
    return count(await this.#run(DELETE_AUTHS, 'expired', now));
  }

  async deleteAllAuthSessions(): Promise<number> {
    return count(await this.#run(DELETE_AUTHS, 'all'));
  }

  async getMeta(key: string): Promise<string | undefined> {
    return (await this.client.hget(this.#keys.meta, key)) ?? undefined;
  }

  async setMeta(key: string, value: string): Promise<void> {
    await this.client.hset(this.#keys.meta, key, value);
  }

  async initMeta(key: string, value: string): Promise<string> {
    const kept = await this.#run(INIT_META, key, value);
    if (typeof kept !== 'string') throw new Error('initMeta: unexpected reply from Redis');
    return kept;
  }

  async savePushSubscription(sub: PushSubscriptionRecord): Promise<PushSubscriptionRecord> {
    const json = JSON.stringify;
    const reply = await this.#run(SAVE_PUSH, sub.id, sub.endpoint, json(sub.id), json(sub.endpoint), json(sub.createdAt), ...patchArgs({ keys: sub.keys, userAgent: sub.userAgent }));
    const kept = recordOf<PushSubscriptionRecord>(reply);
    if (!kept) throw new Error('savePushSubscription: unexpected reply from Redis');
    return kept;
  }

  async listPushSubscriptions(): Promise<PushSubscriptionRecord[]> {
    const inSaveOrder = recordsOf<PushSubscriptionRecord>(await this.#run(LIST_RECORDS, this.#keys.pushes, 'push'));
    // Stable: equal createdAt keep the order of their first save.
    return inSaveOrder.sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0));
  }

  async deletePushSubscription(id: string): Promise<boolean> {
    return count(await this.#run(DELETE_PUSH, id)) === 1;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await closeRedis(this.client);
  }
}

/** The adapter's methods, each turning a lost Redis into store_unavailable (see storeError). */
function guarded(store: RedisStoreAdapter): RedisStore {
  const g =
    <A extends unknown[], R>(name: string, call: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      try {
        return await call(...args);
      } catch (err) {
        throw storeError(err, name);
      }
    };
  return {
    client: store.client,
    keyPrefix: store.keyPrefix,
    eventsChannel: (sessionId) => eventsChannel(store.keyPrefix, sessionId),
    createSession: g('createSession', store.createSession.bind(store)),
    getSession: g('getSession', store.getSession.bind(store)),
    listSessions: g('listSessions', store.listSessions.bind(store)),
    updateSession: g('updateSession', store.updateSession.bind(store)),
    deleteSession: g('deleteSession', store.deleteSession.bind(store)),
    appendEvent: g('appendEvent', store.appendEvent.bind(store)),
    appendEvents: g('appendEvents', store.appendEvents.bind(store)),
    readEvents: g('readEvents', store.readEvents.bind(store)),
    readRunEvents: g('readRunEvents', store.readRunEvents.bind(store)),
    lastSeq: g('lastSeq', store.lastSeq.bind(store)),
    enqueueRun: g('enqueueRun', store.enqueueRun.bind(store)),
    getRun: g('getRun', store.getRun.bind(store)),
    findRunByClientRequestId: g('findRunByClientRequestId', store.findRunByClientRequestId.bind(store)),
    listRuns: g('listRuns', store.listRuns.bind(store)),
    runsInState: g('runsInState', store.runsInState.bind(store)),
    updateRun: g('updateRun', store.updateRun.bind(store)),
    updateRunIf: g('updateRunIf', store.updateRunIf.bind(store)),
    pruneFinishedRuns: g('pruneFinishedRuns', store.pruneFinishedRuns.bind(store)),
    toolCallCounts: g('toolCallCounts', store.toolCallCounts.bind(store)),
    appendRawLines: g('appendRawLines', store.appendRawLines.bind(store)),
    readRawLines: g('readRawLines', store.readRawLines.bind(store)),
    createAuthSession: g('createAuthSession', store.createAuthSession.bind(store)),
    getAuthSession: g('getAuthSession', store.getAuthSession.bind(store)),
    deleteAuthSession: g('deleteAuthSession', store.deleteAuthSession.bind(store)),
    deleteExpiredAuthSessions: g('deleteExpiredAuthSessions', store.deleteExpiredAuthSessions.bind(store)),
    deleteAllAuthSessions: g('deleteAllAuthSessions', store.deleteAllAuthSessions.bind(store)),
    getMeta: g('getMeta', store.getMeta.bind(store)),
    setMeta: g('setMeta', store.setMeta.bind(store)),
    initMeta: g('initMeta', store.initMeta.bind(store)),
    savePushSubscription: g('savePushSubscription', store.savePushSubscription.bind(store)),
    listPushSubscriptions: g('listPushSubscriptions', store.listPushSubscriptions.bind(store)),
    deletePushSubscription: g('deletePushSubscription', store.deletePushSubscription.bind(store)),
    close: g('close', store.close.bind(store)),
  };
}
