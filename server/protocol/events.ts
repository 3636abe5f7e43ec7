/**
 * The event vocabulary of Claude Remote, shared by the server and the web app.
 *
 * Every state change of a session is one of these events. The store gives each
 * event of a session an increasing `seq` before it is fanned out, so a client
 * that remembers the last `seq` it saw can ask for exactly what it missed.
 *
 * Names and the fields listed in DESIGN.md are a public contract (scripts read
 * them); add variants freely, never rename. No Node imports here: the browser
 * bundle compiles this file too.
 */

export { PERMISSION_MODES, RUN_ERROR_KINDS, RUN_STATUSES, ZERO_USAGE } from './constants.js';
export type { RunErrorKind, RunStatus } from './runs.js';
import type { RunErrorKind, RunStatus } from './runs.js';

export type { PermissionMode, SessionOptions, SessionStatus, SessionTotals, SessionView, TokenUsage } from './session.js';
import type { SessionView, TokenUsage } from './session.js';

interface EventBase {
  seq: number;
  sessionId: string;
  /** ISO time the server recorded the event. */
  at: string;
}

interface RunEventBase extends EventBase {
  runId: string;
}

export type ServerEvent =
  | (EventBase & { type: 'session.created'; session: SessionView })
  | (EventBase & { type: 'session.updated'; session: SessionView })
  | (EventBase & { type: 'session.deleted' })
  | (EventBase & { type: 'session.cleared'; claudeSessionId: string })
  | (EventBase & { type: 'queue.changed'; pending: string[] })
  | (RunEventBase & {
      type: 'run.queued';
      prompt: string;
      position: number;
      clientRequestId?: string | undefined;
    })
  | (RunEventBase & { type: 'run.started'; pid: number; claudeSessionId: string; model?: string | undefined })
  | (RunEventBase & { type: 'assistant.delta'; text: string })
  | (RunEventBase & { type: 'assistant.message'; text: string })
  | (RunEventBase & { type: 'thinking'; text: string })
  | (RunEventBase & {
      type: 'tool.started';
      toolUseId: string;
      name: string;
      summary: string;
      input: unknown;
    })
  | (RunEventBase & {
      type: 'tool.finished';
      toolUseId: string;
      ok: boolean;
      output: string;
      truncated?: boolean | undefined;
    })
  | (RunEventBase & { type: 'usage' } & TokenUsage)
  | (RunEventBase & {
      type: 'run.finished';
      status: RunStatus;
      result?: string | undefined;
      costUsd: number;
      usage: TokenUsage;
      durationMs: number;
      numTurns: number;
      errorKind?: RunErrorKind | undefined;
      error?: string | undefined;
    })
  /** The CLI retries a failed API call by itself (attempt of maxRetries, after delayMs). */
  | (RunEventBase & {
      type: 'run.retrying';
      attempt: number;
      maxRetries: number;
      delayMs: number;
      errorStatus?: number | undefined;
    })
  | (RunEventBase & {
      type: 'permission.requested';
      requestId: string;
      toolName: string;
      input: unknown;
    })
  | (EventBase & {
      type: 'permission.resolved';
      runId?: string | undefined;
      requestId: string;
      behavior: 'allow' | 'deny';
      by: string;
    })
  | (EventBase & {
      type: 'notice';
      runId?: string | undefined;
      level: 'info' | 'warn' | 'error';
      text: string;
    });

export type ServerEventType = ServerEvent['type'];

/** An event before the store numbered it. */
export type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
export type NewEvent = DistributiveOmit<ServerEvent, 'seq' | 'at'>;

export type EventOf<T extends ServerEventType> = Extract<ServerEvent, { type: T }>;

/** Events that end a run: a stream of one run's events may close after this. */
export function isRunEnd(event: ServerEvent): event is EventOf<'run.finished'> {
  return event.type === 'run.finished';
}
