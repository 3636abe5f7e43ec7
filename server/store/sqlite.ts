/**
 * SqliteStore: the embedded default store, one WAL-mode file under DATA_DIR.
 *
 * better-sqlite3 is synchronous; each method runs its statements inside one
 * transaction and resolves afterwards, so two calls never interleave and the
 * order of resolution is the order of calls (the engine relies on that only
 * through the `Store` contract, which it also states).
 */
import Database from 'better-sqlite3';
import type { Database as Db, Statement } from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { NewEvent, ServerEvent } from '../protocol/events.js';
import { migrate } from './sqlite-schema.js';
import type {
  AuthSessionRecord,
  PushSubscriptionRecord,
  ReadOptions,
  RawLine,
  RunPatch,
  RunRecord,
  RunState,
  SessionPatch,
  SessionRecord,
  Store,
} from '../core/store.js';

export interface SqliteStoreOptions {
  /** File path, or ':memory:'. */
  file: string;
}

export function createSqliteStore(options: SqliteStoreOptions): Store {
  if (options.file !== ':memory:') mkdirSync(dirname(options.file), { recursive: true });
  const db = new Database(options.file);
  db.pragma('journal_mode = WAL');
  // NORMAL in WAL mode is durable across a process crash (kill -9), which is
  // what "a queued prompt survives a server kill" needs; only an OS crash may
  // lose the last transactions.
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrate(db);
  return new SqliteStore(db);
}

interface RunRow {
  data: string;
}

interface PushRow {
  id: string;
  endpoint: string;
  p256dh: string;
  auth: string;
  created_at: string;
  user_agent: string | null;
}

function pushRecord(row: PushRow): PushSubscriptionRecord {
  return {
    id: row.id,
    endpoint: row.endpoint,
    keys: { p256dh: row.p256dh, auth: row.auth },
    createdAt: row.created_at,
    ...(row.user_agent !== null ? { userAgent: row.user_agent } : {}),
  };
}

class SqliteStore implements Store {
  readonly #db: Db;
  readonly #stmts: ReturnType<typeof prepare>;
  #closed = false;

  constructor(db: Db) {
    this.#db = db;
    this.#stmts = prepare(db);
  }

  async createSession(session: SessionRecord): Promise<void> {
    this.#stmts.insertSession.run(session.id, JSON.stringify(session), session.createdAt);
  }

  async getSession(id: string): Promise<SessionRecord | undefined> {
    const row = this.#stmts.getSession.get(id) as { data: string } | undefined;
    return row ? (JSON.parse(row.data) as SessionRecord) : undefined;
  }

  async listSessions(): Promise<SessionRecord[]> {
    const rows = this.#stmts.listSessions.all() as { data: string }[];
    return rows.map((r) => JSON.parse(r.data) as SessionRecord);
  }

