/**
 * SqliteStore's tables, and the check that the file is one this build
 * understands (sqlite.ts).
 */
import type { Database as Db } from 'better-sqlite3';

/**
 * Bumped only for changes an older build cannot live with. A new table
 * (push_subscriptions) is not one: SCHEMA is applied at every start and an
 * older build ignores tables it does not know.
 */
const SCHEMA_VERSION = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS sessions (
  id TEXT PRIMARY KEY,
  data TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS seqs (
  session_id TEXT PRIMARY KEY,
  last_seq INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
  session_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  type TEXT NOT NULL,
  run_id TEXT,
  data TEXT NOT NULL,
  PRIMARY KEY (session_id, seq)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS events_run ON events (session_id, run_id, seq);
CREATE TABLE IF NOT EXISTS runs (
  ord INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  session_id TEXT NOT NULL,
  client_request_id TEXT,
  state TEXT NOT NULL,
  data TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS runs_crid ON runs (session_id, client_request_id)
  WHERE client_request_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS runs_session_state ON runs (session_id, state, ord);
CREATE INDEX IF NOT EXISTS runs_state ON runs (state, ord);
CREATE TABLE IF NOT EXISTS auth_sessions (
  token_hash TEXT PRIMARY KEY,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS push_subscriptions (
  id TEXT PRIMARY KEY,
  endpoint TEXT NOT NULL UNIQUE,
  p256dh TEXT NOT NULL,
  auth TEXT NOT NULL,
  created_at TEXT NOT NULL,
  user_agent TEXT
);
CREATE TABLE IF NOT EXISTS raw_lines (
  run_id TEXT NOT NULL,
  n INTEGER NOT NULL,
  line TEXT NOT NULL,
  PRIMARY KEY (run_id, n)
) WITHOUT ROWID;
`;

/** Creates what is missing; refuses a file a newer build made incompatible. */
export function migrate(db: Db): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > SCHEMA_VERSION) {
    throw new Error(
      `database schema ${version} is newer than this build understands (${SCHEMA_VERSION}); upgrade Claude Remote`,
    );
  }
  db.exec(SCHEMA);
  db.pragma(`user_version = ${SCHEMA_VERSION}`);
}
