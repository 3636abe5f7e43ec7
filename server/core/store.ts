/**
 * The store the engine persists through. Two adapters implement it: SQLite
 * (the embedded default) and Redis (several instances). Both must pass the
 * contract suite in `server/store/store.contract.ts`.
 *
 * What must stay true, whatever the adapter:
 * - `appendEvent` numbers events of one session 1, 2, 3, ... with no gaps and
 *   never twice, and the event is durable when the promise resolves (the
 *   engine fans an event out only after that).
 * - `enqueueRun` is idempotent per (sessionId, clientRequestId): the same id
 *   twice gives back the first run and `duplicate: true`.
 * - Runs of a session come back from `listRuns(..., 'queued')` in FIFO order.
 */
import type { Paused } from '../protocol/session.js';
import type { AttachmentInfo, Worktree } from '../protocol/workspace.js';
import type {
  NewEvent,
  RunErrorKind,
  ServerEvent,
  SessionOptions,
  TokenUsage,
} from '../protocol/events.js';

export interface SessionRecord {
  id: string;
  name: string;
  cwd: string;
  ownFolder: boolean;
  options: SessionOptions;
  claudeSessionId: string;
  /** The CLI has created the transcript of `claudeSessionId`: resume with `-r`. */
  claudeStarted: boolean;
  /** `chat` for sessions the `/chat` gateway made, `api` otherwise. */
  origin: 'api' | 'chat';
  costUsd: number;
  /**
   * The CLI's cost total for the current conversation as it last reported it.
   * The CLI keeps that total with the transcript and reports it cumulatively
   * (a resumed conversation's `total_cost_usd` includes earlier runs), so a
   * run's own cost is the difference.
   */
  conversationCostUsd?: number | undefined;
  runs: number;
  usage: TokenUsage;
  createdAt: string;
  updatedAt: string;
  /** Set while the queue waits after a billing or usage-limit failure. */
  paused?: Paused | undefined;
  /** Tools allowed for the rest of the session without asking. */
  allowedForSession?: string[] | undefined;
  /** The session's own git worktree; `cwd` is inside it. */
  worktree?: Worktree | undefined;
}

export type { RunState } from '../protocol/runs.js';
import type { RunState } from '../protocol/runs.js';

export interface RunRecord {
  id: string;
  sessionId: string;
  prompt: string;
  clientRequestId?: string | undefined;
  state: RunState;
  enqueuedAt: string;
  startedAt?: string | undefined;
  finishedAt?: string | undefined;
  pid?: number | undefined;
  claudeSessionId?: string | undefined;
  model?: string | undefined;
  costUsd: number;
  usage: TokenUsage;
  durationMs: number;
  numTurns: number;
  result?: string | undefined;
  error?: string | undefined;
  errorKind?: RunErrorKind | undefined;
  /** Seq of its `run.queued` event: where its part of the transcript starts. */
  queuedSeq?: number | undefined;
  /** Its deltas and raw lines were dropped by retention. */
  pruned?: boolean | undefined;
  /** The server instance that ran it (several instances share a Redis store). */
  instanceId?: string | undefined;
  /** Files attached to the prompt, saved in the session folder (images are read again when it runs). */
  attachments?: AttachmentInfo[] | undefined;
}

export type SessionPatch = Partial<
  Pick<
    SessionRecord,
    | 'name'
    | 'options'
    | 'claudeSessionId'
    | 'claudeStarted'
    | 'costUsd'
    | 'conversationCostUsd'
    | 'runs'
    | 'usage'
    | 'updatedAt'
    | 'paused'
    | 'allowedForSession'
  >
>;

export type RunPatch = Partial<Omit<RunRecord, 'id' | 'sessionId' | 'prompt' | 'enqueuedAt'>>;

export interface ReadOptions {
  compact?: boolean;
  beforeSeq?: number;
}

export interface RawLine {
  n: number;
  line: string;
}

/** A logged-in browser. Only a hash of its cookie token is stored. */
export interface AuthSessionRecord {
  tokenHash: string;
  createdAt: string;
  expiresAt: string;
}

/**
 * A browser's Web Push subscription (the Push API's `PushSubscription` as
 * JSON). Its endpoint is a capability URL at the browser's push service:
 * kept here, never shown whole.
 */
export interface PushSubscriptionRecord {
  id: string;
  endpoint: string;
  /** The browser's P-256 public key and auth secret (base64url): the payload is encrypted to them. */
  keys: { p256dh: string; auth: string };
  createdAt: string;
  /** The subscribing browser, to tell devices apart in a list. */
  userAgent?: string | undefined;
}