  async updateSession(id: string, patch: SessionPatch): Promise<SessionRecord | undefined> {
    return this.#db.transaction(() => {
      const row = this.#stmts.getSession.get(id) as { data: string } | undefined;
      if (!row) return undefined;
      const next: SessionRecord = { ...(JSON.parse(row.data) as SessionRecord), ...patch };
      this.#stmts.updateSession.run(JSON.stringify(next), id);
      return next;
    })();
  }

  async deleteSession(id: string): Promise<void> {
    this.#db.transaction(() => {
      this.#stmts.deleteRawOfSession.run(id);
      this.#stmts.deleteRunsOfSession.run(id);
      this.#stmts.deleteEvents.run(id);
      this.#stmts.deleteSeq.run(id);
      this.#stmts.deleteSession.run(id);
    })();
  }

  async appendEvent(event: NewEvent, at: string): Promise<ServerEvent> {
    return (await this.appendEvents([event], at))[0] as ServerEvent;
  }

  async appendEvents(events: readonly NewEvent[], at: string): Promise<ServerEvent[]> {
    return this.#db.transaction(() =>
      events.map((event) => {
        const bumped = this.#stmts.bumpSeq.get(event.sessionId) as { last_seq: number } | undefined;
        let seq = bumped?.last_seq;
        if (seq === undefined) {
          seq = 1;
          this.#stmts.insertSeq.run(event.sessionId, seq);
        }
        const stored = { ...event, seq, at } as ServerEvent;
        const runId = 'runId' in event && typeof event.runId === 'string' ? event.runId : null;
        this.#stmts.insertEvent.run(event.sessionId, seq, event.type, runId, JSON.stringify(stored));
        return stored;
      }),
    )();
  }

  async readEvents(sessionId: string, afterSeq: number, limit = 10_000, options: ReadOptions = {}): Promise<ServerEvent[]> {
    const before = options.beforeSeq ?? Number.MAX_SAFE_INTEGER;
    const rows = (
      options.compact
        ? this.#stmts.readEventsCompact.all({ sid: sessionId, after: afterSeq, before, limit })
        : this.#stmts.readEvents.all(sessionId, afterSeq, before, limit)
    ) as { data: string }[];
    return rows.map((r) => JSON.parse(r.data) as ServerEvent);
  }

  async readRunEvents(sessionId: string, runIds: readonly string[]): Promise<ServerEvent[]> {
    if (runIds.length === 0) return [];
    const rows = this.#stmts.readRunEventsCompact.all({ sid: sessionId, runs: JSON.stringify(runIds) }) as { data: string }[];
    return rows.map((r) => JSON.parse(r.data) as ServerEvent);
  }

  async lastSeq(sessionId: string): Promise<number> {
    const row = this.#stmts.getSeq.get(sessionId) as { last_seq: number } | undefined;
    return row?.last_seq ?? 0;
  }

  async enqueueRun(run: RunRecord): Promise<{ run: RunRecord; duplicate: boolean }> {
    return this.#db.transaction(() => {
      if (run.clientRequestId !== undefined) {
        const existing = this.#stmts.getRunByCrid.get(run.sessionId, run.clientRequestId) as RunRow | undefined;
        if (existing) return { run: JSON.parse(existing.data) as RunRecord, duplicate: true };
      }
      this.#stmts.insertRun.run(run.id, run.sessionId, run.clientRequestId ?? null, run.state, JSON.stringify(run));
      return { run, duplicate: false };
    })();
  }

  async getRun(id: string): Promise<RunRecord | undefined> {
    const row = this.#stmts.getRun.get(id) as RunRow | undefined;
    return row ? (JSON.parse(row.data) as RunRecord) : undefined;
  }

  async findRunByClientRequestId(sessionId: string, clientRequestId: string): Promise<RunRecord | undefined> {
    const row = this.#stmts.getRunByCrid.get(sessionId, clientRequestId) as RunRow | undefined;
    return row ? (JSON.parse(row.data) as RunRecord) : undefined;
  }

  async listRuns(sessionId: string, state?: RunState): Promise<RunRecord[]> {
    const rows = (
      state === undefined
        ? this.#stmts.listRuns.all(sessionId)
        : this.#stmts.listRunsInState.all(sessionId, state)
    ) as RunRow[];
    return rows.map((r) => JSON.parse(r.data) as RunRecord);
  }

  async runsInState(state: RunState): Promise<RunRecord[]> {
    const rows = this.#stmts.runsInState.all(state) as RunRow[];
    return rows.map((r) => JSON.parse(r.data) as RunRecord);
  }

  async updateRun(id: string, patch: RunPatch): Promise<RunRecord | undefined> {
    return this.#db.transaction(() => {
      const row = this.#stmts.getRun.get(id) as RunRow | undefined;
      if (!row) return undefined;
      const next: RunRecord = { ...(JSON.parse(row.data) as RunRecord), ...patch };
      this.#stmts.updateRun.run(next.state, JSON.stringify(next), id);
      return next;
    })();
  }

  async pruneFinishedRuns(finishedBefore: string): Promise<number> {
    const rows = this.#stmts.runsToPrune.all(finishedBefore) as Array<{ id: string; session_id: string; data: string }>;
    // In batches: each a short transaction, so a large first pruning never holds the database long.
    for (let i = 0; i < rows.length; i += 200) {
      this.#db.transaction(() => {
        for (const row of rows.slice(i, i + 200)) {
          this.#stmts.deleteRunDeltas.run(row.session_id, row.id);
          this.#stmts.deleteRawOfRun.run(row.id);
          this.#stmts.updateRun.run(JSON.parse(row.data).state, JSON.stringify({ ...JSON.parse(row.data), pruned: true }), row.id);
        }
      })();
    }
    return rows.length;
  }

  async toolCallCounts(sessionId: string): Promise<Record<string, number>> {
    const rows = this.#stmts.toolCallCounts.all(sessionId) as Array<{ name: string; n: number }>;
    return Object.fromEntries(rows.map((r) => [r.name, r.n]));
  }

  async updateRunIf(id: string, state: RunState, patch: RunPatch): Promise<RunRecord | undefined> {
    return this.#db.transaction(() => {
      const row = this.#stmts.getRun.get(id) as RunRow | undefined;
      if (!row) return undefined;
      const current = JSON.parse(row.data) as RunRecord;
      if (current.state !== state) return undefined;
      const next: RunRecord = { ...current, ...patch };
      this.#stmts.updateRun.run(next.state, JSON.stringify(next), id);
      return next;
    })();
  }

  async appendRawLines(runId: string, lines: readonly string[]): Promise<void> {
    if (lines.length === 0) return;
    this.#db.transaction(() => {
      const row = this.#stmts.maxRaw.get(runId) as { n: number | null };
      let n = row.n ?? 0;
      for (const line of lines) this.#stmts.insertRaw.run(runId, ++n, line);
    })();
  }

  async readRawLines(runId: string, afterN = 0): Promise<RawLine[]> {
    return this.#stmts.readRaw.all(runId, afterN) as RawLine[];
  }

  async createAuthSession(session: AuthSessionRecord): Promise<void> {
    this.#stmts.insertAuth.run(session.tokenHash, session.createdAt, session.expiresAt);
  }

  async getAuthSession(tokenHash: string): Promise<AuthSessionRecord | undefined> {
    const row = this.#stmts.getAuth.get(tokenHash) as { token_hash: string; created_at: string; expires_at: string } | undefined;
    return row ? { tokenHash: row.token_hash, createdAt: row.created_at, expiresAt: row.expires_at } : undefined;
  }

  async deleteAuthSession(tokenHash: string): Promise<void> {
    this.#stmts.deleteAuth.run(tokenHash);
  }

  async deleteExpiredAuthSessions(now: string): Promise<number> {
    return this.#stmts.deleteExpiredAuth.run(now).changes;
  }

  async deleteAllAuthSessions(): Promise<number> {
    return this.#stmts.deleteAllAuth.run().changes;
  }

  async getMeta(key: string): Promise<string | undefined> {
    return (this.#stmts.getMeta.get(key) as { value: string } | undefined)?.value;
  }

  async setMeta(key: string, value: string): Promise<void> {
    this.#stmts.setMeta.run(key, value);
  }

  async initMeta(key: string, value: string): Promise<string> {
    return (this.#stmts.initMeta.get(key, value) as { value: string }).value;
  }

  async savePushSubscription(sub: PushSubscriptionRecord): Promise<PushSubscriptionRecord> {
    const row = this.#stmts.upsertPush.get(sub.id, sub.endpoint, sub.keys.p256dh, sub.keys.auth, sub.createdAt, sub.userAgent ?? null) as PushRow;
    return pushRecord(row);
  }

  async listPushSubscriptions(): Promise<PushSubscriptionRecord[]> {
    return (this.#stmts.listPush.all() as PushRow[]).map(pushRecord);
  }

  async deletePushSubscription(id: string): Promise<boolean> {
    return this.#stmts.deletePush.run(id).changes > 0;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#db.close();
  }
}

/** The compact filter; it reads the session id as the named parameter @sid. */
const COMPACT = `NOT (
    type IN ('assistant.delta', 'usage')
    AND run_id IN (SELECT id FROM runs WHERE session_id = @sid AND state NOT IN ('queued', 'running')))
  AND NOT (
    type = 'queue.changed'
    AND seq < (SELECT MAX(seq) FROM events e2 WHERE e2.session_id = @sid AND e2.type = 'queue.changed'))`;

function prepare(db: Db) {
  const s = (sql: string): Statement => db.prepare(sql);
  return {
    insertSession: s('INSERT INTO sessions (id, data, created_at) VALUES (?, ?, ?)'),
    getSession: s('SELECT data FROM sessions WHERE id = ?'),
    listSessions: s('SELECT data FROM sessions ORDER BY created_at, id'),
    updateSession: s('UPDATE sessions SET data = ? WHERE id = ?'),
    deleteSession: s('DELETE FROM sessions WHERE id = ?'),
    bumpSeq: s('UPDATE seqs SET last_seq = last_seq + 1 WHERE session_id = ? RETURNING last_seq'),
    insertSeq: s('INSERT INTO seqs (session_id, last_seq) VALUES (?, ?)'),
    getSeq: s('SELECT last_seq FROM seqs WHERE session_id = ?'),
    deleteSeq: s('DELETE FROM seqs WHERE session_id = ?'),
    insertEvent: s('INSERT INTO events (session_id, seq, type, run_id, data) VALUES (?, ?, ?, ?, ?)'),
    readEvents: s('SELECT data FROM events WHERE session_id = ? AND seq > ? AND seq < ? ORDER BY seq LIMIT ?'),
    // Deltas and usage of runs that are over, and all but the last
    // queue.changed, are left out (see Store.readEvents).
    readEventsCompact: s(`
      SELECT data FROM events
      WHERE session_id = @sid AND seq > @after AND seq < @before AND ${COMPACT}
      ORDER BY seq LIMIT @limit`),
    readRunEventsCompact: s(`
      SELECT data FROM events
      WHERE session_id = @sid AND run_id IN (SELECT value FROM json_each(@runs)) AND ${COMPACT}
      ORDER BY seq`),
    deleteEvents: s('DELETE FROM events WHERE session_id = ?'),
    insertRun: s('INSERT INTO runs (id, session_id, client_request_id, state, data) VALUES (?, ?, ?, ?, ?)'),
    getRun: s('SELECT data FROM runs WHERE id = ?'),
    getRunByCrid: s('SELECT data FROM runs WHERE session_id = ? AND client_request_id = ?'),
    listRuns: s('SELECT data FROM runs WHERE session_id = ? ORDER BY ord'),
    listRunsInState: s('SELECT data FROM runs WHERE session_id = ? AND state = ? ORDER BY ord'),
    runsInState: s('SELECT data FROM runs WHERE state = ? ORDER BY ord'),
    updateRun: s('UPDATE runs SET state = ?, data = ? WHERE id = ?'),
    deleteRunsOfSession: s('DELETE FROM runs WHERE session_id = ?'),
    deleteRawOfSession: s('DELETE FROM raw_lines WHERE run_id IN (SELECT id FROM runs WHERE session_id = ?)'),
    runsToPrune: s(`
      SELECT id, session_id, data FROM runs
      WHERE state NOT IN ('queued', 'running')
        AND json_extract(data, '$.finishedAt') < ?
        AND json_extract(data, '$.pruned') IS NULL`),
    deleteRunDeltas: s("DELETE FROM events WHERE session_id = ? AND run_id = ? AND type IN ('assistant.delta', 'usage')"),
    deleteRawOfRun: s('DELETE FROM raw_lines WHERE run_id = ?'),
    toolCallCounts: s(`
      SELECT json_extract(data, '$.name') AS name, COUNT(*) AS n FROM events
      WHERE session_id = ? AND type = 'tool.started' GROUP BY name ORDER BY n DESC`),
    insertAuth: s('INSERT INTO auth_sessions (token_hash, created_at, expires_at) VALUES (?, ?, ?)'),
    getAuth: s('SELECT token_hash, created_at, expires_at FROM auth_sessions WHERE token_hash = ?'),
    deleteAuth: s('DELETE FROM auth_sessions WHERE token_hash = ?'),
    deleteExpiredAuth: s('DELETE FROM auth_sessions WHERE expires_at < ?'),
    deleteAllAuth: s('DELETE FROM auth_sessions'),
    getMeta: s('SELECT value FROM meta WHERE key = ?'),
    setMeta: s('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
    // One statement, so one step: the upsert that changes nothing still returns the row kept.
    initMeta: s('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = meta.value RETURNING value'),
    // The endpoint decides: a browser that subscribes again keeps its id.
    upsertPush: s(`
      INSERT INTO push_subscriptions (id, endpoint, p256dh, auth, created_at, user_agent) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (endpoint) DO UPDATE SET p256dh = excluded.p256dh, auth = excluded.auth, user_agent = excluded.user_agent
      RETURNING id, endpoint, p256dh, auth, created_at, user_agent`),
    listPush: s('SELECT id, endpoint, p256dh, auth, created_at, user_agent FROM push_subscriptions ORDER BY created_at, rowid'),
    deletePush: s('DELETE FROM push_subscriptions WHERE id = ?'),
    maxRaw: s('SELECT MAX(n) AS n FROM raw_lines WHERE run_id = ?'),
    insertRaw: s('INSERT INTO raw_lines (run_id, n, line) VALUES (?, ?, ?)'),
    readRaw: s('SELECT n, line FROM raw_lines WHERE run_id = ? AND n > ? ORDER BY n'),
  };
}
