/**
 * Sessions as records and as every door shows them: the options a client may
 * set, the default name, the view.
 */
import { sessionOptionsSchema, type SessionOptions, type SessionView } from '../protocol/session.js';
import { AppError } from './errors.js';
import type { SessionRecord, Store } from './store.js';

const OPTION_KEYS = Object.keys(sessionOptionsSchema.shape) as (keyof SessionOptions)[];

/** The session options in a request body, without its other fields. */
export function pickOptions(body: SessionOptions): SessionOptions {
  const out: Record<string, unknown> = {};
  for (const key of OPTION_KEYS) if (body[key] !== undefined) out[key] = body[key];
  return out as SessionOptions;
}

export function defaultName(cwd: string, ownFolder: boolean): string {
  if (ownFolder) return 'New session';
  const parts = cwd.split(/[\\/]/).filter((p) => p !== '');
  return parts[parts.length - 1] ?? cwd;
}

export function sessionView(
  record: SessionRecord,
  live: { running: boolean; waitingForAnswers?: number; queueLength: number; lastSeq: number },
): SessionView {
  const waiting = live.waitingForAnswers ?? 0;
  return {
    id: record.id,
    name: record.name,
    cwd: record.cwd,
    ownFolder: record.ownFolder,
    options: record.options,
    claudeSessionId: record.claudeSessionId,
    status: waiting > 0 ? 'waiting' : live.running ? 'running' : 'idle',
    queueLength: live.queueLength,
    totals: { costUsd: record.costUsd, runs: record.runs, usage: record.usage },
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    lastSeq: live.lastSeq,
    ...(record.paused ? { paused: record.paused } : {}),
    ...(waiting > 0 ? { waitingForAnswers: waiting } : {}),
    ...(record.allowedForSession?.length ? { allowedForSession: record.allowedForSession } : {}),
    ...(record.worktree ? { worktree: record.worktree } : {}),
  };
}

/**
 * The view of a session whose runs are another instance's business: the
 * store says what is running and queued; `waiting` is what its owner last
 * announced.
 */
export async function storedSessionView(record: SessionRecord, store: Store, waiting: number): Promise<SessionView> {
  const [running, queued, lastSeq] = await Promise.all([store.listRuns(record.id, 'running'), store.listRuns(record.id, 'queued'), store.lastSeq(record.id)]);
  return sessionView(record, {
    running: running.length > 0,
    waitingForAnswers: running.length > 0 ? waiting : 0,
    queueLength: queued.length,
    lastSeq,
  });
}

export function notFound(id: string): AppError {
  return new AppError('session_not_found', `No session ${id}.`);
}

/** The session's record, or 404 `session_not_found`. */
export async function requireSession(store: Store, id: string): Promise<SessionRecord> {
  const record = await store.getSession(id);
  if (!record) throw notFound(id);
  return record;
}