export interface Store {
  createSession(session: SessionRecord): Promise<void>;
  getSession(id: string): Promise<SessionRecord | undefined>;
  listSessions(): Promise<SessionRecord[]>;
  updateSession(id: string, patch: SessionPatch): Promise<SessionRecord | undefined>;
  /** Forgets the session with its runs, events and raw lines. */
  deleteSession(id: string): Promise<void>;

  /** Numbers the event (next `seq` of its session), persists it, returns it. */
  appendEvent(event: NewEvent, at: string): Promise<ServerEvent>;
  /** Several events at once, in order, atomically (one transaction). */
  appendEvents(events: readonly NewEvent[], at: string): Promise<ServerEvent[]>;
  /**
   * Events of a session with `afterSeq < seq < beforeSeq`, oldest first, at
   * most `limit`. `compact` leaves out what a transcript does not need once a
   * run is over: its `assistant.delta` and `usage` events (its messages and
   * `run.finished` say it all), and every `queue.changed` but the last.
   */
  readEvents(sessionId: string, afterSeq: number, limit?: number, options?: ReadOptions): Promise<ServerEvent[]>;
  /** The compact events (see `readEvents`) of these runs, in seq order. */
  readRunEvents(sessionId: string, runIds: readonly string[]): Promise<ServerEvent[]>;
  lastSeq(sessionId: string): Promise<number>;

  enqueueRun(run: RunRecord): Promise<{ run: RunRecord; duplicate: boolean }>;
  getRun(id: string): Promise<RunRecord | undefined>;
  findRunByClientRequestId(sessionId: string, clientRequestId: string): Promise<RunRecord | undefined>;
  /** Runs of a session (oldest first), optionally only those in one state. */
  listRuns(sessionId: string, state?: RunState): Promise<RunRecord[]>;
  /** Runs in a state across all sessions, oldest first (recovery after a restart). */
  runsInState(state: RunState): Promise<RunRecord[]>;
  updateRun(id: string, patch: RunPatch): Promise<RunRecord | undefined>;
  /**
   * Changes a run only if it is still in `state` (atomically): two instances
   * (or a cancel and a start) racing for one queued run, only one gets it.
   * Returns the run as changed, or undefined when it was not in that state.
   */
  updateRunIf(id: string, state: RunState, patch: RunPatch): Promise<RunRecord | undefined>;

  /**
   * Retention: drops what only a live viewer needed from runs that finished
   * before `finishedBefore` (ISO): their `assistant.delta` and `usage` events
   * and their raw CLI lines. Messages, tool calls, `run.finished` and the run
   * records stay. Each run is pruned once; returns how many were.
   */
  pruneFinishedRuns(finishedBefore: string): Promise<number>;

  /** Tool calls of a session by tool name (its `tool.started` events). */
  toolCallCounts(sessionId: string): Promise<Record<string, number>>;

  /** Raw CLI stdout lines of a run, kept for the raw streams. */
  appendRawLines(runId: string, lines: readonly string[]): Promise<void>;
  readRawLines(runId: string, afterN?: number): Promise<RawLine[]>;

  createAuthSession(session: AuthSessionRecord): Promise<void>;
  getAuthSession(tokenHash: string): Promise<AuthSessionRecord | undefined>;
  deleteAuthSession(tokenHash: string): Promise<void>;
  /** Forgets sessions that expired before `now` (ISO time). */
  deleteExpiredAuthSessions(now: string): Promise<number>;
  /** Forgets every login ("log out everywhere", or a changed secret). */
  deleteAllAuthSessions(): Promise<number>;

  /** Small named values the server keeps about itself (e.g. the fingerprint of its secrets). */
  getMeta(key: string): Promise<string | undefined>;
  setMeta(key: string, value: string): Promise<void>;
  /**
   * Keeps `value` under `key` unless the key has a value already, and returns
   * the value kept. Atomic: servers sharing the store that start at once all
   * get the first one's value (the VAPID key pair they all sign pushes with).
   */
  initMeta(key: string, value: string): Promise<string>;

  /**
   * Keeps a push subscription. The endpoint is the key: saving one whose
   * endpoint is already kept updates its keys and user agent, and the kept
   * id and createdAt stay. Returns what is kept.
   */
  savePushSubscription(subscription: PushSubscriptionRecord): Promise<PushSubscriptionRecord>;
  /** Every push subscription, oldest first. */
  listPushSubscriptions(): Promise<PushSubscriptionRecord[]>;
  /** Forgets one; false when there was none with that id. */
  deletePushSubscription(id: string): Promise<boolean>;

  close(): Promise<void>;
}
